// Fluency as an independent model sees it: the perplexity of each response given its prompt under
// a strong model that no stage trained (SmolLM2), so a policy cannot have drifted towards it the
// way it drifts towards its own reference. Texts are decoded from the policy's tokens and
// re-encoded with the fluency model's tokenizer, so any two policies are scored on one scale.
import LanguageModeling
import Transformer

public struct FluencyScorer {
    public enum PromptStyle: String, Codable, Sendable {
        /// The prompt text as the document's start: the response is its continuation.
        case plain
        /// The prompt as the user's message in the fluency model's chat template: the response is
        /// its answer (for instruction-tuned fluency models).
        case chat
    }

    public let model: LanguageModel
    public var promptStyle: PromptStyle
    /// Rows per forward pass.
    public var batchSize: Int

    public init(model: LanguageModel, promptStyle: PromptStyle = .plain, batchSize: Int = 16) {
        self.model = model
        self.promptStyle = promptStyle
        self.batchSize = max(1, batchSize)
    }

    /// exp(mean −log p) over every response token given its prompt, pooled over the responses.
    /// Empty responses contribute no tokens and are counted apart; a pair longer than the context
    /// keeps the response's first tokens and the prompt's last ones.
    public func perplexity(prompts: [String], responses: [String]) throws -> FluencyReport {
        guard prompts.count == responses.count else {
            throw FluencyError.mismatchedCounts(prompts: prompts.count, responses: responses.count)
        }
        let encodedPairs = try zip(prompts, responses).map { try encoded(prompt: $0, response: $1) }
        let pairs = encodedPairs.filter { !$0.response.isEmpty }
        let padding = model.endOfText ?? 0
        var negativeLog = 0.0, tokens = 0
        for rows in batches(pairs) {
            let batch = try SequenceBatch(prompts: rows.map(\.prompt), responses: rows.map(\.response), padding: padding)
            let logProbabilities = try model.network.responseLogProbabilities(batch, tape: nil).scalars
            for i in batch.responseMask.indices where batch.responseMask[i] != 0 {
                negativeLog -= Double(logProbabilities[i])
                tokens += 1
            }
        }
        return FluencyReport(
            responses: responses.count, emptyResponses: encodedPairs.count - pairs.count, tokens: tokens, negativeLogLikelihood: negativeLog)
    }

    /// The same for token ids of `source`'s tokenizer, decoded without its stop tokens.
    public func perplexity(prompts: [[Int32]], responses: [[Int32]], decodedBy source: LanguageModel) throws -> FluencyReport {
        let stops = Set(source.stopTokens)
        let text = { (ids: [Int32]) in try source.decode(ids.filter { !stops.contains($0) }) }
        return try perplexity(prompts: prompts.map(text), responses: responses.map(text))
    }

    private func encoded(prompt: String, response: String) throws -> (prompt: [Int32], response: [Int32]) {
        var promptIDs = promptStyle == .chat ? try model.chatPrompt(user: prompt) : model.encode(prompt)
        if promptIDs.isEmpty { promptIDs = [documentStart] }
        let context = model.network.contextLength
        let responseIDs = Array(model.encode(response).prefix(context - 1))
        return (Array(promptIDs.suffix(context - responseIDs.count)), responseIDs)
    }

    /// What an empty plain prompt is replaced by: the token a document starts after.
    private var documentStart: Int32 {
        model.tokenizer.specialTokenID("<|endoftext|>").map(Int32.init) ?? model.endOfText ?? 0
    }

    /// Rows grouped by total length (little padding), at most `batchSize` a group and never more
    /// than the context once the group's prompts and responses are padded to a common length.
    private func batches(_ pairs: [(prompt: [Int32], response: [Int32])]) -> [[(prompt: [Int32], response: [Int32])]] {
        let sorted = pairs.sorted { $0.prompt.count + $0.response.count < $1.prompt.count + $1.response.count }
        var groups: [[(prompt: [Int32], response: [Int32])]] = [], current: [(prompt: [Int32], response: [Int32])] = []
        var longestPrompt = 0, longestResponse = 0
        for pair in sorted {
            let prompt = max(longestPrompt, pair.prompt.count), response = max(longestResponse, pair.response.count)
            if !current.isEmpty, current.count == batchSize || prompt + response > model.network.contextLength {
                groups.append(current)
                current = []
                (longestPrompt, longestResponse) = (pair.prompt.count, pair.response.count)
            } else {
                (longestPrompt, longestResponse) = (prompt, response)
            }
            current.append(pair)
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }
}

public enum FluencyError: Error, Equatable, CustomStringConvertible {
    case mismatchedCounts(prompts: Int, responses: Int)

    public var description: String {
        switch self {
        case let .mismatchedCounts(prompts, responses): return "fluency needs one response per prompt, got \(prompts) prompts and \(responses) responses"
        }
    }
}
