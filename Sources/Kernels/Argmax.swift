// Greedy decoding's pick over a row of logits, eight lanes at a time: a scalar scan of SmolLM2's
// 49,152 logits per row is a branch per element.

extension RowMath {
    /// The index of the first largest value; NaNs never win (0 when every value is NaN).
    package static func argmax(_ x: UnsafePointer<Float>, _ count: Int) -> Int {
        var best = Vector8(repeating: -.infinity)
        var bestIndex = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7), index = bestIndex
        var i = 0
        while i + 8 <= count {
            let v = x.vector(at: i)
            let better = v .> best
            best = best.replacing(with: v, where: better)
            bestIndex = bestIndex.replacing(with: index, where: better)
            index &+= 8
            i += 8
        }
        // Each lane kept its first maximum; across lanes the lowest index among equal values wins.
        var value = -Float.infinity, result = 0
        for lane in 0..<8 where lane < count {
            let candidate = Int(bestIndex[lane])
            if best[lane] > value || (best[lane] == value && candidate < result) {
                value = best[lane]
                result = candidate
            }
        }
        while i < count {
            if x[i] > value {
                value = x[i]
                result = i
            }
            i += 1
        }
        return result
    }
}
