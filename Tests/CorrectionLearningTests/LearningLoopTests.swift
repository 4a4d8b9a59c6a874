// The serve-side loop on a tiny Llama: after N new corrections it learns a version in the
// background, the chat is switched to it, and a rollback in the store switches it back, all
// without restarting anything.
import Foundation
import Testing
@testable import CorrectionLearning
@testable import Feedback
import FeedbackTestSupport
import LanguageModeling
import ModelTestSupport
import Tokenization
import Transformer

/// Records every switch the loop asks for; an adapter folder without weights fails to load.
private actor RecordingSwitch: AdapterSwitch {
    private(set) var switches: [Int64?] = []

    func useAdapter(_ folder: URL?, version: Int64?) async throws {
        if let folder, !FileManager.default.fileExists(atPath: folder.appendingPathComponent("adapter_model.safetensors").path) {
            throw CocoaError(.fileNoSuchFile)
        }
        switches.append(version)
    }
}

@Test(arguments: StoreBackend.all) func theLoopLearnsAfterNCorrectionsAndTheChatFollowsTheActiveVersion(_ backend: StoreBackend) async throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let base = try saveTinyLlama(in: folder)
    let store = try await backend.makeStore()
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let chat = RecordingSwitch()
    let loop = LearningLoop(
        store: store, storeName: "feedback.sqlite", baseModel: base, startingAdapter: nil, versions: folder.appendingPathComponent("versions"),
        every: 2, learner: try CorrectionLearner(configuration: quickLearning()), chat: chat, log: { _ in })

    for (index, question) in ["ab0", "ab1"].enumerated() {
        try await loop.poll()
        await loop.waitForRound()
        #expect(try await store.adapterVersions().isEmpty, "\(index) corrections are fewer than 2: nothing is learned")
        let reply = try await chatReply(store, [ChatMessage(role: .user, content: question)], "ef", by: alice)
        _ = try await store.correctChatReply(completionID: reply, correction: "cd", by: alice)
    }
    try await loop.poll()
    await loop.waitForRound()
    let learned = try #require(try await store.activeAdapterVersion())
    #expect(learned.status == .ready && learned.baseModel == base.standardizedFileURL.path)
    #expect(try await store.correctionsNotYetLearned() == 0)
    try await loop.poll()
    #expect(await chat.switches == [learned.id], "the chat follows the new version")
    await loop.waitForRound()
    #expect(try await store.adapterVersions().count == 1, "no new corrections, no new round")

    try await store.deactivateAdapterVersions()
    try await loop.poll()
    #expect(await chat.switches == [learned.id, nil], "a rollback to the base model is followed")
    _ = try await store.activateAdapterVersion(learned.id)
    try await loop.poll()
    #expect(await chat.switches == [learned.id, nil, learned.id])

    // Versions this server cannot serve (another base; a folder gone) leave the chat on the model
    // it started with, not on the version the administrator moved away from.
    for (name, baseModel) in [("foreign", "/elsewhere/base.gguf"), ("gone", base.standardizedFileURL.path)] {
        let version = try await store.beginAdapterVersion(
            baseModel: baseModel, startingAdapter: nil, demonstrationIDs: [], ratingIDs: [], folder: { folder.appendingPathComponent("\(name)-\($0)").path })
        _ = try await store.finishAdapterVersion(version.id, metrics: [:], activation: .always)
        _ = try await store.activateAdapterVersion(learned.id)
        try await loop.poll()
        _ = try await store.activateAdapterVersion(version.id)
        try await loop.poll()
        #expect(await chat.switches.suffix(2) == [learned.id, nil], "\(name)")
    }
}

/// Two steps of each stage on rank-2 adapters.
private func quickLearning() -> LearningConfiguration {
    var configuration = LearningConfiguration()
    configuration.lora = LoRAConfiguration(rank: 2, alpha: 4)
    (configuration.sft.optimization.steps, configuration.dpo.optimization.steps) = (2, 2)
    return configuration
}

/// The lines a loop logs.
private final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    func append(_ line: String) { lock.withLock { lines.append(line) } }
}

/// A round that fails (here: the versions folder cannot be made) is not retried at every poll,
/// only once another correction has come.
@Test func aFailedRoundWaitsForAnotherCorrection() async throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let base = try saveTinyLlama(in: folder)
    let store = try await StoreBackend.sqlite.makeStore()
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let blocked = folder.appendingPathComponent("versions")
    try Data("a file where the versions folder should be".utf8).write(to: blocked)
    let log = LogLines()
    let loop = LearningLoop(
        store: store, storeName: "feedback.sqlite", baseModel: base, startingAdapter: nil, versions: blocked,
        every: 1, learner: try CorrectionLearner(configuration: quickLearning()), chat: RecordingSwitch(), log: log.append)
    func correct(_ question: String) async throws {
        let reply = try await chatReply(store, [ChatMessage(role: .user, content: question)], "ef", by: alice)
        _ = try await store.correctChatReply(completionID: reply, correction: "cd", by: alice)
    }
    func failures() -> Int { log.all.filter { $0.hasPrefix("learning round failed") }.count }
    try await correct("ab0")
    for _ in 0..<3 {
        try await loop.poll()
        await loop.waitForRound()
    }
    #expect(failures() == 1, "\(log.all)")
    try await correct("ab1")
    try await loop.poll()
    await loop.waitForRound()
    #expect(failures() == 2, "\(log.all)")
}

/// Another learner's version is training: the loop waits without failing or leaving versions
/// behind, says so once, and learns when that version is gone. It waits without loading the
/// model: with the base folder away meanwhile, no round fails to load it.
@Test func aLoopWaitsWhileAnotherLearnerTrains() async throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let base = try saveTinyLlama(in: folder)
    let store = try await StoreBackend.sqlite.makeStore()
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let reply = try await chatReply(store, [ChatMessage(role: .user, content: "ab")], "ef", by: alice)
    _ = try await store.correctChatReply(completionID: reply, correction: "cd", by: alice)
    let other = try await store.beginAdapterVersion(
        baseModel: base.path, startingAdapter: nil, demonstrationIDs: [], ratingIDs: [], folder: { "elsewhere/\($0)" })
    let log = LogLines()
    let loop = LearningLoop(
        store: store, storeName: "feedback.sqlite", baseModel: base, startingAdapter: nil, versions: folder.appendingPathComponent("versions"),
        every: 1, learner: try CorrectionLearner(configuration: quickLearning()), chat: RecordingSwitch(), log: log.append)
    let away = folder.appendingPathComponent("base-away")
    try FileManager.default.moveItem(at: base, to: away)
    for _ in 0..<3 {
        try await loop.poll()
        await loop.waitForRound()
    }
    try FileManager.default.moveItem(at: away, to: base)
    #expect(log.all.filter { $0.contains("version \(other.id) is training in another learner") }.count == 1, "\(log.all)")
    #expect(!log.all.contains { $0.hasPrefix("learning round failed") }, "\(log.all)")
    #expect(try await store.adapterVersions().map(\.id) == [other.id])
    try await store.failAdapterVersion(other.id, reason: "stopped")
    try await loop.poll()
    await loop.waitForRound()
    let versions = try await store.adapterVersions()
    #expect(versions.count == 2 && versions.first?.status == .ready, "\(log.all)")
}
