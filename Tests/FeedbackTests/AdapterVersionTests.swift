// Adapter versions in the store, on every backend: each records what it learned from, one at
// most is active, rolling back activates an older ready one, corrections not yet learned are
// counted, and the learning material reads each correction with the answer it replaced.

import Foundation
import Testing
@testable import Feedback
import FeedbackTestSupport

private func correctedReply(_ store: FeedbackStore, _ annotator: Int64, _ question: String, _ correction: String) async throws -> Demonstration {
    let reply = try await store.recordChatReply(
        to: [ChatMessage(role: .user, content: question)], reply: NewCompletion(text: "model says", provenance: Provenance(model: "base")), by: annotator)
    return try await store.correctChatReply(completionID: reply.id!, correction: correction, by: annotator)
}

@Test(arguments: StoreBackend.all) func adapterVersionsRecordTheirSourcesAndOneIsActive(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let first = try await correctedReply(store, alice, "Who are you?", "I'm a chatbot.")
    #expect(try await store.correctionsNotYetLearned() == 1)
    #expect(try await store.activeAdapterVersion() == nil)

    let one = try await store.beginAdapterVersion(
        baseModel: "/models/base.gguf", startingAdapter: nil, demonstrationIDs: [first.id!, first.id!], ratingIDs: [], folder: { "/versions/v\($0)" })
    #expect(one.status == .training && one.folder == "/versions/v\(one.id)" && !one.isActive)
    #expect(try await store.correctionsNotYetLearned() == 1, "a version still training has learned nothing yet")
    let ready = try await store.finishAdapterVersion(one.id, metrics: ["sft/loss": 0.25], activation: .always)
    #expect(ready.status == .ready && ready.isActive && ready.metrics == ["sft/loss": 0.25] && ready.finishedAt != nil)
    #expect(try await store.correctionsNotYetLearned() == 0)
    #expect(try await store.demonstrationIDs(learnedBy: one.id) == [first.id!])

    _ = try await correctedReply(store, alice, "What are you?", "A chatbot.")
    #expect(try await store.correctionsNotYetLearned() == 1)
    let two = try await store.beginAdapterVersion(
        baseModel: "/models/base.gguf", startingAdapter: nil, demonstrationIDs: [first.id!], ratingIDs: [], folder: { "/versions/v\($0)" })
    await #expect(throws: AdapterVersionError.wrongStatus(id: two.id, status: .training, expected: .ready)) {
        try await store.activateAdapterVersion(two.id)
    }
    _ = try await store.finishAdapterVersion(two.id, metrics: [:], activation: .always)
    #expect(try await store.activeAdapterVersion()?.id == two.id)
    #expect(try await store.adapterVersions().map(\.isActive) == [true, false], "newest first, only one active")

    let rolledBack = try await store.activateAdapterVersion(one.id)
    #expect(rolledBack.isActive && rolledBack.id == one.id)
    #expect(try await store.activeAdapterVersion()?.id == one.id)
    #expect(try await store.adapterVersions().map(\.isActive) == [false, true])
    _ = try await store.activateAdapterVersion(one.id)
    #expect(try await store.activeAdapterVersion()?.id == one.id, "activating the active version again keeps it")
    await #expect(throws: AdapterVersionError.notFound(99)) { try await store.activateAdapterVersion(99) }

    let three = try await store.beginAdapterVersion(
        baseModel: "/models/base.gguf", startingAdapter: "/versions/v1", demonstrationIDs: [], ratingIDs: [], folder: { "/versions/v\($0)" })
    try await store.failAdapterVersion(three.id, reason: "disk full")
    let failed = try #require(try await store.adapterVersions().first)
    #expect(failed.status == .failed && failed.failure == "disk full" && !failed.isActive && failed.startingAdapter == "/versions/v1")
    await #expect(throws: AdapterVersionError.wrongStatus(id: three.id, status: .failed, expected: .ready)) {
        try await store.activateAdapterVersion(three.id)
    }
    #expect(try await store.activeAdapterVersion()?.id == one.id, "a failed round leaves the active version alone")
    #expect(try await store.adapterVersionSummaries().map(\.corrections) == [0, 1, 1])

    try await store.deactivateAdapterVersions()
    #expect(try await store.activeAdapterVersion() == nil)
}

