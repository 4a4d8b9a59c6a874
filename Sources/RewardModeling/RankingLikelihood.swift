// The likelihood of one judgment given the rewards of its responses, with its gradient, in
// Double: Bradley-Terry for a strict pair (with an optional margin), Plackett-Luce over a whole
// strict ranking, and Davidson-Luce for rankings with ties (Davidson's tie model for a pair).

import Foundation

/// Which likelihood a ranking is scored by, chosen from its shape.
public enum RankingModel: String, Codable, Sendable, Equatable {
    /// Two responses in different tiers: −log σ(r_chosen − r_rejected − margin).
    case bradleyTerry
    /// Three or more responses, all in different tiers: Plackett-Luce over the whole order.
    case plackettLuce
    /// Any ranking with a tie: Davidson-Luce with every tie weight δ_t (t ≥ 2) equal to ν.
    case davidsonLuce

    /// The model for a ranking with these tiers.
    public init(tiers: [Int]) {
        if Set(tiers).count < tiers.count {
            self = .davidsonLuce
        } else {
            self = tiers.count == 2 ? .bradleyTerry : .plackettLuce
        }
    }
}

/// Negative log-likelihoods of rankings. For a ranking G₁ ≻ G₂ ≻ … of tie groups (tiers), the
/// Davidson-Luce model (Firth, Kosmidis & Turner) picks each group from what remains, R, with
/// probability δ_|G|·(Π_{i∈G} e^{r_i})^{1/|G|} / Σ_{S⊆R, S≠∅} δ_|S|·(Π_{i∈S} e^{r_i})^{1/|S|},
/// δ₁ = 1. For a tied pair this is Davidson's P(tie) = ν / (2·cosh(d/2) + ν), d = r₁ − r₂.
/// Rankings without a tie are scored with no tie outcome available (δ_t = 0 for t ≥ 2): that
/// is exactly Plackett-Luce, and Bradley-Terry for a pair, so strict pairs keep TRL's loss.
public enum RankingLikelihood {
    /// Rankings with ties enumerate the subsets of what remains: 2^K terms per stage.
    public static let maximumResponses = 12

    /// −log P(ranking | scores) and its gradient with respect to the scores.
    /// - Parameters:
    ///   - tiers: each response's tier (0 best; equal tiers tie); at least two responses.
    ///   - margin: subtracted from the reward difference of a strict pair (Bradley-Terry only).
    ///   - tieStrength: Davidson's ν > 0, used when the ranking has a tie.
    public static func negativeLogLikelihood(
        scores: [Double], tiers: [Int], margin: Double = 0, tieStrength: Double = 1
    ) -> (value: Double, gradient: [Double]) {
        let groups = tieGroups(tiers)
        switch RankingModel(tiers: tiers) {
        case .bradleyTerry:
            return bradleyTerry(better: groups[0][0], worse: groups[1][0], scores: scores, margin: margin)
        case .plackettLuce:
            return stagewise(groups, scores: scores) { remaining in remaining.map { [$0] } }
        case .davidsonLuce:
            let logTie = log(tieStrength)
            return stagewise(groups, scores: scores, logWeight: { $0 == 1 ? 0 : logTie }) { remaining in
                (1..<(1 << remaining.count)).map { mask in remaining.indices.filter { mask >> $0 & 1 == 1 }.map { remaining[$0] } }
            }
        }
    }

    /// Response indices grouped by tier, best tier first.
    static func tieGroups(_ tiers: [Int]) -> [[Int]] {
        Dictionary(grouping: tiers.indices, by: { tiers[$0] }).sorted { $0.key < $1.key }.map(\.value)
    }

    /// −log σ(r_b − r_w − m) = softplus(m − (r_b − r_w)), computed without overflow.
    static func bradleyTerry(better: Int, worse: Int, scores: [Double], margin: Double) -> (value: Double, gradient: [Double]) {
        let x = margin - (scores[better] - scores[worse])
        let value = max(x, 0) + log1p(exp(-abs(x)))
        let slope = 1 / (1 + exp(-x))  // σ(x) = d softplus(x) / dx
        var gradient = [Double](repeating: 0, count: scores.count)
        gradient[better] = -slope
        gradient[worse] = slope
        return (value, gradient)
    }

    /// Σ over stages of log Σ_{S ∈ candidates(R)} w(S) − log w(G), where w(S) = δ_|S|·exp(mean r_S)
    /// and R is what remains before group G is chosen. A last stage with a single response
    /// contributes nothing (its only candidate is itself).
    static func stagewise(
        _ groups: [[Int]], scores: [Double], logWeight: (Int) -> Double = { _ in 0 },
        candidates: ([Int]) -> [[Int]]
    ) -> (value: Double, gradient: [Double]) {
        var value = 0.0
        var gradient = [Double](repeating: 0, count: scores.count)
        var remaining = groups.flatMap { $0 }
        for group in groups {
            let sets = candidates(remaining)
            let logits = sets.map { set in logWeight(set.count) + set.reduce(0) { $0 + scores[$1] } / Double(set.count) }
            let top = logits.max()!
            let weights = logits.map { exp($0 - top) }
            let total = weights.reduce(0, +)
            value += top + log(total) - (logWeight(group.count) + group.reduce(0) { $0 + scores[$1] } / Double(group.count))
            for (set, weight) in zip(sets, weights) {
                let share = weight / total / Double(set.count)
                for i in set { gradient[i] += share }
            }
            for i in group { gradient[i] -= 1 / Double(group.count) }
            remaining.removeAll { group.contains($0) }
        }
        return (value, gradient)
    }
}
