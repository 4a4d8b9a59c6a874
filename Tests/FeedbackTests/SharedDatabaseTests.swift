// Two stores on one database, as two `rlhf serve` processes share it: nothing lost, nothing doubled.

import Foundation
import Testing
@testable import Feedback
import FeedbackTestSupport

@Test(arguments: StoreBackend.all) func twoStoresWritingAtOnceNeitherLoseNorDuplicateJudgments(_ backend: StoreBackend) async throws {
    let location = try await backend.makeLocation()
    // Two independently opened stores: two connection pools, as two server processes have.
    let first = try await FeedbackStore(location: location)
    let second = try await FeedbackStore(location: location)
    let stores = [first, second]
    let names = ["ann", "ben", "cat", "dan"]

    // Both create the same annotators and the same prompts at the same time.
    let annotatorIDs = try await withThrowingTaskGroup(of: (Int, String, Int64).self) { group in
        for (index, store) in stores.enumerated() {
            for name in names {
                group.addTask { (index, name, try await store.annotator(named: name).id!) }
            }
        }
        return try await group.reduce(into: [String: Set<Int64>]()) { ids, result in ids[result.1, default: []].insert(result.2) }
    }
    #expect(annotatorIDs.values.allSatisfy { $0.count == 1 }, "each name has one id, whichever store asked")
    let tasks = try await withThrowingTaskGroup(of: TaskDetails.self) { group in
        for taskIndex in 0..<12 {
            group.addTask {
                try await makeTask(stores[taskIndex % 2], prompt: "prompt \(taskIndex / 2)", models: ["x", "y", "z"])
            }
        }
        return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(Set(tasks.map(\.prompt.id)).count == 6, "tasks sharing a prompt text share its row")

    // Every annotator judges every task through both stores at once, each store ranking the
    // completions its own way: the later write replaces the earlier, never mixes with it.
    let orders: [[Int]] = [[0, 1, 2], [2, 1, 0]]
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in tasks {
            let ids = task.completions.map { $0.id! }
            for name in names {
                let annotator = annotatorIDs[name]!.first!
                for (storeIndex, store) in stores.enumerated() {
                    group.addTask {
                        try await store.submit(.ranking(task: task.task.id!, bestFirst: orders[storeIndex].map { ids[$0] }), by: annotator)
                    }
                }
            }
        }
        try await group.waitForAll()
    }

    let reader = try await FeedbackStore(location: location)
    let counts = try await reader.counts()
    #expect(counts.annotators == names.count && counts.tasks == tasks.count && counts.prompts == 6)
    #expect(counts.judgments == tasks.count * names.count)
    let comparisons = try await reader.rankedComparisons()
    #expect(Set(comparisons.map(\.judgmentID)).count == comparisons.count)
    #expect(Set(comparisons.map { "\($0.taskID)/\($0.annotator)" }).count == tasks.count * names.count)
    for comparison in comparisons {
        let tiers = comparison.completions.map(\.tier)
        #expect(tiers == [0, 1, 2] || tiers == [2, 1, 0], "judgment \(comparison.judgmentID) has tiers \(tiers)")
    }
}
