// The outlier check: how often each annotator sides with the rest of the panel on the completion
// pairs they judged in common, and who falls far below everyone else.
//
// FastChat's arena does the like for votes (`outlier_detect` in its Elo analysis): it compares
// each voter's votes on a model pair with all votes on that pair and drops voters whose votes are
// too unlikely under them. Here judgments are rankings of the same completions by several
// annotators, so the reference is sharper: the majority of the *other* annotators on the very same
// pair (leave-one-out, so nobody is measured against their own judgment).

/// One annotator's agreement with the leave-one-out majority.
package struct AnnotatorAgreement: Codable, Sendable, Equatable {
    /// The annotator's name.
    package var name: String
    /// Completion pairs this annotator judged where the other annotators had a clear majority.
    package var comparedPairs: Int
    /// The fraction of those pairs where this annotator sided with that majority.
    package var agreement: Double
    /// Far enough below the panel's median, on enough pairs, to be worth an administrator's look.
    package var isFlagged: Bool
    /// Whether an administrator excluded this annotator's judgments from exports.
    package var isExcluded: Bool
}

/// When an annotator counts as an outlier.
package struct OutlierPolicy: Sendable, Equatable {
    /// Pairs needed before an annotator is judged at all.
    package var minimumPairs: Int
    /// How far below the panel's median agreement flags an annotator.
    package var margin: Double

    /// Ten pairs (a few tasks of three or four answers), a quarter below the median: an annotator
    /// answering at random agrees about half the time where the panel agrees most of the time.
    package static let standard = OutlierPolicy(minimumPairs: 10, margin: 0.25)

    package init(minimumPairs: Int, margin: Double) {
        self.minimumPairs = minimumPairs
        self.margin = margin
    }
}

extension [RankedComparison] {
    /// Each annotator's (agreed, compared) counts against the leave-one-out majority. A pair's
    /// verdict is which completion is better, or a tie; a majority needs a unique most common
    /// verdict among at least two other annotators.
    package func leaveOneOutAgreement() -> [String: (agreed: Int, compared: Int)] {
        var counts: [String: (agreed: Int, compared: Int)] = [:]
        for judgments in Dictionary(grouping: self, by: \.taskID).values where judgments.count >= 3 {
            let verdicts = judgments.map { ($0.annotator, $0.pairVerdicts) }
            for (annotator, own) in verdicts {
                var entry = counts[annotator] ?? (0, 0)
                for (pair, verdict) in own {
                    let others = verdicts.filter { $0.0 != annotator }.compactMap { $0.1[pair] }
                    guard others.count >= 2, let majority = others.uniqueMostCommon else { continue }
                    entry.compared += 1
                    if verdict == majority { entry.agreed += 1 }
                }
                counts[annotator] = entry
            }
        }
        return counts
    }
}

extension RankedComparison {
    /// For every pair of completions (in the task's order): -1 when the first is better, 1 when
    /// the second is, 0 for a tie.
    fileprivate var pairVerdicts: [PairKey: Int] {
        var verdicts: [PairKey: Int] = [:]
        for (i, a) in completions.enumerated() {
            for b in completions[(i + 1)...] {
                verdicts[PairKey(first: a.completionID, second: b.completionID)] = a.tier < b.tier ? -1 : a.tier > b.tier ? 1 : 0
            }
        }
        return verdicts
    }
}

private struct PairKey: Hashable {
    var first: Int64
    var second: Int64
}

extension Array where Element == Int {
    /// The value seen most often, when no other value is seen as often.
    fileprivate var uniqueMostCommon: Int? {
        let counts = Dictionary(grouping: self) { $0 }.mapValues(\.count)
        guard let top = counts.values.max(), counts.values.filter({ $0 == top }).count == 1 else { return nil }
        return counts.first { $0.value == top }?.key
    }
}

extension FeedbackStore {
    /// Every annotator's agreement with the panel, lowest first, flagged by `policy`. Excluded
    /// annotators are measured too, so an administrator sees whether excluding them was right.
    package func annotatorAgreement(policy: OutlierPolicy = .standard) async throws -> [AnnotatorAgreement] {
        let counts = try await rankedComparisons(includingExcluded: true).leaveOneOutAgreement()
        let people = try await database.read { transaction in
            try await transaction.rows("SELECT name, excludedFromExports FROM annotator ORDER BY name").map {
                (name: try $0["name"] as String, excluded: try $0["excludedFromExports"] as Bool)
            }
        }
        let rated = counts.values.filter { $0.compared >= policy.minimumPairs }.map { Double($0.agreed) / Double($0.compared) }.sorted()
        let median = rated.isEmpty ? nil : (rated[(rated.count - 1) / 2] + rated[rated.count / 2]) / 2
        return people.compactMap { person in
            guard let count = counts[person.name], count.compared > 0 else { return nil }
            let agreement = Double(count.agreed) / Double(count.compared)
            let flagged = median.map { count.compared >= policy.minimumPairs && agreement < $0 - policy.margin } ?? false
            return AnnotatorAgreement(
                name: person.name, comparedPairs: count.compared, agreement: agreement, isFlagged: flagged, isExcluded: person.excluded)
        }.sorted { ($0.agreement, $0.name) < ($1.agreement, $1.name) }
    }

    /// Leaves `name`'s judgments out of (or back in) training files and the leaderboard.
    package func setExcludedFromExports(_ excluded: Bool, annotatorNamed name: String) async throws {
        try await database.write { transaction in
            guard try await transaction.row(
                "UPDATE annotator SET excludedFromExports = ? WHERE name = ? RETURNING id", .bool(excluded), .text(name)) != nil
            else { throw FeedbackError.annotatorNotFound(name) }
        }
    }
}
