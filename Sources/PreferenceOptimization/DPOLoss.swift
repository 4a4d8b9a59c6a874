// TRL's DPOTrainer losses over a batch of preference pairs: DPO's sigmoid loss, its conservative
// form with label smoothing ε (cDPO), and IPO's squared loss on per-token-averaged log-ratios,
// with the implicit rewards TRL logs. One differentiable op on the policy's sequence
// log-probabilities, evaluated and differentiated in Double.
import Foundation
import Tensors

public enum PreferenceLossType: String, Codable, Sendable, CaseIterable {
    /// DPO: −(1−ε)·log σ(β·h) − ε·log σ(−β·h), h the difference of the pair's log-ratios.
    case sigmoid
    /// IPO: (h̄ − 1/(2β))², h̄ the difference of the log-ratios averaged over each response's tokens.
    case ipo
}

/// The loss settings of preference optimisation (TRL's `beta`, `loss_type`, `label_smoothing`).
public struct DPOLossSettings: Codable, Sendable, Equatable {
    /// How far the policy may move from the reference: larger β keeps it closer (IPO's τ).
    public var beta: Double = 0.1
    public var loss: PreferenceLossType = .sigmoid
    /// cDPO's ε: the probability that a pair's label is flipped (sigmoid loss only).
    public var labelSmoothing: Double = 0

    public init(beta: Double = 0.1, loss: PreferenceLossType = .sigmoid, labelSmoothing: Double = 0) {
        self.beta = beta
        self.loss = loss
        self.labelSmoothing = labelSmoothing
    }

    public func validate() throws {
        guard beta > 0, beta.isFinite else { throw PreferenceOptimizationError.invalidSetting(field: "beta", expected: "a finite value > 0") }
        guard labelSmoothing >= 0, labelSmoothing < 0.5 else {
            throw PreferenceOptimizationError.invalidSetting(field: "labelSmoothing", expected: "a value in [0, 0.5)")
        }
        if loss == .ipo, labelSmoothing != 0 {
            throw PreferenceOptimizationError.invalidSetting(field: "labelSmoothing", expected: "0 with the ipo loss (it applies to the sigmoid loss)")
        }
    }
}

/// A pair's summed response log-probabilities (or their gradients).
public struct PairLogProbabilities: Codable, Sendable, Equatable {
    public var chosen: Double
    public var rejected: Double

    public init(chosen: Double, rejected: Double) {
        self.chosen = chosen
        self.rejected = rejected
    }
}

/// A pair's response lengths in tokens, which IPO averages over.
public struct PairLengths: Sendable, Equatable {
    public var chosen: Int
    public var rejected: Int

    public init(chosen: Int, rejected: Int) {
        self.chosen = chosen
        self.rejected = rejected
    }
}

/// What TRL logs about a batch: the implicit rewards β·(log π − log π_ref) of the summed
/// log-probabilities, whether the chosen one's is strictly higher, and the policy's log-probabilities.
public struct DPOStatistics: Sendable, Equatable {
    public var chosenReward = 0.0
    public var rejectedReward = 0.0
    public var accuracy = 0.0
    public var margin = 0.0
    public var chosenLogProbability = 0.0
    public var rejectedLogProbability = 0.0

    public init() {}

    /// The statistics under TRL's metric names.
    public var metrics: [String: Double] {
        [
            "rewards/chosen": chosenReward, "rewards/rejected": rejectedReward, "rewards/accuracies": accuracy,
            "rewards/margins": margin, "logps/chosen": chosenLogProbability, "logps/rejected": rejectedLogProbability,
        ]
    }
}

