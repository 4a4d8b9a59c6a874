// `rlhf tasks select` and `rlhf tasks prioritize` against a real store: the policy set, shown
// and refused as the store keeps it; each task's uncertainty under a trained reward model; the
// active-curve experiment's refusals.
import Feedback
import Foundation
import Testing

@Suite struct TaskSelectionCommandTests {
    private static func freshDatabase() throws -> (folder: URL, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tasks-select-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return (folder, folder.appendingPathComponent("feedback.sqlite").path)
    }

    @Test func selectSetsShowsAndRefusesTheQueuePolicy() async throws {
        let (folder, db) = try Self.freshDatabase()
        defer { try? FileManager.default.removeItem(at: folder) }
        let set = try rlhf(["tasks", "select", "--db", db, "--uncertainty-weight", "2", "--random-share", "0.25", "--seed", "7"])
        let defaults = TaskSelection()
        let line = String(format: "uncertainty weight 2, disagreement weight %g, random share 0.25, seed 7", defaults.disagreementWeight)
        #expect(set.status == 0 && set.output.contains(line), "\(set.output)\(set.error)")
        let store = try FeedbackStore(path: db)
        #expect(try await store.taskSelection() == TaskSelection(uncertaintyWeight: 2, disagreementWeight: defaults.disagreementWeight, randomShare: 0.25, seed: 7))
        #expect(try rlhf(["tasks", "select", "--db", db]).output.contains(line), "without options it shows the policy")

        let mixed = try rlhf(["tasks", "select", "--db", db, "--coverage-first", "--random-share", "0.5"])
        #expect(mixed.status != 0 && mixed.error.contains("--coverage-first takes no weights"), "\(mixed.error)")
        let outOfRange = try rlhf(["tasks", "select", "--db", db, "--random-share", "1.5"])
        #expect(outOfRange.status != 0 && outOfRange.error.contains("randomShare"), "\(outOfRange.error)")
        #expect(try await store.taskSelection().seed == 7, "a refused change leaves the policy as it was")

        let coverage = try rlhf(["tasks", "select", "--db", db, "--coverage-first"])
        #expect(coverage.status == 0 && coverage.output.contains("coverage first"))
        #expect(try await store.taskSelection() == .coverageFirst)
    }

    @Test func activeCurveRefusesSettingsItWouldIgnore() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("active-curve-\(UUID().uuidString)").path
        let ignored = try rlhf(["reward", "active-curve", "--output", output, "--information-targets", "100"])
        #expect(ignored.status != 0 && ignored.error.contains("--information-targets") && ignored.error.contains("laplace"), "\(ignored.error)")
        let unknown = try rlhf(["reward", "active-curve", "--output", output, "--learner", "gp"])
        #expect(unknown.status != 0 && unknown.error.contains("--learner") && unknown.error.contains("laplace"), "\(unknown.error)")
        let wordsAlone = try rlhf(["reward", "active-curve", "--output", output, "--with-words"])
        #expect(wordsAlone.status != 0 && wordsAlone.error.contains("--with-words") && wordsAlone.error.contains("--backbone"), "\(wordsAlone.error)")
        #expect(!FileManager.default.fileExists(atPath: output), "a refused run writes nothing")
    }

    @Test func prioritizeStoresEachTasksUncertaintyUnderTheRewardModels() async throws {
        let workspace = try CrashWorkspace.shared.get()
        let reward = workspace.url("reward/model").path
        let (folder, db) = try Self.freshDatabase()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try FeedbackStore(path: db)
        let completions = { (texts: [String]) in texts.map { NewCompletion(text: $0, provenance: Provenance(model: "test")) } }
        let same = try await store.createTask(prompt: "Review 1:", completions: completions([" The film was good.", " The film was good."]))
        let apart = try await store.createTask(prompt: "Review 2:", completions: completions([" The cast was superb.", " The plot was dull.", " The score was flat."]))

        let boundary = try rlhf(["tasks", "prioritize", "--db", db, "--reward", reward])
        #expect(boundary.status == 0 && boundary.output.contains("stored the uncertainty of 2 tasks"), "\(boundary.output)\(boundary.error)")
        let values = try await store.taskUncertainties()
        #expect(values[same.task.id!] == 1, "one text twice is a coin flip to any model: \(values)")
        #expect((0..<1).contains(values[apart.task.id!] ?? -1), "different texts score apart: \(values)")

        let spread = try rlhf(["tasks", "prioritize", "--db", db, "--reward", reward, "--reward", reward, "--measure", "spread"])
        #expect(spread.status == 0, "\(spread.error)")
        #expect(try await store.taskUncertainties().values.allSatisfy { $0 == 0 }, "one model twice never disagrees with itself")

        let alone = try rlhf(["tasks", "prioritize", "--db", db, "--reward", reward, "--measure", "spread"])
        #expect(alone.status != 0 && alone.error.contains("two or more --reward"), "\(alone.error)")
    }
}
