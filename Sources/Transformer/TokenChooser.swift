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

    /// Indices of the k largest logits (ties broken towards the lower index), in index order.
    private static func topK(_ logits: UnsafePointer<Float>, count V: Int, k: Int) -> [Int] {
        let order = (0..<V).sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        return Array(order.prefix(k)).sorted()
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
