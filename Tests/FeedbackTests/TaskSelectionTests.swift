// The labeling queue's policy: stored, validated, and ordering tasks by uncertainty, disagreement and chance.

import FeedbackTestSupport
import Foundation
import Testing
@testable import Feedback

/// `count` two-completion tasks.
private func makeTasks(_ store: FeedbackStore, count: Int) async throws -> [Int64] {
    var ids: [Int64] = []
    for index in 0..<count {
        ids.append(try await makeTask(store, prompt: "prompt \(index)", models: ["a", "b"]).task.id!)
    }
    return ids
}

/// Has `annotator` prefer the completion at `position` (in stored order) on `taskID`.
private func prefer(_ store: FeedbackStore, position: Int, on taskID: Int64, by annotator: Int64) async throws {
    let completions = try await store.taskDetails(id: taskID).completions.map { $0.id! }
    try await store.submit(.choice(task: taskID, preferred: completions[position], over: completions[1 - position]), by: annotator)
}

@Test(arguments: StoreBackend.all) func selectionIsStoredAndChecked(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    #expect(try await store.taskSelection() == .coverageFirst)
    let policy = TaskSelection(uncertaintyWeight: 2, disagreementWeight: 0.5, randomShare: 0.1, seed: 42)
    try await store.setTaskSelection(policy)
    #expect(try await store.taskSelection() == policy)
    await #expect(throws: FeedbackError.invalidField(name: "randomShare", reason: "must lie in 0...1, got 1.5")) {
        try await store.setTaskSelection(TaskSelection(randomShare: 1.5))
    }
    await #expect(throws: FeedbackError.self) { try await store.setTaskSelection(TaskSelection(uncertaintyWeight: -1)) }
    #expect(try await store.taskSelection() == policy)

    let tasks = try await makeTasks(store, count: 2)
    try await store.setTaskUncertainties([tasks[0]: 0.25, tasks[1]: 1])
    try await store.setTaskUncertainties([tasks[0]: 0.75])
    #expect(try await store.taskUncertainties() == [tasks[0]: 0.75, tasks[1]: 1])
    await #expect(throws: FeedbackError.taskNotFound(999)) { try await store.setTaskUncertainties([999: 0.5]) }
    await #expect(throws: FeedbackError.self) { try await store.setTaskUncertainties([tasks[0]: .nan]) }
    #expect(try await store.taskUncertainties()[tasks[0]] == 0.75)
}

@Test(arguments: StoreBackend.all) func mostUncertainTaskComesFirstAndRepeatLabelsCountLess(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let a = try await store.createAnnotator(name: "a", role: .annotator).annotator.id!
    let b = try await store.createAnnotator(name: "b", role: .annotator).annotator.id!
    let tasks = try await makeTasks(store, count: 4)
    try await store.setTaskUncertainties([tasks[0]: 0.1, tasks[1]: 0.9, tasks[2]: 0.6])
    #expect(try await store.nextTask(for: a)?.taskID == tasks[0], "coverage order until a policy is set")
    try await store.setTaskSelection(TaskSelection(uncertaintyWeight: 1, disagreementWeight: 0, randomShare: 0))
    #expect(try await store.nextTask(for: a)?.taskID == tasks[1])
    try await prefer(store, position: 0, on: tasks[1], by: a)
    // Task 1 is now worth 0.9 / 2 against task 2's 0.6; a never sees task 1 again.
    #expect(try await store.nextTask(for: b)?.taskID == tasks[2])
    #expect(try await store.nextTask(for: a)?.taskID == tasks[2])
    try await prefer(store, position: 0, on: tasks[2], by: a)
    // Task 3 was never scored, so it counts as 0.5, above task 0's 0.1.
    #expect(try await store.nextTask(for: a)?.taskID == tasks[3])
}

