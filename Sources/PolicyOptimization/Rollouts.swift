// The rollout phase: sample responses from the policy with the KV cache, reading the policy's
// log-probabilities (and a policy head's values) as they are drawn, then read them under the
// reference, and a separate value network's values, with recording off. A frozen reward model
// on the policy's base is read in the reference pass (PolicyModels.referenceReadings).
// Data-parallel ranks all sample every response (one random stream over the batch, as one
// process samples), then each reads its share of the rows and the ranks exchange them by a sum.
#if canImport(Glibc)
import Glibc
#endif
import DataParallel
import Randomness
import RewardModeling
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
    /// The reward model's scores, when the reference pass read them.
    public var rewardScores: [Double]?
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
    /// Samples one response per prompt and measures it under the policy, reference and value;
    /// `reward`, when given and `readsReward` accepts the rows, is read in the reference pass.
    func collectRollouts(
        prompts: [[Int32]], configuration: PPOConfiguration, generator: inout RandomGenerator, times: inout PhaseTimes,
        communicator: Communicator = .single, reward: RewardModel? = nil
    ) throws -> Rollouts {
        let endOfText = policy.endOfText ?? 0
        var clock = PhaseClock()
        var head: ScalarHead?
        if case let .head(policyHead) = value { head = policyHead }
        let decoding = DecodingReadings(
            rows: prompts.count, columns: configuration.responseLength, vocabulary: network.vocabularySize, temperature: configuration.temperature,
            stops: policy.stopTokens, head: head)
        var sampling = configuration.sampling
        sampling.stopTokens = policy.stopTokens
        let generations = try policy.network.generate(
            prompts: prompts, parameters: sampling,
            generator: &generator, padding: endOfText, adjustingLogits: decoding.read, observe: decoding.chose)
        times.generation += clock.lap()
        let responses = generations.map { $0.tokens.isEmpty ? [endOfText] : $0.tokens }
        let batch = try SequenceBatch(prompts: prompts, responses: responses, padding: endOfText, responseLength: configuration.responseLength)
        let rows = prompts.count, columns = batch.responseLength
        let mask = Matrix(rows: rows, columns: columns, values: batch.responseMask.map(Double.init))
        let mine = BatchShard(communicator).rows(of: rows)
        let own = communicator.size == 1
            ? batch
            : try SequenceBatch(
                prompts: Array(prompts[mine]), responses: Array(responses[mine]), padding: endOfText, responseLength: configuration.responseLength)
        let decoded = try decoding.readings(of: generations)
        let logProbabilities = try decoded.logProbabilities.slice(axis: 0, mine)
        // A value network of its own reads the sequences once more; a head on the policy was read while decoding.
        let values = try decoded.values?.slice(axis: 0, mine) ?? self.values(own, tape: nil)
        times.policyForward += clock.lap()
        let scoring = reward.flatMap { readsReward($0, prompts: prompts, responses: responses, responseLength: batch.responseLength) ? $0 : nil }
        let reference: Tensor, scores: [Float]
        if let scoring {
            (reference, scores) = try referenceReadings(own, prompts: Array(prompts[mine]), responses: Array(responses[mine]), scoredBy: scoring)
        } else {
            (reference, scores) = (try referenceLogProbabilities(own), [])
        }
        times.reference += clock.lap()
        // Each rank fills its rows of the three matrices (and the scores); the sum over ranks completes them.
        var readings = [Double](repeating: 0, count: 3 * rows * columns + (scoring == nil ? 0 : rows))
        for (index, tensor) in [logProbabilities, reference, values].enumerated() {
            let offset = index * rows * columns + mine.lowerBound * columns
            for (position, value) in tensor.scalars.enumerated() { readings[offset + position] = Double(value) }
        }
        for (row, score) in scores.enumerated() { readings[3 * rows * columns + mine.lowerBound + row] = Double(score) }
        try communicator.sum(&readings)
        func matrix(_ index: Int) -> Matrix {
            Matrix(rows: rows, columns: columns, values: Array(readings[(index * rows * columns)..<((index + 1) * rows * columns)]))
        }
        return Rollouts(
            prompts: prompts, responses: responses, stopped: generations.map { $0.finishReason == .stop }, batch: batch,
            logProbabilities: matrix(0), referenceLogProbabilities: matrix(1), values: matrix(2), mask: mask,
            rewardScores: scoring == nil ? nil : Array(readings[(3 * rows * columns)...]))
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
