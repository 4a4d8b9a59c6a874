// Picking one token from a row of logits: greedy, or a draw from the tempered softmax
// restricted to the top k tokens and to the top-p nucleus.
import Randomness
#if canImport(Glibc)
import Glibc
#endif

enum TokenChooser {
    static func choose(_ logits: UnsafePointer<Float>, count V: Int, parameters: SamplingParameters, generator: inout RandomGenerator) -> Int32 {
        if parameters.temperature == 0 {
            var best = 0
            for j in 1..<V where logits[j] > logits[best] { best = j }
            return Int32(best)
        }
        let scale = 1 / parameters.temperature
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