public enum DPOLoss {
    /// The mean loss over the pairs, its gradient with respect to each policy log-probability,
    /// and the batch's statistics, all in Double.
    public static func evaluate(
        policy: [PairLogProbabilities], reference: [PairLogProbabilities], lengths: [PairLengths], settings: DPOLossSettings
    ) -> (value: Double, gradient: [PairLogProbabilities], statistics: DPOStatistics) {
        var statistics = DPOStatistics()
        guard !policy.isEmpty else { return (0, [], statistics) }
        let (beta, epsilon, share) = (settings.beta, settings.labelSmoothing, 1 / Double(policy.count))
        var value = 0.0
        var gradient: [PairLogProbabilities] = []
        gradient.reserveCapacity(policy.count)
        for i in policy.indices {
            let (chosenRatio, rejectedRatio) = (policy[i].chosen - reference[i].chosen, policy[i].rejected - reference[i].rejected)
            switch settings.loss {
            case .sigmoid:
                let z = beta * (chosenRatio - rejectedRatio)
                value += share * (-(1 - epsilon) * logSigmoid(z) - epsilon * logSigmoid(-z))
                // d/dz: −(1−ε)·σ(−z) + ε·σ(z); h moves with the chosen log-probability and against the rejected.
                let slope = share * beta * (-(1 - epsilon) * sigmoid(-z) + epsilon * sigmoid(z))
                gradient.append(PairLogProbabilities(chosen: slope, rejected: -slope))
            case .ipo:
                let (chosenTokens, rejectedTokens) = (Double(max(1, lengths[i].chosen)), Double(max(1, lengths[i].rejected)))
                let error = chosenRatio / chosenTokens - rejectedRatio / rejectedTokens - 1 / (2 * beta)
                value += share * error * error
                gradient.append(PairLogProbabilities(chosen: share * 2 * error / chosenTokens, rejected: -share * 2 * error / rejectedTokens))
            }
            let (chosenReward, rejectedReward) = (beta * chosenRatio, beta * rejectedRatio)
            statistics.chosenReward += share * chosenReward
            statistics.rejectedReward += share * rejectedReward
            statistics.accuracy += chosenReward > rejectedReward ? share : 0
            statistics.margin += share * (chosenReward - rejectedReward)
            statistics.chosenLogProbability += share * policy[i].chosen
            statistics.rejectedLogProbability += share * policy[i].rejected
        }
        return (value, gradient, statistics)
    }

    /// log σ(x) without overflow or cancellation in either tail.
    static func logSigmoid(_ x: Double) -> Double {
        x >= 0 ? -Foundation.log1p(Foundation.exp(-x)) : x - Foundation.log1p(Foundation.exp(x))
    }

    static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }
}

extension Tensor {
    /// The preference loss of a batch of B pairs, where self [2B] holds the policy's summed
    /// response log-probabilities, the B chosen responses first and then the B rejected ones in
    /// the same order: a scalar, recorded for backward when self is, and the batch's statistics.
    public func directPreferenceLoss(
        reference: [PairLogProbabilities], lengths: [PairLengths], settings: DPOLossSettings
    ) throws -> (loss: Tensor, statistics: DPOStatistics) {
        let pairs = reference.count
        guard shape.rank == 1, elementCount == 2 * pairs, lengths.count == pairs, pairs > 0 else {
            throw TensorError.invalidShape(
                operation: "directPreferenceLoss", shape, expected: "[2·\(pairs)] log-probabilities for \(pairs) reference pairs and \(lengths.count) lengths")
        }
        let values = scalars
        let policy = (0..<pairs).map { PairLogProbabilities(chosen: Double(values[$0]), rejected: Double(values[pairs + $0])) }
        let (value, gradient, statistics) = DPOLoss.evaluate(policy: policy, reference: reference, lengths: lengths, settings: settings)
        let out = Tensor(Float(value))
        if let tape = Tape.recording(self) {
            let local = gradient.map { Float($0.chosen) } + gradient.map { Float($0.rejected) }
            out.record(on: tape) { dout in
                let upstream = dout[0]
                self.withGradient { dx, accumulate in
                    for i in 0..<self.elementCount { dx[i] = (accumulate ? dx[i] : 0) + upstream * local[i] }
                }
            }
        }
        return (out, statistics)
    }
}
