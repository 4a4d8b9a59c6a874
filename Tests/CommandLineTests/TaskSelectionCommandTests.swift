// `rlhf tasks select` and `rlhf tasks prioritize` against a real store: the policy set, shown
// and refused as the store keeps it; each task's uncertainty under a trained reward model; the
// active-curve experiment's refusals, and its run on a model's own answers from task files.
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

    /// Task files stand in for the critics' pairs: the pool's tasks are ranked whole, and the
    /// held-out tasks' pairs the population judge tells apart are scored.
    @Test func activeCurveRunsOnTaskFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("active-tasks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let words = ["great", "awful", "fine", "boring", "wonderful", "bad", "good", "terrible", "lovely", "dull"]
        func taskFile(_ name: String, count: Int, offset: Int) throws -> String {
            let lines = try (0..<count).map { index in
                let answers = (0..<3).map { "The film is \(words[(index + offset + 3 * $0) % words.count]) and \(words[(2 * index + $0) % words.count])." }
                let line = ["prompt": "Review film \(index + offset)", "completions": answers.map { ["text": $0, "model": "test"] }] as [String: Any]
                return String(decoding: try JSONSerialization.data(withJSONObject: line), as: UTF8.self)
            }
            let url = folder.appendingPathComponent(name)
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
            return url.path
        }
        let pool = try taskFile("pool.jsonl", count: 30, offset: 0), heldOut = try taskFile("held-out.jsonl", count: 10, offset: 50)
        let output = folder.appendingPathComponent("curve")
        let common = ["reward", "active-curve", "--lexicon", EvaluateCommandTests.lexicon, "--output", output.path, "--pool-tasks", pool,
                      "--held-out", "20", "--budget", "20", "--rounds", "2", "--seeds", "1", "--annotators", "2", "--dimensions", "256"]
        let run = try rlhf(common + ["--held-out-tasks", heldOut, "--pool", "24"])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(run.output.contains("pool: 24 tasks"), "\(run.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("active-curve.json"))) as? [String: Any])
        #expect((summary["candidates"] as? String)?.contains(pool) == true, "\(summary["candidates"] ?? "none")")
        let scored = try #require(summary["held_out_pairs"] as? Int)
        #expect((1...20).contains(scored), "held-out pairs: \(scored)")
        let curves = try #require(summary["curves"] as? [String: [[[String: Any]]]])
        #expect(curves["active"]?.first?.count == 2 && curves["random"]?.first?.count == 2, "\(curves)")

        let alone = try rlhf(common + ["--pool", "24"])
        #expect(alone.status != 0 && alone.error.contains("--pool-tasks needs --held-out-tasks"), "\(alone.error)")
        let validation = try rlhf(common + ["--pool", "24", "--validation"])
        #expect(validation.status == 0 && validation.output.contains("pool: 24 tasks"), "the file's other 6 tasks are scored: \(validation.output)\(validation.error)")
        let nothingLeft = try rlhf(common + ["--pool", "30", "--validation"])
        #expect(nothingLeft.status != 0 && nothingLeft.error.contains("--validation scores those outside the pool"), "\(nothingLeft.error)")
        let tooMany = try rlhf(common + ["--held-out-tasks", heldOut, "--pool", "31"])
        #expect(tooMany.status != 0 && tooMany.error.contains("--pool 31: \(pool) holds 30 tasks"), "\(tooMany.error)")
        let twice = folder.appendingPathComponent("twice.jsonl")
        try Data(#"{"prompt": "p", "completions": [{"text": "same", "model": "m"}, {"text": "same", "model": "m"}]}"#.utf8).write(to: twice)
        let same = try rlhf(common + ["--held-out-tasks", twice.path, "--pool", "24"])
        #expect(same.status != 0 && same.error.contains("\(twice.path):1") && same.error.contains("two different answers"), "\(same.error)")
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
