// The final check: what the database holds against what the clients were told.

import Feedback

/// Lost and duplicated judgments after the run.
///
/// The semantics checked: a judgment the server acknowledged is stored, for that annotator and
/// task, with the tiers submitted; an annotator is never handed a task they already judged; a
/// submission sent again after a kill (to the restarted server or another one) is stored once,
/// under the id of the first, since submitting is an upsert on (task, annotator).
struct LoadAudit {
    /// Distinct judgments acknowledged.
    var acknowledged = 0
    /// Judgments the database holds.
    var stored = 0
    /// Acknowledged judgments absent from the database, or stored for another annotator or task.
    var missing: [Int64] = []
    /// Acknowledged judgments stored with other tiers than the last acknowledged submission's.
    var altered: [Int64] = []
    /// Tasks judged by the same annotator more than once: the server handed back a task already judged.
    var judgedTwice = 0
    /// (task, annotator) pairs stored as more than one judgment, or judgments ranking a completion twice.
    var storedTwice = 0
    /// Judgments stored that no client was told about (committed, answer lost, never sent again).
    var unacknowledged = 0

    var lost: Int { missing.count + altered.count }
    var duplicated: Int { judgedTwice + storedTwice }

    /// Compares `acknowledgments` with the `stored` judgments; annotator `i` is named `names[i]`.
    init(acknowledgments: [Acknowledgment], stored comparisons: [RankedComparison], names: [String]) {
        var storedByID: [Int64: RankedComparison] = [:]
        var storedPairs: [String: Int] = [:]
        for comparison in comparisons {
            storedByID[comparison.judgmentID] = comparison
            storedPairs["\(comparison.annotator)/\(comparison.taskID)", default: 0] += 1
            if Set(comparison.completions.map(\.completionID)).count != comparison.completions.count { storedTwice += 1 }
        }
        storedTwice += storedPairs.values.filter { $0 > 1 }.count
        stored = comparisons.count

        // A judgment acknowledged twice was handed out twice; the later submission is what counts.
        var lastByID: [Int64: Acknowledgment] = [:]
        var judgedPairs: [String: Int] = [:]
        for acknowledgment in acknowledgments {
            lastByID[acknowledgment.judgmentID] = acknowledgment
            judgedPairs["\(acknowledgment.annotator)/\(acknowledgment.taskID)", default: 0] += 1
        }
        judgedTwice = judgedPairs.values.filter { $0 > 1 }.count
        acknowledged = lastByID.count
        unacknowledged = Set(storedByID.keys).subtracting(lastByID.keys).count

        for (id, acknowledgment) in lastByID.sorted(by: { $0.key < $1.key }) {
            guard let comparison = storedByID[id], comparison.taskID == acknowledgment.taskID,
                  comparison.annotator == names[acknowledgment.annotator]
            else {
                missing.append(id)
                continue
            }
            let submitted = Dictionary(
                acknowledgment.tiers.enumerated().flatMap { tier, ids in ids.map { ($0, tier) } }, uniquingKeysWith: { first, _ in first })
            let kept = Dictionary(comparison.completions.map { ($0.completionID, $0.tier) }, uniquingKeysWith: { first, _ in first })
            if submitted != kept { altered.append(id) }
        }
    }

    /// One line per finding, for the summary.
    var lines: [String] {
        [
            "lost: \(lost) (\(missing.count) acknowledged judgments missing\(Self.sample(missing)), "
                + "\(altered.count) stored with other tiers than acknowledged\(Self.sample(altered)))",
            "duplicated: \(duplicated) (\(judgedTwice) tasks judged twice by one annotator, "
                + "\(storedTwice) judgments stored twice or ranking a completion twice)",
            "stored \(stored) judgments, acknowledged \(acknowledged), stored but never acknowledged \(unacknowledged)",
        ]
    }

    private static func sample(_ ids: [Int64]) -> String {
        ids.isEmpty ? "" : ": ids \(ids.prefix(10).map(String.init).joined(separator: ", "))"
    }
}
