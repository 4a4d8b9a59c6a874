// The arithmetic of PPO for language models as pure functions on [B, R] arrays (rows of
// response tokens, a 0/1 mask for real tokens): KL estimators, the per-token reward with its KL
// penalty, masked whitening, GAE and the adaptive KL controller. The formulas follow TRL's
// PPOTrainer and OpenAI's lm-human-preferences; scripts/make_ppo_fixtures.py computes the same
// numbers for the tests.
#if canImport(Glibc)
import Glibc
#endif

/// A [rows, columns] array of Doubles, row-major.
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "\(values.count) values for a \(rows)×\(columns) matrix")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        self.init(rows: rows, columns: columns, values: Array(repeating: value, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// Σ over each row.
    public var rowSums: [Double] {
        (0..<rows).map { r in values[(r * columns)..<((r + 1) * columns)].reduce(0, +) }
    }
}

public enum KLEstimator: String, Codable, Sendable {
    /// log π − log π_ref: unbiased, can be negative per token.
    case k1
    /// (r − 1) − log r with r = π_ref/π: unbiased, never negative, lower variance.
    case k3
}

public enum RLHFMath {
    /// Per-token KL estimates of the policy from the reference, 0 at padding.
    public static func kl(logProbabilities: Matrix, referenceLogProbabilities: Matrix, mask: Matrix, estimator: KLEstimator) -> Matrix {
        var out = logProbabilities
        for i in out.values.indices {
            let logRatio = referenceLogProbabilities.values[i] - logProbabilities.values[i]
            let value = estimator == .k1 ? -logRatio : (exp(logRatio) - 1) - logRatio
            out.values[i] = mask.values[i] == 0 ? 0 : value
        }
        return out
    }

    /// −β·KL per token, plus each row's score on its last real token (TRL's reward shaping).
    public static func rewards(scores: [Double], kl: Matrix, coefficient: Double, mask: Matrix) -> (rewards: Matrix, nonScore: Matrix) {
        var nonScore = kl
        for i in nonScore.values.indices { nonScore.values[i] = -coefficient * kl.values[i] }
        var rewards = nonScore
        for row in 0..<kl.rows {
            guard let last = (0..<kl.columns).last(where: { mask[row, $0] != 0 }) else { continue }
            rewards[row, last] += scores[row]
        }
        return (rewards, nonScore)
    }

    /// (x − mean)/√(var + 1e-8) over the masked entries (unbiased variance, as TRL's masked_whiten);
    /// with `shiftMean: false` the mean is added back. Unmasked entries pass through.
    public static func whiten(_ x: Matrix, mask: Matrix, shiftMean: Bool = true) -> Matrix {
        let (mean, variance) = maskedMeanAndVariance(x, mask: mask)
        var out = x
        for i in out.values.indices where mask.values[i] != 0 {
            out.values[i] = (x.values[i] - mean) / (variance + 1e-8).squareRoot() + (shiftMean ? 0 : mean)
        }
        return out
    }

    static func maskedMeanAndVariance(_ x: Matrix, mask: Matrix) -> (Double, Double) {
        let count = mask.values.reduce(0, +)
        guard count > 0 else { return (0, 0) }
        let mean = zip(x.values, mask.values).reduce(0) { $0 + $1.0 * $1.1 } / count
        let squares = zip(x.values, mask.values).reduce(0) { $0 + ($1.0 - mean) * ($1.0 - mean) * $1.1 }
        // Bessel's correction, as TRL's masked_var(unbiased=True).
        return (mean, count > 1 ? squares / (count - 1) : 0)
    }

    /// Generalised advantage estimation over each row, the returns advantages + values, and the
    /// advantages whitened over real tokens (0 at padding). The episode ends at a row's last real
    /// token, so later values count as 0 (TRL keeps one more value, read at a padding position).
    public static func advantages(rewards: Matrix, values: Matrix, mask: Matrix, gamma: Double, lambda: Double) -> (advantages: Matrix, returns: Matrix) {
        var advantages = Matrix(rows: rewards.rows, columns: rewards.columns)
        var values = values
        for i in values.values.indices where mask.values[i] == 0 { values.values[i] = 0 }
        for row in 0..<rewards.rows {
            var running = 0.0
            for t in stride(from: rewards.columns - 1, through: 0, by: -1) {
                let next = t + 1 < rewards.columns ? values[row, t + 1] : 0
                let delta = rewards[row, t] + gamma * next - values[row, t]
                running = delta + gamma * lambda * running
                advantages[row, t] = running
            }
        }
        var returns = advantages
        for i in returns.values.indices { returns.values[i] += values.values[i] }
        var whitened = whiten(advantages, mask: mask)
        for i in whitened.values.indices where mask.values[i] == 0 { whitened.values[i] = 0 }
        return (whitened, returns)
    }
}

/// The KL coefficient β: fixed, or adapted towards a target KL per response as in
/// lm-human-preferences: e = clip(KL/target − 1, −0.2, 0.2), β ← β·(1 + e·n/horizon).
public struct KLController: Codable, Sendable, Equatable {
    public var coefficient: Double
    /// nil keeps β fixed.
    public var target: Double?
    public var horizon: Double

    public init(coefficient: Double, target: Double? = nil, horizon: Double = 10_000) {
        self.coefficient = coefficient
        self.target = target
        self.horizon = horizon
    }

    /// Updates β after an iteration that saw mean KL `kl` over `samples` episodes.
    public mutating func update(kl: Double, samples: Int) {
        guard let target else { return }
        let error = min(max(kl / target - 1, -0.2), 0.2)
        coefficient *= 1 + error * Double(samples) / horizon
    }
}
