// The two policies' curves averaged over seeds, and the budget share active selection needs to
// reach the accuracy random selection ends with.

/// Both policies' curves over several seeds.
package struct ActiveCurveSummary: Codable, Sendable, Equatable {
    /// Each seed's curve per policy.
    package var active: [[CurvePoint]]
    package var random: [[CurvePoint]]

    package init(active: [[CurvePoint]], random: [[CurvePoint]]) {
        self.active = active
        self.random = random
    }

    /// The seeds' mean curve: round by round, mean labels and mean accuracy.
    package static func mean(_ curves: [[CurvePoint]]) -> [CurvePoint] {
        guard let rounds = curves.map(\.count).min(), rounds > 0 else { return [] }
        return (0..<rounds).map { round in
            let points = curves.map { $0[round] }
            return CurvePoint(
                labels: points.map(\.labels).reduce(0, +) / points.count,
                accuracy: points.map(\.accuracy).reduce(0, +) / Double(points.count))
        }
    }

    /// Random selection's mean accuracy with the whole budget.
    package var randomFinalAccuracy: Double? { Self.mean(random).last?.accuracy }

    /// The fewest labels with which active selection's mean curve reaches `randomFinalAccuracy`,
    /// or nil if it never does.
    package var activeLabelsToMatchRandom: Int? {
        guard let target = randomFinalAccuracy else { return nil }
        return Self.mean(active).first(where: { $0.accuracy >= target })?.labels
    }

    /// `activeLabelsToMatchRandom` as a share of random selection's whole budget.
    package var activeShareToMatchRandom: Double? {
        guard let labels = activeLabelsToMatchRandom, let budget = Self.mean(random).last?.labels, budget > 0 else { return nil }
        return Double(labels) / Double(budget)
    }
}
