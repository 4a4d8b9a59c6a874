// What scores responses, at two levels: token ids, as PPO rolls them out and evaluation samples
// them, and text, as the reward commands read it. The reward model scores both; tokens of a
// policy over another tokenizer are decoded and scored as text. Judges that are not reward
// models conform elsewhere.
import Foundation
import LanguageModeling

/// What turns (prompt, response) token-id pairs into scores: the reward model, or any judge.
public protocol ResponseScorer {
    func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double]
}

/// What the commands need of any reward model: rewards of text pairs.
public protocol TextRewardScorer: AnyObject {
    /// Rewards of (prompt, response) texts; the raw head outputs when not `normalized`.
    func scores(prompts: [String], responses: [String], batchSize: Int, normalized: Bool) throws -> [Float]
}

/// The reward model's normalised scores of token ids: of sampled responses, as the model reads
/// finished text (`RewardModel.scoredResponse`).
public struct RewardScorer: ResponseScorer {
    public let model: RewardModel

    public init(model: RewardModel) {
        self.model = model
    }

    public func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] {
        try model.scores(prompts: prompts, responses: responses.map(model.scoredResponse)).map(Double.init)
    }
}

/// Any text-level reward model scoring token ids of another model: each pair is decoded with
/// that model's tokenizer (its stop tokens dropped) and scored as text, so a reward model over one
/// tokenizer can judge a policy over another.
public struct DecodedResponseScorer: ResponseScorer {
    public let reward: any TextRewardScorer
    public let model: LanguageModel
    /// Text the reward model reads as the prompt of each pair (the decoded prompt by default;
    /// a chat policy's prompt carries its template's markup, which the reward model never saw).
    public let promptText: ([Int32]) throws -> String
    public let batchSize: Int

    public init(reward: any TextRewardScorer, model: LanguageModel, batchSize: Int = 16, promptText: (([Int32]) throws -> String)? = nil) {
        self.reward = reward
        self.model = model
        self.batchSize = batchSize
        self.promptText = promptText ?? { try model.decode($0) }
    }

    public func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] {
        let stops = Set(model.stopTokens)
        let texts = try responses.map { try model.decode($0.filter { !stops.contains($0) }) }
        return try reward.scores(prompts: prompts.map(promptText), responses: texts, batchSize: batchSize, normalized: true).map(Double.init)
    }
}

extension PreferenceEvaluation {
    /// The evaluation of `scorer`'s raw rewards on comparisons (each response scored once).
    public static func of(_ scorer: any TextRewardScorer, on comparisons: [Comparison], settings: PreferenceLossSettings, batchSize: Int = 32) throws -> PreferenceEvaluation {
        var prompts: [String] = [], responses: [String] = [], rankings: [ScoredRanking] = []
        for (index, comparison) in comparisons.enumerated() {
            try comparison.validate(index: index)
            rankings.append(ScoredRanking(offset: responses.count, tiers: comparison.tiers, weight: comparison.weight))
            prompts += comparison.responses.map { _ in comparison.prompt }
            responses += comparison.responses
        }
        let scores = try scorer.scores(prompts: prompts, responses: responses, batchSize: batchSize, normalized: false)
        return PreferenceEvaluation(scores: scores.map(Double.init), rankings: rankings, settings: settings)
    }
}

/// A reward function written in Swift over decoded text (rule-based rewards: a format check, a
/// length target, a keyword), for PPO and best-of-N where no learned reward model is wanted.
public struct RuleBasedScorer: ResponseScorer {
    public let model: LanguageModel
    public let rule: (_ prompt: String, _ response: String) -> Double

    public init(model: LanguageModel, rule: @escaping (_ prompt: String, _ response: String) -> Double) {
        self.model = model
        self.rule = rule
    }

    public func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] {
        let stops = Set(model.stopTokens)
        return try zip(prompts, responses).map { prompt, response in
            rule(try model.decode(prompt), try model.decode(response.filter { !stops.contains($0) }))
        }
    }
}
