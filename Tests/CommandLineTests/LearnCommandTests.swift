// `rlhf learn` as a user runs it, on a tiny Llama: corrections stored by the chat become adapter
// versions in --output, each kept, recorded in the store, loadable by every --model command; an
// empty store is refused by name.
import Feedback
import Foundation
import LanguageModeling
import ModelTestSupport
import Testing
import Transformer

@Suite struct LearnCommandTests {
    @Test func eachRoundAddsAVersionTheStoreRecordsAndCommandsLoad() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("learn-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = try saveTinyLlama(in: folder)

        let db = folder.appendingPathComponent("feedback.sqlite").path
        let store = try FeedbackStore(path: db)
        let versions = folder.appendingPathComponent("versions")
        // --out is the option's earlier name, kept as an alias.
        let empty = try rlhf(["learn", "--db", db, "--model", base.path, "--out", versions.path])
        #expect(empty.status != 0 && empty.error.contains("holds no corrections"), "\(empty.error)")

        let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
        let reply = try await store.recordChatReply(
            to: [ChatMessage(role: .user, content: "ab0")], reply: NewCompletion(text: "ef ef", provenance: Provenance(model: "base")), by: alice)
        let correction = try await store.correctChatReply(completionID: reply.id!, correction: "cd", by: alice)
        let config = folder.appendingPathComponent("learn.json")
        try Data(#"{"sft": {"optimization": {"steps": 4}}, "dpo": {"optimization": {"steps": 3}}}"#.utf8).write(to: config)
        let first = try rlhf(["learn", "--db", db, "--model", base.path, "--output", versions.path, "--config", config.path, "--lora-rank", "2"])
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.contains("version 1: 1 corrections as demonstrations, 1 preference pairs"), "\(first.output)")
        let one = versions.appendingPathComponent("version-0001")
        for file in ["adapter_config.json", "adapter_model.safetensors", "provenance.json", "training/sft/metrics.jsonl", "training/dpo/metrics.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: one.appendingPathComponent(file).path), "\(file) is missing")
        }
        let dpoLines = try String(contentsOf: one.appendingPathComponent("training/dpo/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(dpoLines.count == 3, "a line per DPO step")

        let bob = try await store.createAnnotator(name: "bob", role: .annotator).annotator.id!
        let bobsReply = try await store.recordChatReply(
            to: [ChatMessage(role: .user, content: "ab1")], reply: NewCompletion(text: "ab0", provenance: Provenance(model: "base")), by: bob)
        let bobsCorrection = try await store.correctChatReply(completionID: bobsReply.id!, correction: "ef", by: bob)
        let second = try rlhf(["learn", "--db", db, "--model", base.path, "--output", versions.path, "--config", config.path, "--lora-rank", "2", "--keep-active-version"])
        #expect(second.status == 0, "\(second.error)")
        let listed = try FileManager.default.contentsOfDirectory(atPath: versions.path).sorted()
        #expect(listed == ["version-0001", "version-0002"], "every version is kept, no partial folder left")
        let recorded = try await store.adapterVersions()
        #expect(recorded.map(\.id) == [2, 1] && recorded.allSatisfy { $0.status == .ready && $0.baseModel == base.standardizedFileURL.path })
        #expect(try await store.activeAdapterVersion()?.id == 1, "--keep-active-version leaves version 1 answering")
        #expect(try await store.demonstrationIDs(learnedBy: 1) == [correction.id!])
        #expect(try await store.demonstrationIDs(learnedBy: 2) == [correction.id!, bobsCorrection.id!])
        // Each version's provenance.json names the judgments it learned from, its base and when.
        for (version, expected) in [("version-0001", [correction.id!]), ("version-0002", [correction.id!, bobsCorrection.id!])] {
            let data = try Data(contentsOf: versions.appendingPathComponent("\(version)/provenance.json"))
            let provenance = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let corrections = try #require(provenance["corrections"] as? [[String: Any]])
            #expect(corrections.compactMap { ($0["demonstrationID"] as? NSNumber)?.int64Value } == expected, "\(version)")
            #expect(provenance["baseModel"] as? String == base.standardizedFileURL.path && provenance["startedAt"] is String)
        }
        // Rolling back to version 1 and on to version 2 is a change of the store's mark.
        _ = try await store.activateAdapterVersion(2)
        #expect(try await store.activeAdapterVersion()?.id == 2)
        _ = try await store.activateAdapterVersion(1)
        #expect(try await store.activeAdapterVersion()?.id == 1)

        let generated = try rlhf(["generate", "--model", versions.appendingPathComponent("version-0002").path, "--temperature", "0", "--max-new-tokens", "3", "--prompt", "ab0"])
        #expect(generated.status == 0, "the version folder names its base: \(generated.error)")
    }
}
