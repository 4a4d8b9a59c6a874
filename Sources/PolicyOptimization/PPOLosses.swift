// The losses of the optimisation phase as tensor expressions, so the tape differentiates them:
// PPO's clipped surrogate and clipped value loss, A2C's plain policy gradient, and the
// statistics TRL logs beside them.
import Tensors

public struct PolicyLossStatistics: Sendable {
    /// Fraction of real tokens where the clipped term was the larger (the clip was active), as TRL's pg_clipfrac.
    public var clipFraction: Double
    /// ½·mean((log π − log π_old)²) over real tokens.
    public var approximateKL: Double
    public var ratioMean: Double
    public var ratioVariance: Double
}

public enum PPOLosses {
    /// PPO's clipped surrogate: masked mean of max(−A·r, −A·clip(r, 1 − ε, 1 + ε)) with
    /// r = exp(log π − log π_old). `oldLogProbabilities`, `advantages` and `mask` are constants [B, R].
    public static func clippedPolicyLoss(
        logProbabilities: Tensor, oldLogProbabilities: Tensor, advantages: Tensor, mask: Tensor, clipRange: Float
    ) throws -> (loss: Tensor, statistics: PolicyLossStatistics) {
        let difference = try logProbabilities - oldLogProbabilities
        let ratio = difference.exp()
        let unclipped = try -advantages * ratio
        let clipped = try -advantages * ratio.clamped(to: (1 - clipRange)...(1 + clipRange))
        let loss = try Tensor.maximum(unclipped, clipped).maskedMean(mask)
        let active = zip(unclipped.scalars, clipped.scalars).map { $1 > $0 }
        return (loss, statistics(difference: difference.scalars, ratio: ratio.scalars, clipActive: active, mask: mask.scalars))
    }

    /// A2C's policy gradient: masked mean of −A·log π (one pass over fresh samples, no ratio).
    public static func policyGradientLoss(logProbabilities: Tensor, advantages: Tensor, mask: Tensor) throws -> Tensor {
        try (-advantages * logProbabilities).maskedMean(mask)
    }

    /// PPO's clipped value loss: ½·masked mean of max((v − G)², (v_old + clip(v − v_old, −c, c) − G)²).
    /// Returns the loss and the fraction of tokens where the clipped term was larger.
    public static func clippedValueLoss(
        values: Tensor, oldValues: Tensor, returns: Tensor, mask: Tensor, clipRange: Float
    ) throws -> (loss: Tensor, clipFraction: Double) {
        let unclipped = try (values - returns).squared()
        let clippedValues = try oldValues + (values - oldValues).clamped(to: -clipRange...clipRange)
        let clipped = try (clippedValues - returns).squared()
        let loss = try Tensor.maximum(unclipped, clipped).maskedMean(mask) * 0.5
        let (u, c, m) = (unclipped.scalars, clipped.scalars, mask.scalars)
        let total = m.reduce(0, +)
        let fraction = total == 0 ? 0 : Double(zip(zip(u, c), m).reduce(Float(0)) { $0 + ($1.0.1 > $1.0.0 ? $1.1 : 0) } / total)
        return (loss, fraction)
    }

    /// Plain squared error for A2C: ½·masked mean of (v − G)².
    public static func valueLoss(values: Tensor, returns: Tensor, mask: Tensor) throws -> Tensor {
        try (values - returns).squared().maskedMean(mask) * 0.5
    }

    static func statistics(difference: [Float], ratio: [Float], clipActive: [Bool], mask: [Float]) -> PolicyLossStatistics {
        var count = 0.0, clipped = 0.0, kl = 0.0, sum = 0.0, squares = 0.0
        for i in mask.indices where mask[i] != 0 {
            count += 1
            if clipActive[i] { clipped += 1 }
            kl += 0.5 * Double(difference[i]) * Double(difference[i])
            sum += Double(ratio[i])
            squares += Double(ratio[i]) * Double(ratio[i])
        }
        guard count > 0 else { return PolicyLossStatistics(clipFraction: 0, approximateKL: 0, ratioMean: 1, ratioVariance: 0) }
        let mean = sum / count
        return PolicyLossStatistics(clipFraction: clipped / count, approximateKL: kl / count, ratioMean: mean, ratioVariance: squares / count - mean * mean)
    }
}
