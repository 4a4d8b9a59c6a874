// One head-to-head result between two models, the unit every rating in this module consumes.

/// How a battle between `modelA` and `modelB` ended.
package enum BattleOutcome: String, Codable, Sendable, CaseIterable {
    /// `modelA`'s answer was preferred.
    case winA = "model_a"
    /// `modelB`'s answer was preferred.
    case winB = "model_b"
    /// Neither was preferred.
    case tie = "tie"
    /// Neither was preferred because both answers were unacceptable; rated as a tie, as FastChat does.
    case bothBad = "tie (bothbad)"

    /// The score `modelA` earns: 1 for a win, 0 for a loss, one half for either kind of tie.
    package var scoreA: Double {
        switch self {
        case .winA: 1
        case .winB: 0
        case .tie, .bothBad: 0.5
        }
    }
}

/// A comparison between answers of two different models; the raw material of Elo and Bradley-Terry.
package struct Battle: Codable, Sendable, Equatable, Hashable {
    /// The model whose answer stood first in the comparison.
    package var modelA: String
    /// The other model.
    package var modelB: String
    /// Who won.
    package var outcome: BattleOutcome

    /// Creates a battle; `modelA` and `modelB` should differ (same-model pairs say nothing about models).
    package init(modelA: String, modelB: String, outcome: BattleOutcome) {
        self.modelA = modelA
        self.modelB = modelB
        self.outcome = outcome
    }

    private enum CodingKeys: String, CodingKey {
        case modelA = "model_a"
        case modelB = "model_b"
        case outcome = "winner"
    }
}

extension Sequence<Battle> {
    /// Every model that appears in the battles, sorted by name.
    package var models: [String] {
        Set(flatMap { [$0.modelA, $0.modelB] }).sorted()
    }
}
