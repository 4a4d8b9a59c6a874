// Bad input on the command line, end to end: a negative count is a usage error and not a trap;
// a run refused for its data leaves a finished run's record alone; a refused demo configuration
// writes nothing that would block the corrected one; a mistyped store path creates no store;
// CRLF files read line by line.
import Foundation
import Testing

@Suite struct BadInputTests {
    @Test func aNegativeCountIsAUsageErrorNamingTheOption() throws {
        let workspace = try CrashWorkspace.shared.get()
        let run = try FullDiskTests.rlhf(["generate", "--model", workspace.path("gpt"), "--prompt", "The", "--count=-1"])
        #expect(run.status == 64, "\(run.output)")
        #expect(run.output.contains("--count must be between 1 and"), "\(run.output)")
    }

    /// Every sampling command checks its sampler's settings when it parses them, by the options' names.
    @Test func aSamplingSettingOutOfRangeIsAUsageErrorNamingTheOption() throws {
        let workspace = try CrashWorkspace.shared.get()
        let cases: [([String], String)] = [
            (["generate", "--model", workspace.path("gpt"), "--top-p", "0"], "--top-p must be in (0, 1]"),
            (["generate", "--model", workspace.path("gpt"), "--repetition-penalty=-1"], "--repetition-penalty must be a finite value > 0"),
            (["evaluate", "--model", workspace.path("gpt"), "--baseline", workspace.path("gpt"), "--prompts", workspace.path("prompts.txt"),
              "--top-k=-2"], "--top-k must be ≥ 0"),
            (["best-of-n", "--model", workspace.path("gpt"), "--reward-model", workspace.path("reward/model"), "--prompts", workspace.path("prompts.txt"),
              "--output", workspace.path("best-\(UUID().uuidString).jsonl"), "--temperature", "inf"], "--temperature must be 0, or a finite positive value"),
        ]
        for (arguments, message) in cases {
            let run = try FullDiskTests.rlhf(arguments)
            #expect(run.status == 64 && run.output.contains(message), "\(arguments): \(run.output)")
        }
    }

    /// Refused once the command runs, after parsing: the reason alone, not the root command's usage.
    @Test func inputRefusedWhileRunningSaysWhyWithoutTheRootUsage() throws {
        let workspace = try CrashWorkspace.shared.get()
        let run = try FullDiskTests.rlhf(["ilql", "--model", workspace.path("gpt"), "--output", workspace.path("ilql-\(UUID().uuidString)")])
        #expect(run.status == 64, "\(run.output)")
        #expect(run.output.contains("give rewarded samples with --data"), "\(run.output)")
        #expect(!run.output.contains("USAGE") && !run.output.contains("Usage:"), "\(run.output)")
    }

    @Test func aRunRefusedForItsDataLeavesTheFinishedRunsRecord() throws {
        let workspace = try CrashWorkspace.shared.get()
        let (run, arguments, recorded) = try ResumeConfigurationTests.finishedRun(.sft, steps: 2)
        let bad = workspace.url("bad-\(UUID().uuidString).jsonl")
        try Data("{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": 3}\n".utf8).write(to: bad)
        let dataFlag = try #require(arguments.firstIndex(of: "--data"))
        var refusedArguments = arguments
        refusedArguments[dataFlag + 1] = bad.path
        let refused = try FullDiskTests.rlhf(refusedArguments + ["--steps", "7"])
        #expect(refused.status != 0 && refused.output.contains("\(bad.path):2:"), "\(refused.output)")
        #expect(try Data(contentsOf: run.appendingPathComponent("config.json")) == recorded, "the refused run rewrote config.json")
    }

