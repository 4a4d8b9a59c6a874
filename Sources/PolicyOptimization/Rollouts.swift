// The rollout phase: sample responses from the policy with the KV cache, then read their
// log-probabilities under the policy and the reference, and the values, with recording off.
#if canImport(Glibc)
import Glibc
#endif
import Randomness
import Tensors
import Transformer

public struct Rollouts {
    public let prompts: [[Int32]]
    /// Sampled responses; one that stopped ends with its stop token.
    public let responses: [[Int32]]
    public let stopped: [Bool]
    public let batch: SequenceBatch
    public var logProbabilities: Matrix
    public var referenceLogProbabilities: Matrix
    public var values: Matrix
    /// 1 for real response tokens [B, R].
    public let mask: Matrix
    public var scores: [Double] = []

    public var count: Int { prompts.count }
}

/// Seconds spent in each phase of an iteration.
public struct PhaseTimes: Sendable {
    public var generation = 0.0
    public var policyForward = 0.0
    public var reference = 0.0
    public var scoring = 0.0
    public var optimization = 0.0
}

extension PolicyModels {
    /// Samples one response per prompt and measures it under the policy, reference and value.
    func collectRollouts(
        prompts: [[Int32]], configuration: PPOConfiguration, generator: inout RandomGenerator, times: inout PhaseTimes
    ) throws -> Rollouts {
        let endOfText = policy.endOfText ?? 0
        var clock = PhaseClock()
        let generations = try policy.network.generate(
            prompts: prompts,
            parameters: SamplingParameters(temperature: configuration.temperature, maxNewTokens: configuration.responseLength, stopTokens: policy.stopTokens),
            generator: &generator, padding: endOfText)
        times.generation += clock.lap()
        let responses = generations.map { $0.tokens.isEmpty ? [endOfText] : $0.tokens }
        let batch = try SequenceBatch(prompts: prompts, responses: responses, padding: endOfText, responseLength: configuration.responseLength)
        let rows = prompts.count, columns = batch.responseLength
        let mask = Matrix(rows: rows, columns: columns, values: batch.responseMask.map(Double.init))
        let (logProbabilities, headValues, _) = try policyOutputs(batch, tape: nil)
        let values = try headValues ?? self.values(batch, tape: nil)
        times.policyForward += clock.lap()
        let reference = try referenceLogProbabilities(batch)
        times.reference += clock.lap()
        func matrix(_ t: Tensor) -> Matrix { Matrix(rows: rows, columns: columns, values: t.scalars.map(Double.init)) }
        return Rollouts(
            prompts: prompts, responses: responses, stopped: generations.map { $0.finishReason == .stop }, batch: batch,
            logProbabilities: matrix(logProbabilities), referenceLogProbabilities: matrix(reference),
            values: matrix(values), mask: mask)
    }
}

/// Wall-clock laps for phase timing.
struct PhaseClock {
    private var last = PhaseClock.now()

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }

    /// Seconds since the previous lap (or creation).
    mutating func lap() -> Double {
        let now = Self.now()
        defer { last = now }
        return now - last
    }
}