@Test(arguments: StoreBackend.all) func disagreementSoFarRaisesATask(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    var annotators: [Int64] = []
    for name in ["a", "b", "c"] {
        annotators.append(try await store.createAnnotator(name: name, role: .annotator).annotator.id!)
    }
    let tasks = try await makeTasks(store, count: 3)
    try await prefer(store, position: 0, on: tasks[1], by: annotators[0])
    try await prefer(store, position: 0, on: tasks[1], by: annotators[1])
    try await prefer(store, position: 0, on: tasks[2], by: annotators[0])
    try await prefer(store, position: 1, on: tasks[2], by: annotators[1])
    #expect(try await store.taskDisagreements() == [tasks[1]: 0, tasks[2]: 1])
    // Coverage order would give c the unjudged task 0; disagreement gives it the split task 2.
    #expect(try await store.nextTask(for: annotators[2])?.taskID == tasks[0])
    try await store.setTaskSelection(TaskSelection(uncertaintyWeight: 0, disagreementWeight: 1, randomShare: 0))
    #expect(try await store.nextTask(for: annotators[2])?.taskID == tasks[2])
}

@Test(arguments: StoreBackend.all) func randomPicksReplayGivenTheSeed(_ backend: StoreBackend) async throws {
    func labelingOrder(seed: UInt64) async throws -> [Int64] {
        let store = try await backend.makeStore()
        let annotator = try await store.createAnnotator(name: "a", role: .annotator).annotator.id!
        let tasks = try await makeTasks(store, count: 12)
        try await store.setTaskSelection(.random(seed: seed))
        var order: [Int64] = []
        while let task = try await store.nextTask(for: annotator) {
            order.append(tasks.firstIndex(of: task.taskID).map(Int64.init) ?? -1)
            try await prefer(store, position: 0, on: task.taskID, by: annotator)
        }
        return order
    }
    let first = try await labelingOrder(seed: 1)
    #expect(first.sorted() == Array(0..<12), "every task exactly once")
    #expect(try await labelingOrder(seed: 1) == first)
    #expect(try await labelingOrder(seed: 2) != first)
    #expect(first != first.sorted())
}

@Test func randomShareIsRespectedOverManyDraws() {
    // Task 0 is by far the most uncertain, so every pick of another task is a random one.
    let candidates = (0..<20).map { SelectionCandidate(taskID: Int64($0), judgments: 0, uncertainty: $0 == 0 ? 1 : 0.1, disagreement: 0) }
    for share in [0.0, 0.3, 1.0] {
        let selection = TaskSelection(uncertaintyWeight: 1, disagreementWeight: 0, randomShare: share, seed: 9)
        let draws = 4000
        var others = 0
        var picked = Set<Int64>()
        for draw in 0..<draws {
            let task = selection.choose(from: candidates, annotatorID: Int64(draw % 40), judgments: draw / 40)!
            if task != 0 { others += 1 }
            picked.insert(task)
        }
        // A random pick lands on task 0 one time in 20.
        let expected = share * 19 / 20
        #expect(abs(Double(others) / Double(draws) - expected) < 0.03, "share \(share): \(others) of \(draws)")
        #expect(share == 0 ? picked == [0] : picked.count == 20)
    }
}

@Test func disagreementSpansZeroToOne() {
    #expect(disagreement(topCounts: [3], judgments: 3, completions: 2) == 0)
    #expect(disagreement(topCounts: [1], judgments: 1, completions: 2) == 0)
    #expect(disagreement(topCounts: [2, 2], judgments: 4, completions: 2) == 1)
    #expect(disagreement(topCounts: [2, 1], judgments: 3, completions: 2) > 0.5)
    #expect(disagreement(topCounts: [1, 1, 1], judgments: 3, completions: 3) == 1)
    #expect(disagreement(topCounts: [2, 1], judgments: 3, completions: 3) < 1)
}

