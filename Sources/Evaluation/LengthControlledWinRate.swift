// The length-controlled win rate of AlpacaEval 2.0 (Dubois et al. 2024, "Length-Controlled
// AlpacaEval"; alpaca_eval/metrics/glm_winrate.py): a logistic model of each prompt's outcome on a
// model term θ and a length term tanh(Δ/σ), Δ the length difference of the two answers and σ its
// standard deviation over the prompts; the controlled win rate is the predicted win probability
// at Δ = 0, σ(θ). A judge that only rewards length loads on the length term and leaves θ ≈ 0.
//
// As there, a tie is the soft label ½ (their preference 1.5 − 1) and the loss is the log loss
// against soft labels (their rows duplicated with weights p and 1 − p), with no separate
// intercept. AlpacaEval's instruction-difficulty term needs per-instruction data from many
// models and is left out, so σ(θ) is the same for every prompt. Their fit is L1-regularised with
// cross-validated strength; this one is L2 with a fixed λ (sklearn's C = 1/λ, AlpacaEval's
// no-CV default C = 100), which keeps the objective strictly convex for Newton's method and the
// coefficients finite when the outcomes are separable (every longer answer wins).
import Foundation

public struct LengthControlledWinRate: Codable, Sendable, Equatable {
    /// Win probability at equal lengths, σ(θ).
    public var winRate: Double
    /// Bootstrap percentile interval of `winRate` over resampled prompts, or whole groups of them
    /// when the fit was given groups.
    public var lowerBound: Double
    public var upperBound: Double
    /// θ, the model term (logit of `winRate`).
    public var modelCoefficient: Double
    /// φ, the weight of tanh(Δ/σ): how much the judge rewards length (Δ = policy − baseline).
    public var lengthCoefficient: Double
    /// σ, the sample standard deviation of Δ the length term is scaled by.
    public var lengthDifferenceDeviation: Double
    public var bootstrapResamples: Int
    /// The groups the bootstrap drew whole (several prompts about one film), when it was given
    /// any; nil when it drew prompts, and in results saved before it could draw groups.
    public var resampledGroups: Int?
    /// The shares of prompts where the policy's answer was shorter and longer than the
    /// baseline's (nil in results saved before they were kept).
    public var policyShorterShare: Double?
    public var policyLongerShare: Double?

    /// Whether the policy was shorter, or longer, on more than 90% of prompts: the rate at equal
    /// lengths is then an extrapolation, and how the fit splits the effect between θ and φ rests
    /// on the few prompts that went the other way and on the penalty. Prompts of equal length sit
    /// at Δ = 0 itself, so they count against the flag, not for it.
    public var isExtrapolated: Bool {
        guard let shorter = policyShorterShare, let longer = policyLongerShare else { return false }
        return max(shorter, longer) > 0.9
    }

    public struct Settings: Codable, Sendable, Equatable {
        /// λ of the L2 penalty (λ/2)(θ² + φ²) added to the summed log loss. 0 is the plain
        /// maximum-likelihood fit, which fails (`separated`) when the outcomes, or a bootstrap
        /// resample of them, are all the same or split by length.
        public var penalty: Double = 0.01
        public var bootstrapResamples = 1000
        /// Coverage of the bootstrap interval.
        public var confidence: Double = 0.95
        public var seed: UInt64 = 0

        public init() {}
    }

    /// Fits the model to per-prompt `outcomes` (1 win, ½ tie, 0 loss of the policy) with the
    /// lengths of both answers, then bootstraps the prompts, or with `groups` (each prompt's
    /// group, such as its film) whole groups of them.
    public init(
        outcomes: [Double], policyLengths: [Double], baselineLengths: [Double], groups: [String]? = nil, settings: Settings = Settings()
    ) throws {
        let n = outcomes.count
        guard n > 0, policyLengths.count == n, baselineLengths.count == n, (groups?.count ?? n) == n else {
            throw LengthControlError.mismatchedCounts(
                outcomes: n, policyLengths: policyLengths.count, baselineLengths: baselineLengths.count, groups: groups?.count)
        }
        if let bad = outcomes.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) { throw LengthControlError.outcomeOutOfRange(index: bad, value: outcomes[bad]) }
        guard settings.penalty >= 0, settings.bootstrapResamples >= 0, settings.confidence > 0, settings.confidence < 1 else {
            throw LengthControlError.invalidSettings(settings)
        }
        let differences = zip(policyLengths, baselineLengths).map { $0 - $1 }
        let fit = try LogisticFit(outcomes: outcomes, differences: differences, penalty: settings.penalty)
        let drawn = groups.map(PromptGroups.init) ?? PromptGroups(rows: n)
        winRate = fit.winRate
        (lowerBound, upperBound) = settings.bootstrapResamples == 0
            ? (fit.winRate, fit.winRate)
            : try drawn.percentileInterval(resamples: settings.bootstrapResamples, confidence: settings.confidence, seed: settings.seed) { rows in
                try LogisticFit(outcomes: rows.map { outcomes[$0] }, differences: rows.map { differences[$0] }, penalty: settings.penalty).winRate
            }
        modelCoefficient = fit.coefficients.model
        lengthCoefficient = fit.coefficients.length
        lengthDifferenceDeviation = fit.deviation
        bootstrapResamples = settings.bootstrapResamples
        resampledGroups = groups == nil ? nil : drawn.members.count
        policyShorterShare = Double(differences.filter { $0 < 0 }.count) / Double(n)
        policyLongerShare = Double(differences.filter { $0 > 0 }.count) / Double(n)
    }
}

