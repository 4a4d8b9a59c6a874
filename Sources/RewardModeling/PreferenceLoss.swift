// The reward model's training loss over a batch of judgments: each judgment's ranking
// likelihood, plus TRL's reward-centring term, averaged with the judgments' weights. One
// differentiable op on the flat score vector, with the gradient written out in Double.
import Foundation
import Tensors

/// The loss settings of reward-model training.
public struct PreferenceLossSettings: Codable, Sendable, Equatable {
    /// Bradley-Terry margin for strict pairs: −log σ(r_chosen − r_rejected − margin).
    public var margin: Float = 0
    /// Davidson's tie strength ν > 0: a tied pair has likelihood ν / (2·cosh(d/2) + ν).
    public var tieStrength: Float = 1
    /// TRL's `center_rewards_coefficient` η: adds η·(r_chosen + r_rejected)² per pair, and
    /// η·(2·r̄)² for a K-way ranking with mean reward r̄ (the same term for K = 2), so rewards
    /// stay near zero without changing which response wins.
    public var centeringCoefficient: Float = 0

    public init(margin: Float = 0, tieStrength: Float = 1, centeringCoefficient: Float = 0) {
        self.margin = margin
        self.tieStrength = tieStrength
        self.centeringCoefficient = centeringCoefficient
    }

    public func validate() throws {
        guard margin.isFinite else { throw RewardTrainingError.invalidSetting(field: "margin", expected: "a finite value") }
        guard tieStrength > 0, tieStrength.isFinite else {
            throw RewardTrainingError.invalidSetting(field: "tieStrength", expected: "a finite value > 0")
        }
        guard centeringCoefficient >= 0, centeringCoefficient.isFinite else {
            throw RewardTrainingError.invalidSetting(field: "centeringCoefficient", expected: "a finite value ≥ 0")
        }
    }
}

/// Where one judgment's responses sit in a flat score vector, with its tiers and weight.
public struct ScoredRanking: Sendable, Equatable {
    /// Index of the judgment's first response score; its K scores are contiguous.
    public var offset: Int
    public var tiers: [Int]
    public var weight: Float

    public init(offset: Int, tiers: [Int], weight: Float = 1) {
        self.offset = offset
        self.tiers = tiers
        self.weight = weight
    }
}

public enum PreferenceLoss {
    /// Σ_c w_c·(−log P_c + centring_c) / Σ_c w_c in Double, and its gradient with respect to
    /// every score (zero for a batch of zero total weight).
    public static func evaluate(
        scores: [Double], rankings: [ScoredRanking], settings: PreferenceLossSettings
    ) -> (value: Double, gradient: [Double]) {
        var gradient = [Double](repeating: 0, count: scores.count)
        let totalWeight = rankings.reduce(0) { $0 + Double($1.weight) }
        guard totalWeight > 0 else { return (0, gradient) }
        var value = 0.0
        let eta = Double(settings.centeringCoefficient)
        for ranking in rankings {
            let range = ranking.offset..<(ranking.offset + ranking.tiers.count)
            let own = Array(scores[range])
            let (nll, nllGradient) = RankingLikelihood.negativeLogLikelihood(
                scores: own, tiers: ranking.tiers, margin: Double(settings.margin), tieStrength: Double(settings.tieStrength))
            let count = Double(own.count)
            let doubledMean = 2 * own.reduce(0, +) / count
            let share = Double(ranking.weight) / totalWeight
            value += share * (nll + eta * doubledMean * doubledMean)
            for (k, i) in range.enumerated() {
                gradient[i] += share * (nllGradient[k] + eta * 2 * doubledMean * 2 / count)
            }
        }
        return (value, gradient)
    }
}

extension Tensor {
    /// The preference loss of the judgments in `rankings` over this flat score vector [N]: a
    /// scalar, recorded for backward when the scores are.
    public func preferenceLoss(_ rankings: [ScoredRanking], settings: PreferenceLossSettings) throws -> Tensor {
        guard shape.rank == 1 else {
            throw TensorError.invalidShape(operation: "preferenceLoss", shape, expected: "a flat score vector [N]")
        }
        if let bad = rankings.first(where: { $0.offset < 0 || $0.offset + $0.tiers.count > elementCount || $0.tiers.count < 2 }) {
            throw TensorError.invalidShape(
                operation: "preferenceLoss", shape, expected: "rankings of ≥ 2 scores inside it (one covers \(bad.offset)..<\(bad.offset + bad.tiers.count))")
        }
        let (value, gradient) = PreferenceLoss.evaluate(scores: scalars.map(Double.init), rankings: rankings, settings: settings)
        let out = Tensor(Float(value))
        if let tape = Tape.recording(self) {
            let local = gradient.map(Float.init)
            out.record(on: tape) { dout in
                let upstream = dout[0]
                self.withGradient { dx, accumulate in
                    for i in 0..<self.elementCount { dx[i] = (accumulate ? dx[i] : 0) + upstream * local[i] }
                }
            }
        }
        return out
    }
}
