// The outlier check: agreement with the leave-one-out majority, who gets flagged, and what an
// exclusion leaves out of exports.

import Foundation
import Testing
@testable import Feedback
import FeedbackTestSupport

/// Four annotators rank every task's three answers in model order; "contrarian" ranks them in
/// reverse, and "ann-d" disagrees with the others on one task only.
private func panelStore(_ backend: StoreBackend) async throws -> FeedbackStore {
    let store = try await backend.makeStore()
    let names = ["ann-a", "ann-b", "ann-c", "ann-d", "contrarian"]
    var ids: [String: Int64] = [:]
    for name in names { ids[name] = try await store.createAnnotator(name: name, role: .annotator).annotator.id! }
    for index in 0..<5 {
        let task = try await makeTask(store, prompt: "prompt \(index)", models: ["good", "fair", "poor"])
        let order = task.completions.map { $0.id! }
        for name in names {
            let ranking = name == "contrarian" || (name == "ann-d" && index == 0) ? Array(order.reversed()) : order
            try await store.submit(.ranking(task: task.task.id!, bestFirst: ranking), by: ids[name]!)
        }
    }
    return store
}

@Test func agreementIsCountedAgainstTheOthersMajorityOnEachPair() throws {
    func comparison(_ task: Int64, _ annotator: String, tiers: [Int]) -> RankedComparison {
        RankedComparison(
            judgmentID: 0, taskID: task, annotator: annotator, prompt: "p", bothBad: false,
            completions: tiers.enumerated().map { .init(completionID: Int64($0.offset), text: "t", model: "m\($0.offset)", tier: $0.element) })
    }
    let counts = [
        comparison(1, "a", tiers: [0, 1]), comparison(1, "b", tiers: [0, 1]), comparison(1, "c", tiers: [1, 0]),
        // Every judge's two others split three ways: the pair counts for nobody.
        comparison(2, "a", tiers: [0, 1]), comparison(2, "b", tiers: [1, 0]), comparison(2, "c", tiers: [0, 0]),
        // Only two judges: no panel to compare with.
        comparison(3, "a", tiers: [0, 1]), comparison(3, "b", tiers: [1, 0]),
    ].leaveOneOutAgreement()
    #expect(counts["a"]?.agreed == 0 && counts["a"]?.compared == 0, "b and c split on both tasks")
    #expect(counts["b"]?.agreed == 0 && counts["b"]?.compared == 0)
    #expect(counts["c"]?.agreed == 0 && counts["c"]?.compared == 1, "task 1: a and b agree against c; task 2: a and b split")
}

@Test(arguments: StoreBackend.all) func aContrarianIsFlaggedAndExcludingThemLeavesTheirJudgmentsOut(_ backend: StoreBackend) async throws {
    let store = try await panelStore(backend)
    let panel = try await store.annotatorAgreement()
    #expect(panel.map(\.name) == ["contrarian", "ann-d", "ann-a", "ann-b", "ann-c"])
    // On task 0 ann-a, ann-b and ann-c each see the others split two to two: no majority there.
    #expect(panel.map(\.comparedPairs) == [15, 15, 12, 12, 12])
    #expect(panel.first?.agreement == 0 && abs(panel[1].agreement - 12.0 / 15) < 1e-9 && panel.last?.agreement == 1)
    #expect(panel.filter(\.isFlagged).map(\.name) == ["contrarian"], "one task's disagreement is no outlier")

    #expect(try await store.rankedComparisons().count == 25)
    try await store.setExcludedFromExports(true, annotatorNamed: "contrarian")
    #expect(try await store.rankedComparisons().count == 20)
    #expect(try await store.rankedComparisons().allSatisfy { $0.annotator != "contrarian" })
    #expect(try await store.rankedComparisons(includingExcluded: true).count == 25)
    #expect(try await store.annotatorAgreement().first { $0.name == "contrarian" }?.isExcluded == true)
    #expect(try await store.leaderboard(bootstrapRounds: 5).judgments == 20)
    try await store.setExcludedFromExports(false, annotatorNamed: "contrarian")
    #expect(try await store.rankedComparisons().count == 25)
    await #expect(throws: FeedbackError.annotatorNotFound("nobody")) { try await store.setExcludedFromExports(true, annotatorNamed: "nobody") }
}
