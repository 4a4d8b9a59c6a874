// What a fluency reading found in one side's answers: the pooled perplexity of their tokens, and
// how many answers had no token to read. An empty answer adds nothing to the pool, so without its
// count a policy that learned to say nothing would read as fluent as its remaining words, and one
// that says nothing at all as the perfect perplexity exp(0) = 1; it has no perplexity instead.
import Foundation

public struct FluencyReport: Codable, Sendable, Equatable {
    /// Answers read, the empty ones included.
    public let responses: Int
    /// Answers with no text to read: the fluency model scores none of their tokens, the reference
    /// only the stop token ending them.
    public let emptyResponses: Int
    /// Tokens scored.
    public let tokens: Int
    /// Mean −log p of those tokens, in nats; nil when there were none.
    public let meanNLL: Double?

    /// exp(mean −log p); nil when no token was scored.
    public var perplexity: Double? { meanNLL.map { Foundation.exp($0) } }

    /// `negativeLogLikelihood` is the sum over the `tokens` scored.
    public init(responses: Int, emptyResponses: Int, tokens: Int, negativeLogLikelihood: Double) {
        (self.responses, self.emptyResponses, self.tokens) = (responses, emptyResponses, tokens)
        meanNLL = tokens == 0 ? nil : negativeLogLikelihood / Double(tokens)
    }

    /// "460.4", "460.4 (3 of 128 answers empty)", or "n/a (128 of 128 answers empty)": the empty
    /// answers beside the figure they are missing from.
    public func perplexityText(digits: Int) -> String {
        let figure = perplexity.map { String(format: "%.\(digits)f", $0) } ?? "n/a"
        if responses == 0 { return "\(figure) (no answers)" }
        return emptyResponses == 0 ? figure : "\(figure) (\(emptyResponses) of \(responses) answers empty)"
    }

    enum CodingKeys: String, CodingKey {
        case responses
        case emptyResponses = "empty_responses"
        case tokens
        case meanNLL = "mean_nll"
        case perplexity
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        responses = try container.decode(Int.self, forKey: .responses)
        emptyResponses = try container.decode(Int.self, forKey: .emptyResponses)
        tokens = try container.decode(Int.self, forKey: .tokens)
        meanNLL = try container.decodeIfPresent(Double.self, forKey: .meanNLL)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(responses, forKey: .responses)
        try container.encode(emptyResponses, forKey: .emptyResponses)
        try container.encode(tokens, forKey: .tokens)
        try container.encodeIfPresent(meanNLL, forKey: .meanNLL)
        try container.encodeIfPresent(perplexity, forKey: .perplexity)
    }
}