public enum LengthControlError: Error, Equatable, CustomStringConvertible {
    case mismatchedCounts(outcomes: Int, policyLengths: Int, baselineLengths: Int, groups: Int?)
    case outcomeOutOfRange(index: Int, value: Double)
    case invalidSettings(LengthControlledWinRate.Settings)
    case notConverged(iterations: Int, gradientNorm: Double)
    case separated(penalty: Double)

    public var description: String {
        switch self {
        case let .mismatchedCounts(outcomes, policy, baseline, groups):
            return "length control needs one policy and one baseline length per outcome (at least one), and one group each when grouped, got \(outcomes) outcomes, "
                + "\(policy) and \(baseline) lengths" + (groups.map { " and \($0) groups" } ?? "")
        case let .outcomeOutOfRange(index, value): return "outcome \(index) is \(value); outcomes are 1 (win), 0.5 (tie) or 0 (loss)"
        case let .invalidSettings(settings):
            return "length-control settings need penalty ≥ 0, bootstrapResamples ≥ 0 and confidence in (0, 1), got \(settings)"
        case let .notConverged(iterations, norm):
            return "the length-controlled GLM did not converge in \(iterations) Newton steps (gradient norm \(norm)); use a positive penalty"
        case let .separated(penalty):
            return "the outcomes are separated (by length, or all the same) and the fit with penalty \(penalty) has no finite estimate; use a positive penalty"
        }
    }
}

/// The penalised maximum-likelihood fit of logit p = θ + φ·tanh(Δ/σ), by Newton's method with a
/// halving line search (the objective is convex, strictly so when λ > 0).
struct LogisticFit {
    var coefficients: (model: Double, length: Double)
    /// σ, the sample standard deviation of Δ (ddof 1, as pandas' std); 0 leaves the length term 0.
    var deviation: Double

    var winRate: Double { Self.logistic(coefficients.model) }

    init(outcomes y: [Double], differences: [Double], penalty λ: Double, maximumIterations: Int = 100) throws {
        let n = Double(y.count)
        let mean = differences.reduce(0, +) / n
        let variance = y.count > 1 ? differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
        deviation = variance.squareRoot()
        let scale = deviation
        let t = differences.map { scale > 0 ? Foundation.tanh($0 / scale) : 0 }

        func loss(_ b: (Double, Double)) -> Double {
            var total = 0.5 * λ * (b.0 * b.0 + b.1 * b.1)
            for i in y.indices {
                let eta = b.0 + b.1 * t[i]
                total += Self.softplus(eta) - y[i] * eta
            }
            return total
        }
        var b = (0.0, 0.0)
        var current = loss(b)
        for _ in 0..<maximumIterations {
            var g = (λ * b.0, λ * b.1), h = (λ, 0.0, λ)
            for i in y.indices {
                let p = Self.logistic(b.0 + b.1 * t[i]), w = p * (1 - p)
                g.0 += p - y[i]
                g.1 += (p - y[i]) * t[i]
                h.0 += w
                h.1 += w * t[i]
                h.2 += w * t[i] * t[i]
            }
            if max(abs(g.0), abs(g.1)) <= 1e-12 * max(n, 1) { break }
            let determinant = h.0 * h.2 - h.1 * h.1
            // A singular Hessian (λ = 0 with a constant length term): step along θ alone.
            let step = determinant > 1e-300 * max(1, h.0 * h.2)
                ? ((h.2 * g.0 - h.1 * g.1) / determinant, (h.0 * g.1 - h.1 * g.0) / determinant)
                : (g.0 / max(h.0, 1e-300), 0.0)
            var size = 1.0, next = (b.0 - step.0, b.1 - step.1), candidate = loss(next)
            // Rounding can make the exact minimiser look a hair worse than its neighbour.
            while candidate > current + 1e-14 * max(1, abs(current)), size > 1e-12 {
                size /= 2
                next = (b.0 - size * step.0, b.1 - size * step.1)
                candidate = loss(next)
            }
            if next == b { break }
            (b, current) = (next, candidate)
        }
        var residual = (λ * b.0, λ * b.1)
        for i in y.indices {
            let p = Self.logistic(b.0 + b.1 * t[i])
            residual.0 += p - y[i]
            residual.1 += (p - y[i]) * t[i]
        }
        // Without a penalty, separated outcomes (every longer answer wins, or every answer) drive
        // the coefficients to infinity while the gradient vanishes: no estimate to report.
        guard t.allSatisfy({ abs(b.0 + b.1 * $0) <= Self.largestLogit }) else { throw LengthControlError.separated(penalty: λ) }
        let norm = max(abs(residual.0), abs(residual.1))
        guard norm.isFinite, norm <= 1e-6 * max(n, 1) else { throw LengthControlError.notConverged(iterations: maximumIterations, gradientNorm: norm) }
        coefficients = (b.0, b.1)
    }

    /// A fitted logit beyond which no sample of realistic size places an estimate (p within 10⁻¹¹
    /// of 0 or 1; with λ = 0.01 even a million straight wins fit a logit near 16).
    static let largestLogit = 25.0

    static func logistic(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }

    /// log(1 + eˣ) without overflow.
    static func softplus(_ x: Double) -> Double {
        x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
    }
}
