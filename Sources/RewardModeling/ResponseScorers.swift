// What scores responses, at two levels: token ids, as PPO rolls them out and evaluation samples
// them, and text, as the reward commands read it. Both kinds of reward model (a fine-tuned GPT-2
// with a scalar head, a head on a frozen pretrained backbone) score text and are loaded from
// their folders by what config.json names; the fine-tuned one also scores tokens, which is what
// PPO trains against. Judges that are not reward models conform elsewhere.
import Foundation

/// What turns (prompt, response) token-id pairs into scores: the reward model, or any judge.
public protocol ResponseScorer {
    func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double]
}

/// What the commands need of any reward model: rewards of text pairs.
public protocol TextRewardScorer: AnyObject {
    /// Rewards of (prompt, response) texts; the raw head outputs when not `normalized`.
    func scores(prompts: [String], responses: [String], batchSize: Int, normalized: Bool) throws -> [Float]
}

extension RewardModel: TextRewardScorer {}

/// The reward model's normalised scores of token ids.
public struct RewardScorer: ResponseScorer {
    public let model: RewardModel

    public init(model: RewardModel) {
        self.model = model
    }

    public func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] {
        try model.scores(prompts: prompts, responses: responses).map(Double.init)
    }
}

public enum RewardModels {
    /// The reward model in `folder`, of whichever kind its config.json describes.
    public static func load(from folder: URL) throws -> any TextRewardScorer {
        FrozenBackboneRewardModel.isFrozenBackboneFolder(folder)
            ? try FrozenBackboneRewardModel.load(from: folder) : try RewardModel.load(from: folder)
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