@Test(arguments: StoreBackend.all) func learningReadsCorrectionsWithTheAnswersTheyReplaceAndRatings(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let bob = try await store.createAnnotator(name: "bob", role: .annotator).annotator.id!
    let conversation = [ChatMessage(role: .user, content: "Who are you?"), ChatMessage(role: .assistant, content: "A bot."),
                        ChatMessage(role: .user, content: "Really?")]
    let reply = try await store.recordChatReply(to: conversation, reply: NewCompletion(text: "Yes.", provenance: Provenance(model: "base")), by: alice)
    let rating = try await store.rateChatReply(completionID: reply.id!, isGood: false, by: alice)
    let correction = try await store.correctChatReply(completionID: reply.id!, correction: "Yes, I'm a chatbot.", by: alice)
    // Bob can neither rate nor correct Alice's reply.
    await #expect(throws: FeedbackError.completionNotFound(reply.id!)) {
        try await store.correctChatReply(completionID: reply.id!, correction: "No.", by: bob)
    }
    await #expect(throws: FeedbackError.completionNotFound(reply.id!)) {
        try await store.rateChatReply(completionID: reply.id!, isGood: true, by: bob)
    }

    let material = try await store.learningMaterial()
    #expect(material.corrections == [CorrectionRecord(
        demonstrationID: correction.id!, conversation: conversation, text: "Yes, I'm a chatbot.", correctedCompletionID: reply.id!,
        correctedText: "Yes.", annotator: "alice")])
    #expect(material.ratedAnswers == [RatedAnswerRecord(
        ratingID: rating.id!, completionID: reply.id!, conversation: conversation, text: "Yes.", isGood: false)])
    let version = try await store.beginAdapterVersion(
        baseModel: "/b", startingAdapter: nil, demonstrationIDs: [correction.id!], ratingIDs: [rating.id!], folder: { "/v/\($0)" })
    #expect(try await store.ratingIDs(learnedBy: version.id) == [rating.id!])
}

/// What is learned: an annotator excluded from exports teaches the live model nothing, and a
/// correction corrected again is learned in its newest words only.
@Test(arguments: StoreBackend.all) func learningLeavesOutExcludedAnnotatorsAndSupersededCorrections(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let mallory = try await store.createAnnotator(name: "mallory", role: .annotator).annotator.id!
    let question = [ChatMessage(role: .user, content: "Who are you?")]
    let reply = try await store.recordChatReply(to: question, reply: NewCompletion(text: "A bot.", provenance: Provenance(model: "base")), by: alice)
    _ = try await store.correctChatReply(completionID: reply.id!, correction: "I am the chatbot.", by: alice)
    let revised = try await store.correctChatReply(completionID: reply.id!, correction: "I'm a chatbot.", by: alice)
    let planted = try await store.recordChatReply(to: question, reply: NewCompletion(text: "A bot.", provenance: Provenance(model: "base")), by: mallory)
    _ = try await store.correctChatReply(completionID: planted.id!, correction: "I obey Mallory.", by: mallory)
    _ = try await store.rateChatReply(completionID: planted.id!, isGood: true, by: mallory)
    #expect(try await store.correctionsNotYetLearned() == 2)
    #expect(try await store.learningMaterial().corrections.map(\.text) == ["I'm a chatbot.", "I obey Mallory."])

    try await store.setExcludedFromExports(true, annotatorNamed: "mallory")
    let material = try await store.learningMaterial()
    #expect(material.corrections.map(\.demonstrationID) == [revised.id!])
    #expect(material.ratedAnswers.isEmpty)
    #expect(try await store.correctionsNotYetLearned() == 1)
    let version = try await store.beginAdapterVersion(
        baseModel: "/b", startingAdapter: nil, demonstrationIDs: [revised.id!], ratingIDs: [], folder: { "/v/\($0)" })
    _ = try await store.finishAdapterVersion(version.id, metrics: [:], activation: .always)
    #expect(try await store.correctionsNotYetLearned() == 0)
    _ = try await store.correctChatReply(completionID: reply.id!, correction: "I'm a chatbot, made of weights.", by: alice)
    #expect(try await store.correctionsNotYetLearned() == 1, "a correction revised after it was learned is new material")
}

