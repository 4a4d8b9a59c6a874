// Bradley-Terry ratings by maximum likelihood, on Chatbot Arena's Elo-like scale.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bradley-Terry maximum-likelihood ratings in FastChat's convention:
/// P(i beats j) = 1 / (1 + base^((R_j − R_i) / scale)), ties counting half a win each,
/// ratings centred so that their plain mean is `initialRating` (what an unpenalised logistic
/// regression started from zero converges to).
package struct BradleyTerry: Sendable, Equatable {
    /// Rating points per factor `base` in odds.
    package var scale: Double
    /// The odds base.
    package var base: Double
    /// The mean rating.
    package var initialRating: Double
    /// The ridge penalty (per squared log-`base` unit) used only when the plain MLE does not exist
    /// (a model never lost or never won): it keeps every rating finite, and the fit says it was used.
    package var fallbackPenalty: Double

    /// Creates a fitter; the defaults are FastChat's.
    package init(scale: Double = 400, base: Double = 10, initialRating: Double = 1000, fallbackPenalty: Double = 0.01) {
        self.scale = scale
        self.base = base
        self.initialRating = initialRating
        self.fallbackPenalty = fallbackPenalty
    }

    /// Ratings fitted to a tally.
    package struct Fit: Sendable, Equatable {
        /// Rating by model name.
        package var ratings: [String: Double]
        /// Whether the fallback penalty was needed because the plain MLE does not exist.
        package var isRegularized: Bool
    }

    /// The maximum-likelihood ratings of `battles`.
    package func fit(_ battles: [Battle]) -> Fit {
        fit(BattleTally(battles: battles))
    }

    /// The maximum-likelihood ratings of a tally.
    package func fit(_ tally: BattleTally) -> Fit {
        let penalty = tally.isStronglyConnected ? 0 : fallbackPenalty
        let strengths = newtonStrengths(tally, penalty: penalty)
        let mean = strengths.reduce(0, +) / Double(max(strengths.count, 1))
        var ratings: [String: Double] = [:]
        for (model, strength) in zip(tally.models, strengths) {
            ratings[model] = initialRating + scale * (strength - mean)
        }
        return Fit(ratings: ratings, isRegularized: penalty > 0)
    }

    /// Strengths in log-`base` units (rating = scale × strength), by damped Newton steps. Without a
    /// penalty the first strength is pinned at zero: the likelihood is shift-invariant, so pinning
    /// loses nothing and makes the Hessian invertible.
    private func newtonStrengths(_ tally: BattleTally, penalty: Double) -> [Double] {
        let n = tally.models.count
        var strengths = Array(repeating: 0.0, count: n)
        guard n > 1 else { return strengths }
        for _ in 0..<100 {
            let (gradient, hessian) = derivatives(tally, strengths, penalty: penalty)
            let free = Array((penalty > 0 ? 0 : 1)..<n)
            let reducedHessian = free.map { i in free.map { j in -hessian[i][j] } }
            guard let step = solveSymmetricPositiveDefinite(reducedHessian, free.map { gradient[$0] }) else { break }
            let largest = step.map(abs).max() ?? 0
            // Far from the optimum a full step can overshoot; a factor of 10 in odds per step is plenty.
            let damping = min(1, 1 / max(largest, 1e-300))
            for (k, i) in free.enumerated() {
                strengths[i] += damping * step[k]
            }
            if largest < 1e-13 { break }
        }
        return strengths
    }

    /// Gradient and Hessian of the log-likelihood minus the ridge term, in log-`base` units.
    private func derivatives(_ tally: BattleTally, _ strengths: [Double], penalty: Double) -> ([Double], [[Double]]) {
        let n = strengths.count
        let c = log(base)
        var gradient = strengths.map { -penalty * $0 }
        var hessian = (0..<n).map { i in (0..<n).map { j in i == j ? -penalty : 0.0 } }
        for i in 0..<n {
            for j in 0..<n where j != i {
                let games = tally.games(i, j)
                guard games > 0 else { continue }
                let p = 1 / (1 + exp(-c * (strengths[i] - strengths[j])))
                gradient[i] += c * (tally.score[i][j] - games * p)
                let curvature = c * c * games * p * (1 - p)
                hessian[i][i] -= curvature
                hessian[i][j] += curvature
            }
        }
        return (gradient, hessian)
    }
}
