// Simulated annotators judging through the store: determinism, disagreement, a recoverable signal.

import Foundation
import Testing
@testable import Annotators
@testable import Feedback
@testable import Ratings
@testable import SimulatedLabeling

/// Ten raters who all like "great" and dislike "awful", but disagree about "fine".
private func lexicon() throws -> RaterLexicon {
    try RaterLexicon(text: """
        great\t3.0\t0.5\t[3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
        awful\t-3.0\t0.5\t[-3, -3, -3, -3, -3, -3, -3, -3, -3, -3]
        fine\t0.0\t2.0\t[2, -2, 2, -2, 2, -2, 2, -2, 2, -2]
        """, source: "test")
}

private func seedTasks(_ store: FeedbackStore, count: Int) async throws {
    for i in 0..<count {
        _ = try await store.createTask(prompt: "Review \(i):", completions: [
            NewCompletion(text: "a great film, fine acting", provenance: Provenance(model: "good")),
            NewCompletion(text: "an awful film", provenance: Provenance(model: "bad")),
            NewCompletion(text: "fine", provenance: Provenance(model: "fine")),
        ])
    }
}

private func simulate(seed: UInt64) async throws -> (FeedbackStore, LabelingSimulation.Report) {
    let store = try FeedbackStore.inMemory()
    try await seedTasks(store, count: 12)
    var simulation = try LabelingSimulation(lexicon: try lexicon(), count: 4, temperature: 0.5, seed: seed)
    let report = try await simulation.run(on: store, judgmentsPerAnnotator: 8)
    return (store, report)
}

@Test func simulatedAnnotatorsJudgeThroughTheStoreDeterministically() async throws {
    let (storeA, reportA) = try await simulate(seed: 11)
    let (storeB, reportB) = try await simulate(seed: 11)
    #expect(reportA == ["simulated-rater-0": 8, "simulated-rater-1": 8, "simulated-rater-2": 8, "simulated-rater-3": 8])
    #expect(reportA == reportB)
    let rankingsA = try await storeA.rankedComparisons().map { $0.completions.map(\.tier) }
    let rankingsB = try await storeB.rankedComparisons().map { $0.completions.map(\.tier) }
    #expect(rankingsA == rankingsB)
    #expect(try await storeA.counts().judgments == 32)
}

@Test func simulatedPreferencesRecoverTheHiddenOrderAndDisagree() async throws {
    let (store, _) = try await simulate(seed: 3)
    let leaderboard = ModelLeaderboard(battles: try await store.battles(), bootstrap: BradleyTerryBootstrap(rounds: 20), seed: 1)
    #expect(leaderboard.standings.first?.model == "good")
    #expect(leaderboard.standings.last?.model == "bad")
    let alpha = try #require(KrippendorffAlpha.alpha(units: try await store.agreementUnits(), metric: .nominal))
    // Agreement is real but imperfect: the raters split on "fine" and the noise is not zero.
    #expect(alpha > 0 && alpha < 1)
}

@Test func annotatorsStopWhenNoTaskIsLeft() async throws {
    let store = try FeedbackStore.inMemory()
    try await seedTasks(store, count: 2)
    var simulation = try LabelingSimulation(lexicon: try lexicon(), count: 2, bothBadBelow: 10, seed: 1)
    let report = try await simulation.run(on: store, judgmentsPerAnnotator: 5)
    #expect(report.values.allSatisfy { $0 == 2 })
    // Every text scores below 10, so every judgment is a "both bad" tie.
    #expect(try await store.rankedComparisons().allSatisfy { $0.bothBad && Set($0.completions.map(\.tier)) == [0] })
}