    @Test func aRefusedDemoConfigurationWritesNothing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refused-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("c.json"), output = folder.appendingPathComponent("demo")
        try Data(#"{"samplesPerPrompt": 1}"#.utf8).write(to: config)
        let refused = try FullDiskTests.rlhf(["demo", "--preset", "quick", "--config", config.path, "--output", output.path, "--data", folder.path])
        #expect(refused.status != 0, "\(refused.output)")
        #expect(refused.output.contains("\(config.path): samplesPerPrompt: expected at least 2"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("config.json").path))

        try Data(#"{"ppo": {"batchSize": 0}}"#.utf8).write(to: config)
        let nested = try FullDiskTests.rlhf(["demo", "--preset", "quick", "--config", config.path, "--output", output.path, "--data", folder.path])
        #expect(nested.status != 0 && nested.output.contains("\(config.path): optimizer setting ppo.batchSize"), "\(nested.output)")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("config.json").path))
    }

    @Test func aMistypedStorePathCreatesNoStore() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("typo-\(UUID().uuidString)")
        let store = folder.appendingPathComponent("feedback.sqlite").path
        let workspace = try CrashWorkspace.shared.get()
        for command in [
            ["annotators", "list"], ["ratings"], ["tasks", "export", "--output", folder.appendingPathComponent("out.jsonl").path],
            ["simulate-annotators", "--lexicon", workspace.path("no-lexicon")], ["tasks", "prioritize", "--reward", workspace.path("reward/model")],
            ["learn", "--model", workspace.path("llama"), "--output", folder.appendingPathComponent("versions").path],
            ["dpo", "--model", workspace.path("gpt"), "--output", folder.appendingPathComponent("dpo").path],
        ] {
            let run = try FullDiskTests.rlhf(command + ["--db", store])
            #expect(run.status != 0 && run.output.contains("'\(store)' is not a feedback database: no such file"), "\(command): \(run.output)")
            #expect(!FileManager.default.fileExists(atPath: folder.path), "\(command) created \(folder.path)")
        }
        let notSQLite = FileManager.default.temporaryDirectory.appendingPathComponent("not-sqlite-\(UUID().uuidString).sqlite")
        defer { try? FileManager.default.removeItem(at: notSQLite) }
        try Data("not a database, just text that is long enough to fill a header".utf8).write(to: notSQLite)
        let run = try FullDiskTests.rlhf(["annotators", "list", "--db", notSQLite.path])
        #expect(run.status != 0 && run.output.contains("'\(notSQLite.path)' is not a feedback database"), "\(run.output)")
        #expect(!run.output.contains("name\trole"), "the table's header was printed before the error")
    }

    @Test func crlfInputIsReadLineByLine() throws {
        let workspace = try CrashWorkspace.shared.get()
        let input = workspace.url("crlf-\(UUID().uuidString).jsonl"), output = workspace.url("scored-\(UUID().uuidString).jsonl")
        try Data("{\"prompt\": \"The film\", \"response\": \" was good.\"}\r\n{\"prompt\": \"The plot\", \"response\": \" was dull.\"}\r\n".utf8).write(to: input)
        let run = try FullDiskTests.rlhf(["reward", "score", "--model", workspace.path("reward/model"), "--input", input.path, "--output", output.path])
        #expect(run.status == 0, "\(run.output)")
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("\"reward\"") }, "\(lines)")
        let empty = workspace.url("empty-\(UUID().uuidString).jsonl")
        try Data("\r\n\r\n".utf8).write(to: empty)
        let none = try FullDiskTests.rlhf(["reward", "score", "--model", workspace.path("reward/model"), "--input", empty.path, "--output", output.path])
        #expect(none.status != 0 && none.output.contains("\(empty.path): holds only blank lines"), "\(none.output)")
    }

    @Test func anOutputPathInTheWayIsNamedInWords() throws {
        let workspace = try CrashWorkspace.shared.get()
        let file = workspace.url("in-the-way-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        let run = try FullDiskTests.rlhf(CrashJob.sft.arguments(in: workspace, run: file) + ["--steps", "1"])
        #expect(run.status != 0 && run.output.contains("\(file.path) is a file, not a folder"), "\(run.output)")
        let pairs = workspace.url("score-\(UUID().uuidString).jsonl")
        try Data("{\"prompt\": \"The film\", \"response\": \" was good.\"}\n".utf8).write(to: pairs)
        let folder = try FullDiskTests.rlhf(["reward", "score", "--model", workspace.path("reward/model"), "--input", pairs.path, "--output", workspace.folder.path])
        #expect(folder.status == 64 && folder.output.contains("--output \(workspace.folder.path): a folder is there, not a file"), "refused before scoring: \(folder.output)")
        #expect(!folder.output.contains("NSCocoaErrorDomain"))
        let lora = try FullDiskTests.rlhf(CrashJob.sft.arguments(in: workspace, run: workspace.url("lora-\(UUID().uuidString)")) + ["--lora-alpha", "4"])
        #expect(lora.status == 64 && lora.output.contains("give --lora-rank as well"), "\(lora.output)")
    }
}
