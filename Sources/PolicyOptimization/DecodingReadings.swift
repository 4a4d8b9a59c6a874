// What PPO needs of the behaviour policy, read off the decoding pass that sampled the rollouts:
// each sampled token's log-probability at the sampling temperature and, when the value function
// is a head on the policy, the value of the state that chose it. A second forward over the
// finished sequences computes the same numbers up to the order of float sums (the KV cache reads
// the prompt once, the full pass reads it with every row's padding), so rollouts skip it.
import Tensors
import Transformer

final class DecodingReadings {
    private let rows: Int
    private let columns: Int
    private let vocabulary: Int
    private let scale: Float
    private let stops: [Int32]
    private let head: ScalarHead?
    /// The step whose logits `read` saw last: the tokens `chose` reports are drawn from them.
    private var step = -1
    private var logits: Tensor?
    private var logSumExp: [Float] = []
    /// [row · columns + step], 0 where a row had stopped.
    private var logProbabilities: [Float]
    private var values: [Float]
    /// [(row · columns + step) · stops.count + k]: a stop token is not reported by `chose`, so
    /// every stop token's log-probability is kept until the generations say which was drawn.
    private var stopLogProbabilities: [Float]

    init(rows: Int, columns: Int, vocabulary: Int, temperature: Float, stops: [Int32], head: ScalarHead?) {
        (self.rows, self.columns, self.vocabulary, self.scale, self.stops, self.head) = (rows, columns, vocabulary, 1 / temperature, stops, head)
        logProbabilities = Array(repeating: 0, count: rows * columns)
        values = Array(repeating: 0, count: rows * columns)
        stopLogProbabilities = Array(repeating: 0, count: rows * columns * stops.count)
    }

    /// The sampler's logits hook: records the step's normalisers, stop-token log-probabilities and
    /// values, and hands the logits back unchanged.
    func read(hidden: Tensor, logits: Tensor) throws -> Tensor {
        step += 1
        self.logits = logits
        let z = logits.data, V = vocabulary
        logSumExp = try logits.rowLogSumExp(temperature: 1 / scale)
        let stateValues = try head.map { try $0(hidden, tape: nil).scalars }
        for row in 0..<rows {
            let cell = row * columns + step
            if let stateValues { values[cell] = stateValues[row] }
            for (k, stop) in stops.enumerated() {
                stopLogProbabilities[cell * stops.count + k] = scale * z[row * V + Int(stop)] - logSumExp[row]
            }
        }
        return logits
    }

    /// The sampler's observer: `token` (not a stop token) was drawn for `row` at this step.
    func chose(row: Int, token: Int32) -> Bool {
        if let logits { logProbabilities[row * columns + step] = scale * logits.data[row * vocabulary + Int(token)] - logSumExp[row] }
        return true
    }

    /// Log-probabilities and values [rows, columns] of `generations` (those of stop tokens filled in).
    func readings(of generations: [Generation]) throws -> (logProbabilities: Tensor, values: Tensor?) {
        var logProbabilities = self.logProbabilities
        for (row, generation) in generations.enumerated() where generation.finishReason == .stop {
            let cell = row * columns + generation.tokens.count - 1
            if let stop = generation.tokens.last, let k = stops.firstIndex(of: stop) {
                logProbabilities[cell] = stopLogProbabilities[cell * stops.count + k]
            }
        }
        return (
            try Tensor(shape: [rows, columns], values: logProbabilities),
            try head.map { _ in try Tensor(shape: [rows, columns], values: values) })
    }
}
