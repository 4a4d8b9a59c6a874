// Picking one token from a row of logits: greedy, or a draw from the tempered softmax
// restricted to the top k tokens and to the top-p nucleus.
import Kernels
import Randomness
#if canImport(Glibc)
import Glibc
#endif

enum TokenChooser {
    static func choose(_ logits: UnsafePointer<Float>, count V: Int, parameters: SamplingParameters, generator: inout RandomGenerator) -> Int32 {
        if parameters.temperature == 0 { return Int32(RowMath.argmax(logits, V)) }
        let scale = 1 / parameters.temperature
        // So cold that the tempered scores overflow: the draw is its limit's, the most likely token.
        if !(RowMath.maximum(logits, V) * scale).isFinite { return Int32(RowMath.argmax(logits, V)) }
        if parameters.topK == 0 || parameters.topK >= V, parameters.topP >= 1 {
            return sampleFullDistribution(logits, count: V, scale: scale, generator: &generator)
        }
        var candidates = Array(0..<V)
        if parameters.topK > 0, parameters.topK < V {
            candidates = topK(logits, count: V, k: parameters.topK)
        }
        var maximum = -Float.infinity
        for j in candidates { maximum = max(maximum, logits[j] * scale) }
        var weights = candidates.map { Double(exp(logits[$0] * scale - maximum)) }
        if parameters.topP < 1 {
            (candidates, weights) = nucleus(candidates, weights, p: Double(parameters.topP))
        }
        return Int32(candidates[generator.categorical(weights: weights)])
    }

    /// A draw from softmax(scale·logits): one vectorised pass for the weights, one scan for the
    /// draw. Decoding calls this once per token per row.
    private static func sampleFullDistribution(_ logits: UnsafePointer<Float>, count V: Int, scale: Float, generator: inout RandomGenerator) -> Int32 {
        let weights = UnsafeMutablePointer<Float>.allocate(capacity: V)
        defer { weights.deallocate() }
        weights.update(from: logits, count: V)
        RowMath.scale(weights, V, by: scale)
        let total = Double(RowMath.exponentiate(weights, V, shift: RowMath.maximum(weights, V)))
        let target = generator.uniformDouble() * total
        var cumulative = 0.0
        var last = 0
        for j in 0..<V where weights[j] > 0 {
            cumulative += Double(weights[j])
            last = j
            if target < cumulative { return Int32(j) }
        }
        return Int32(last)
    }

    /// Indices of the k largest logits (ties broken towards the lower index), in index order. One
    /// pass keeps the best k seen in a heap whose root is the worst of them, so most tokens cost a
    /// single comparison; sorting the whole vocabulary for every token was a fifth of decoding.
    static func topK(_ logits: UnsafePointer<Float>, count V: Int, k: Int) -> [Int] {
        let k = min(k, V)
        guard k > 0 else { return [] }
        func better(_ a: Int, _ b: Int) -> Bool { logits[a] > logits[b] || (logits[a] == logits[b] && a < b) }
        var heap = Array(0..<k)
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                var worst = parent
                let left = 2 * parent + 1, right = left + 1
                if left < k, better(heap[worst], heap[left]) { worst = left }
                if right < k, better(heap[worst], heap[right]) { worst = right }
                if worst == parent { return }
                heap.swapAt(parent, worst)
                parent = worst
            }
        }
        for start in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(start) }
        for j in k..<V where better(j, heap[0]) {
            heap[0] = j
            siftDown(0)
        }
        return heap.sorted()
    }

    /// The most probable candidates whose total probability first reaches p.
    private static func nucleus(_ candidates: [Int], _ weights: [Double], p: Double) -> ([Int], [Double]) {
        let total = weights.reduce(0, +)
        let order = weights.indices.sorted { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && candidates[$0] < candidates[$1]) }
        var kept: [Int] = [], cumulative = 0.0
        for index in order {
            kept.append(index)
            cumulative += weights[index] / total
            if cumulative >= p { break }
        }
        kept.sort()
        return (kept.map { candidates[$0] }, kept.map { weights[$0] })
    }
}