@Test(arguments: StoreBackend.all) func batchesAreCountedReadAndClosedApartFromOtherTasks(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let a = try await store.createAnnotator(name: "a", role: .annotator).annotator.id!
    let loose = try await makeTask(store, prompt: "loose", models: ["x", "y"]).task.id!
    var round: [Int64] = []
    for index in 0..<2 {
        round.append(try await store.createTask(prompt: "round \(index)", completions: [
            NewCompletion(text: "first", provenance: Provenance(model: "old")), NewCompletion(text: "second", provenance: Provenance(model: "new")),
        ], batch: "round 1").task.id!)
    }
    #expect(try await store.taskIDs(inBatch: "round 1") == round)
    #expect(try await store.taskIDs(inBatch: "round 2").isEmpty)
    try await prefer(store, position: 1, on: loose, by: a)
    try await prefer(store, position: 1, on: round[0], by: a)
    #expect(try await store.judgmentCount(inBatch: "round 1") == 1)
    #expect(try await store.rankedComparisons(batches: ["round 1"]).map(\.taskID) == [round[0]])
    #expect(try await store.rankedComparisons(batches: []).isEmpty)
    #expect(try await store.rankedComparisons().count == 2)
    let board = try await store.leaderboard(bootstrapRounds: 5, batches: ["round 1"])
    #expect(board.judgments == 1 && Set(board.models.standings.map(\.model)) == ["old", "new"])

    let odd = try await store.createTask(prompt: "odd", completions: [
        NewCompletion(text: "first", provenance: Provenance(model: "old")), NewCompletion(text: "second", provenance: Provenance(model: "new")),
    ], batch: "/runs/50%_off round 1").task.id!
    #expect(try await store.openBatches(named: "round ") == ["round 1"])
    #expect(try await store.openBatches(named: "/runs/50%_off ") == ["/runs/50%_off round 1"], "the prefix is text, not a pattern")
    #expect(try await store.openBatches(named: "/runs/5").count == 1)
    #expect(try await store.openBatches(named: "/runs/50%x").isEmpty)
    #expect(try await store.closeTasks(inBatch: "/runs/50%_off round 1") == 1)
    #expect(try await store.taskIDs(inBatch: "/runs/50%_off round 1") == [odd])
    #expect(try await store.openBatches(named: "/runs/").isEmpty, "a batch with no open task is not listed")

    #expect(try await store.nextTask(for: a)?.taskID == round[1])
    #expect(try await store.closeTasks(inBatch: "round 1") == 2)
    #expect(try await store.openBatches(named: "").isEmpty)
    #expect(try await store.nextTask(for: a) == nil, "a closed batch's tasks are not served")
    #expect(try await store.closeTasks(inBatch: "round 1") == 0)
    try await prefer(store, position: 0, on: round[1], by: a)
    #expect(try await store.judgmentCount(inBatch: "round 1") == 2, "a page showing a closed task may still submit it")
    await #expect(throws: FeedbackError.self) {
        try await store.createTask(prompt: "p", completions: [
            NewCompletion(text: "a", provenance: Provenance(model: "m")), NewCompletion(text: "b", provenance: Provenance(model: "m")),
        ], batch: String(repeating: "x", count: 1001))
    }
}

@Test(arguments: StoreBackend.all) func aBatchIsStoredWholeWithItsUncertaintiesOrNotAtAll(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    func task(_ prompt: String, answers: Int, uncertainty: Double? = nil) -> NewTask {
        NewTask(
            prompt: prompt, completions: (0..<answers).map { NewCompletion(text: "answer \($0)", provenance: Provenance(model: "m\($0)")) },
            uncertainty: uncertainty)
    }
    await #expect(throws: FeedbackError.taskNeedsCompletions(found: 1)) {
        try await store.createTasks([task("a", answers: 2, uncertainty: 0.3), task("b", answers: 2), task("c", answers: 1)], batch: "round 1")
    }
    let uncertainties = try await store.taskUncertainties()
    #expect(try await store.counts().tasks == 0 && uncertainties.isEmpty, "a failed batch leaves nothing")
    await #expect(throws: FeedbackError.self) { try await store.createTasks([task("a", answers: 2, uncertainty: 1.5)], batch: "round 1") }
    let stored = try await store.createTasks([task("a", answers: 2, uncertainty: 0.3), task("b", answers: 3)], batch: "round 1")
    #expect(try await store.taskIDs(inBatch: "round 1") == stored.map { $0.task.id! })
    #expect(stored.map(\.completions.count) == [2, 3])
    #expect(try await store.taskUncertainties() == [stored[0].task.id!: 0.3])
}
