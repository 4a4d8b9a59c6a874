// The load benchmark's final audit: each way a judgment can be lost or duplicated is counted.

@testable import Feedback
@testable import FeedbackLoad
import Testing

private let names = ["ann", "ben", "cat"]

private func acknowledged(_ id: Int64, by annotator: Int, task: Int64, tiers: [[Int64]]) -> Acknowledgment {
    Acknowledgment(annotator: annotator, server: 0, taskID: task, judgmentID: id, tiers: tiers)
}

/// A stored judgment ranking `tierOf`'s completions, as `rankedComparisons()` reads it back.
private func stored(_ id: Int64, by annotator: Int, task: Int64, tierOf: [(Int64, Int)]) -> RankedComparison {
    RankedComparison(
        judgmentID: id, taskID: task, annotator: names[annotator], prompt: "p\(task)", bothBad: false,
        completions: tierOf.map { .init(completionID: $0.0, text: "c\($0.0)", model: "m", tier: $0.1) })
}

@Test func aDatabaseHoldingExactlyWhatWasAcknowledgedPassesTheAudit() {
    let audit = LoadAudit(
        acknowledgments: [
            acknowledged(1, by: 0, task: 10, tiers: [[100], [101, 102]]),
            acknowledged(2, by: 1, task: 10, tiers: [[102], [101], [100]]),
        ],
        stored: [
            stored(1, by: 0, task: 10, tierOf: [(100, 0), (101, 1), (102, 1)]),
            stored(2, by: 1, task: 10, tierOf: [(100, 2), (101, 1), (102, 0)]),
        ],
        names: names)
    #expect(audit.lost == 0 && audit.duplicated == 0 && audit.unacknowledged == 0)
    #expect(audit.acknowledged == 2 && audit.stored == 2)
}

@Test func everyKindOfLostOrDuplicatedJudgmentIsCounted() {
    let audit = LoadAudit(
        acknowledgments: [
            acknowledged(1, by: 0, task: 10, tiers: [[100], [101]]),  // never stored
            acknowledged(2, by: 0, task: 11, tiers: [[110], [111]]),  // stored with the tiers swapped
            acknowledged(3, by: 1, task: 10, tiers: [[100], [101]]),  // stored for another annotator
            acknowledged(4, by: 2, task: 11, tiers: [[110], [111]]),  // handed out and judged twice
            acknowledged(4, by: 2, task: 11, tiers: [[111], [110]]),
        ],
        stored: [
            stored(2, by: 0, task: 11, tierOf: [(110, 1), (111, 0)]),
            stored(3, by: 2, task: 10, tierOf: [(100, 0), (101, 1)]),
            stored(4, by: 2, task: 11, tierOf: [(110, 1), (111, 0)]),
            stored(5, by: 1, task: 12, tierOf: [(120, 0), (120, 1)]),  // a completion ranked twice
            stored(6, by: 0, task: 12, tierOf: [(120, 0), (121, 1)]),  // one pair stored as two rows
            stored(7, by: 0, task: 12, tierOf: [(120, 0), (121, 1)]),
        ],
        names: names)
    #expect(audit.missing == [1, 3])
    #expect(audit.altered == [2])
    #expect(audit.judgedTwice == 1)
    #expect(audit.storedTwice == 2)
    #expect(audit.lost == 3 && audit.duplicated == 3)
    #expect(audit.acknowledged == 4 && audit.stored == 6 && audit.unacknowledged == 3)
}