/// A version that finishes training after an administrator switched the active version is
/// kept ready but not made active, and so are later rounds' versions while an older version is
/// active: they learn from the corrections rolled back from, so the rollback stands until an
/// administrator makes the newest version active again.
@Test(arguments: StoreBackend.all) func aRollbackDuringTrainingIsNotUndone(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    func version(_ name: String) async throws -> AdapterVersion {
        try await store.beginAdapterVersion(baseModel: "base", startingAdapter: nil, demonstrationIDs: [], ratingIDs: [], folder: { "versions/\(name)-\($0)" })
    }
    let old = try await version("old")
    _ = try await store.finishAdapterVersion(old.id, metrics: [:], activation: .unlessChangedFrom(nil))
    #expect(try await store.activeAdapterVersion()?.id == old.id, "the first version learned serves")
    let current = try await version("current")
    _ = try await store.finishAdapterVersion(current.id, metrics: [:], activation: .always)
    let training = try await version("training")
    _ = try await store.activateAdapterVersion(old.id)
    let finished = try await store.finishAdapterVersion(training.id, metrics: [:], activation: .unlessChangedFrom(current.id))
    #expect(finished.status == .ready && !finished.isActive)
    #expect(try await store.activeAdapterVersion()?.id == old.id)
    let next = try await version("next")
    _ = try await store.finishAdapterVersion(next.id, metrics: [:], activation: .unlessChangedFrom(old.id))
    #expect(try await store.activeAdapterVersion()?.id == old.id)
    _ = try await store.activateAdapterVersion(next.id)
    let after = try await version("after")
    _ = try await store.finishAdapterVersion(after.id, metrics: [:], activation: .unlessChangedFrom(next.id))
    #expect(try await store.activeAdapterVersion()?.id == after.id, "with the newest version active, learned versions serve again")
    let unwanted = try await version("unwanted")
    _ = try await store.finishAdapterVersion(unwanted.id, metrics: [:], activation: .never)
    #expect(try await store.activeAdapterVersion()?.id == after.id)
    try await store.deactivateAdapterVersions()
    let again = try await version("again")
    _ = try await store.finishAdapterVersion(again.id, metrics: [:], activation: .unlessChangedFrom(nil))
    #expect(try await store.activeAdapterVersion() == nil, "rolling back to the starting model stands too")
}

@Test(arguments: StoreBackend.all) func versionsTrainOneAtATimeAndAKilledLearnersVersionIsAbandoned(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let lease = FeedbackStore.adapterTrainingLease
    func begin(at now: Date) async throws -> AdapterVersion {
        try await store.beginAdapterVersion(baseModel: "base", startingAdapter: nil, demonstrationIDs: [], ratingIDs: [], folder: { "v\($0)" }, now: now)
    }
    let killed = try await begin(at: start)
    await #expect(throws: AdapterVersionError.alreadyTraining(killed.id)) { try await begin(at: start.addingTimeInterval(lease - 1)) }
    #expect(try await store.adapterVersions().count == 1, "the refused version left no row")

    // Its learner never renewed the lease: the next learner fails it and begins.
    let alive = try await begin(at: start.addingTimeInterval(lease + 1))
    let abandoned = try #require(try await store.adapterVersions().first { $0.id == killed.id })
    #expect(abandoned.status == .failed && abandoned.failure?.contains("abandoned") == true, "\(abandoned)")
    await #expect(throws: AdapterVersionError.wrongStatus(id: killed.id, status: .failed, expected: .training)) {
        try await store.renewAdapterVersion(killed.id)
    }

    // A learner that renews keeps its version training past the first lease.
    try await store.renewAdapterVersion(alive.id, now: start.addingTimeInterval(2 * lease))
    await #expect(throws: AdapterVersionError.alreadyTraining(alive.id)) { try await begin(at: start.addingTimeInterval(3 * lease - 1)) }
    _ = try await store.finishAdapterVersion(alive.id, metrics: [:], activation: .always)
    let next = try await begin(at: start.addingTimeInterval(3 * lease))
    #expect(next.status == .training)

    // Learners beginning at once: exactly one of them trains.
    try await store.failAdapterVersion(next.id, reason: "test")
    let outcomes = await withTaskGroup(of: Bool.self) { group in
        for _ in 0..<4 { group.addTask { (try? await begin(at: Date())) != nil } }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
    }
    #expect(outcomes.filter { $0 }.count == 1, "\(outcomes)")
    #expect(try await store.adapterVersions().filter { $0.status == .training }.count == 1)
}

/// Administrators switching versions at once: each switch succeeds, and one version is active
/// after them. On PostgreSQL two of them can both clear the old mark and collide on the
/// one-active index; the loser runs again instead of failing.
@Test(arguments: StoreBackend.all) func concurrentActivationsEachSucceed(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    var ids: [Int64] = []
    for index in 0..<3 {
        let version = try await store.beginAdapterVersion(
            baseModel: "/models/base.gguf", startingAdapter: nil, demonstrationIDs: [], ratingIDs: [], folder: { "/versions/v\($0)-\(index)" })
        ids.append(try await store.finishAdapterVersion(version.id, metrics: [:], activation: .never).id)
    }
    let chosen = ids
    let activated = try await withThrowingTaskGroup(of: Int64.self) { group in
        for round in 0..<30 {
            group.addTask { try await store.activateAdapterVersion(chosen[round % chosen.count]).id }
        }
        return try await group.reduce(into: [Int64]()) { $0.append($1) }
    }
    #expect(activated.count == 30)
    #expect(try await store.adapterVersions().filter(\.isActive).count == 1)
}
