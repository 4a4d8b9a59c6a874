// Responses a policy samples for prompts, as tokens: what rewards are normalised on (the
// reference policy's own samples on the training prompts) and what tasks for labeling hold.
import LanguageModeling
import Randomness
import Transformer

public struct PolicySamples: Sendable, Equatable {
    /// The prompt tokens of each sample, as the prompt text encodes (an empty prompt has none:
    /// the policy starts it from `<|endoftext|>`, which is not part of what is scored).
    public var prompts: [[Int32]]
    /// The sampled continuations; a finished one ends with `<|endoftext|>`.
    public var responses: [[Int32]]

    public init(prompts: [[Int32]], responses: [[Int32]]) {
        self.prompts = prompts
        self.responses = responses
    }

    /// `count` samples from `policy`, cycling through `prompts` in order, decoded in batches of
    /// `batchSize` rows; sampling stops at `<|endoftext|>` or `parameters.maxNewTokens`.
    public static func draw(
        from policy: LanguageModel, prompts: [String], count: Int, parameters: SamplingParameters,
        seed: UInt64, batchSize: Int = 64
    ) throws -> PolicySamples {
        guard !prompts.isEmpty, count > 0 else { return PolicySamples(prompts: [], responses: []) }
        var parameters = parameters
        let endOfText = policy.endOfText ?? 0
        if !parameters.stopTokens.contains(endOfText) { parameters.stopTokens.append(endOfText) }
        let context = policy.network.contextLength
        parameters.maxNewTokens = min(parameters.maxNewTokens, context - 1)
        let encoded = prompts.map { Array(policy.encode($0).suffix(context - parameters.maxNewTokens)) }
        var generator = RandomGenerator(seed: seed)
        var samples = PolicySamples(prompts: [], responses: [])
        for start in stride(from: 0, to: count, by: batchSize) {
            let rows = (start..<min(start + batchSize, count)).map { encoded[$0 % encoded.count] }
            let generations = try policy.network.generate(
                prompts: rows.map { $0.isEmpty ? [endOfText] : $0 }, parameters: parameters, generator: &generator, padding: endOfText)
            samples.prompts += rows
            samples.responses += generations.map(\.tokens)
        }
        return samples
    }
}
