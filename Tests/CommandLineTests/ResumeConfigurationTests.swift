// A training run resumed under another configuration than the one its config.json records
// would continue as neither run, and overwriting the record would hide it: it is refused,
// naming the fields. Only the run's length may change, to train on. A setting added after the run
// was recorded is no change: it defaults to the behaviour the run had. A run's folder is not
// started over without --resume. Nor may a resumed run read other inputs than inputs.json
// records: another model, reward model or data file, or the same file edited.
import Foundation
import LanguageModeling
import Transformer
import Testing

@Suite struct ResumeConfigurationTests {
    /// A finished tiny run of `job` in a fresh folder: its folder, command line and the config.json it recorded.
    static func finishedRun(_ job: CrashJob, steps: Int) throws -> (run: URL, arguments: [String], recorded: Data) {
        let workspace = try CrashWorkspace.shared.get()
        let run = workspace.url("\(job)-finished-\(UUID().uuidString)")
        let arguments = job.arguments(in: workspace, run: run)
        let first = try FullDiskTests.rlhf(arguments + ["--steps", "\(steps)"])
        #expect(first.status == 0, "\(first.output)")
        return (run, arguments, try Data(contentsOf: run.appendingPathComponent("config.json")))
    }

    /// The same command again without --resume would start over beneath the first run's logs,
    /// which would then hold two runs under the same step numbers.
    @Test func aFolderHoldingARunIsRefusedWithoutResume() throws {
        let (run, arguments, recorded) = try Self.finishedRun(.sft, steps: 3)
        let metrics = try Data(contentsOf: run.appendingPathComponent("metrics.jsonl"))
        let again = try FullDiskTests.rlhf(arguments + ["--steps", "3"])
        #expect(again.status != 0 && again.output.contains("holds a run already: continue it with --resume"), "\(again.output)")
        #expect(try Data(contentsOf: run.appendingPathComponent("metrics.jsonl")) == metrics, "the first run's log is as it was")
        #expect(try Data(contentsOf: run.appendingPathComponent("config.json")) == recorded)
    }

    @Test func aRunResumedUnderAnotherConfigurationIsRefusedAndKeepsItsRecord() throws {
        let (run, arguments, recorded) = try Self.finishedRun(.pretrain, steps: 3)

        // Without its --config file the run would go on as the default model.
        let configFlag = try #require(arguments.firstIndex(of: "--config"))
        let withoutConfig = Array(arguments[..<configFlag] + arguments[(configFlag + 2)...])
        let refused = try FullDiskTests.rlhf(withoutConfig + ["--resume"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("records another configuration") && refused.output.contains("model.width"), "\(refused.output)")
        #expect(try Data(contentsOf: run.appendingPathComponent("config.json")) == recorded, "the refused run rewrote config.json")

        let longer = try FullDiskTests.rlhf(arguments + ["--steps", "6", "--resume"])
        #expect(longer.status == 0, "a longer run could not continue: \(longer.output)")
        #expect(DataParallelTests.losses(in: run, job: .pretrain).keys.sorted() == Array(1...6))
    }

    @Test func aSettingAddedSinceTheRunWasRecordedIsNoChange() throws {
        let workspace = try CrashWorkspace.shared.get()
        let run = workspace.url("ppo-older-record-\(UUID().uuidString)")
        let arguments = CrashJob.ppo.arguments(in: workspace, run: run)
        let first = try FullDiskTests.rlhf(arguments)
        try #require(first.status == 0, "\(first.output)")
        // The record of a version before PPO's rollouts had a top-k.
        let recordURL = run.appendingPathComponent("config.json")
        var record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: recordURL)) as? [String: Any])
        try #require(record.removeValue(forKey: "topK") as? Int == 0)
        try JSONSerialization.data(withJSONObject: record).write(to: recordURL)

        let longer = try FullDiskTests.rlhf(arguments + ["--iterations", "6", "--resume"])
        #expect(longer.status == 0, "a run recorded before topK existed could not continue: \(longer.output)")
        #expect(DataParallelTests.losses(in: run, job: .ppo).keys.sorted() == Array(1...6))
        let rewritten = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: recordURL)) as? [String: Any])
        #expect(rewritten["topK"] as? Int == 0, "the continued run records the setting it ran with")

        record["klCoefficient"] = 0.5
        try JSONSerialization.data(withJSONObject: record).write(to: recordURL)
        let changed = try FullDiskTests.rlhf(arguments + ["--iterations", "8", "--resume"])
        #expect(changed.status != 0 && changed.output.contains("klCoefficient"), "a recorded setting that differs is still refused: \(changed.output)")
    }

    @Test func aRunResumedFromOtherInputsIsRefusedAndKeepsItsRecord() throws {
        let workspace = try CrashWorkspace.shared.get()
        let run = workspace.url("ppo-inputs-\(UUID().uuidString)")
        let prompts = workspace.url("prompts-\(UUID().uuidString).txt")
        let original = try Data(contentsOf: workspace.url("prompts.txt"))
        try original.write(to: prompts)
        var arguments = CrashJob.ppo.arguments(in: workspace, run: run)
        let promptsFlag = try #require(arguments.firstIndex(of: "--prompts"))
        arguments[promptsFlag + 1] = prompts.path
        let first = try FullDiskTests.rlhf(arguments)
        try #require(first.status == 0, "\(first.output)")
        let recordURL = run.appendingPathComponent("inputs.json")
        let record = try Data(contentsOf: recordURL)
        let recorded = try #require(try JSONSerialization.jsonObject(with: record) as? [String: String])
        #expect(recorded["--reward-model"] == workspace.url("reward/model").resolvingSymlinksInPath().path, "\(recorded)")

        // The same reward model under another name is another input, as far as the record can tell.
        let copy = workspace.url("reward-copy-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: workspace.url("reward/model"), to: copy)
        var otherReward = arguments
        otherReward[try #require(arguments.firstIndex(of: "--reward-model")) + 1] = copy.path
        let refused = try FullDiskTests.rlhf(otherReward + ["--iterations", "6", "--resume"])
        #expect(refused.status != 0 && refused.output.contains("--reward-model was"), "\(refused.output)")
        #expect(try Data(contentsOf: recordURL) == record, "the refused run rewrote inputs.json")

        try Data((String(decoding: original, as: UTF8.self) + "The cast was\n").utf8).write(to: prompts)
        let edited = try FullDiskTests.rlhf(arguments + ["--iterations", "6", "--resume"])
        #expect(edited.status != 0 && edited.output.contains("content of --prompts was"), "\(edited.output)")

        try original.write(to: prompts)
        let longer = try FullDiskTests.rlhf(arguments + ["--iterations", "6", "--resume"])
        #expect(longer.status == 0, "the run's own inputs could not continue it: \(longer.output)")
        #expect(DataParallelTests.losses(in: run, job: .ppo).keys.sorted() == Array(1...6))

        // A folder from before the record existed takes the resumed run's.
        try FileManager.default.removeItem(at: recordURL)
        let older = try FullDiskTests.rlhf(arguments + ["--iterations", "8", "--resume"])
        #expect(older.status == 0, "\(older.output)")
        #expect(try Data(contentsOf: recordURL) == record)

        // A record that is there but cannot be read is refused, not taken for none and replaced.
        try FileManager.default.removeItem(at: recordURL)
        try FileManager.default.createDirectory(at: recordURL, withIntermediateDirectories: false)
        let unreadable = try FullDiskTests.rlhf(arguments + ["--iterations", "9", "--resume"])
        #expect(unreadable.status != 0 && unreadable.output.contains("inputs.json is not a record of the run's inputs"), "\(unreadable.output)")
    }

    /// A model saved again at the path the run read it from is another input; a record kept
    /// before models' contents were recorded goes by their paths.
    @Test func aModelSavedAgainAtItsPathIsAnotherInput() throws {
        let workspace = try CrashWorkspace.shared.get()
        let model = workspace.url("gpt-copy-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: workspace.url("gpt"), to: model)
        let (arguments, recordURL, record) = try Self.sftRun(model: model, run: workspace.url("sft-model-\(UUID().uuidString)"), in: workspace)

        // The same file name, one weight changed: a model retrained in place, as far as a resume can tell.
        let weights = model.appendingPathComponent("model.safetensors")
        var bytes = try Self.flipLastBit(of: weights)
        let refused = try FullDiskTests.rlhf(arguments + ["--steps", "4", "--resume"])
        #expect(refused.status != 0 && refused.output.contains("content of --model was"), "\(refused.output)")
        #expect(try Data(contentsOf: recordURL) == record, "the refused run rewrote inputs.json")

        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: weights)
        let resumed = try FullDiskTests.rlhf(arguments + ["--steps", "4", "--resume"])
        #expect(resumed.status == 0, "the run's own model could not continue it: \(resumed.output)")

        var older = try #require(try JSONSerialization.jsonObject(with: record) as? [String: String])
        #expect(older.removeValue(forKey: "content of --model") != nil, "\(older)")
        try JSONSerialization.data(withJSONObject: older).write(to: recordURL)
        let fromOlder = try FullDiskTests.rlhf(arguments + ["--steps", "5", "--resume"])
        #expect(fromOlder.status == 0, "a record without the models' contents goes by their paths: \(fromOlder.output)")
    }

    /// An adapter folder given as --model names its base by path; the base saved again there is
    /// another input. A record kept before the base was recorded goes by the folder alone.
    @Test func theBaseAnAdapterFolderNamesIsAnInput() throws {
        let workspace = try CrashWorkspace.shared.get()
        let scratch = workspace.url("adapter-base-\(UUID().uuidString)")
        let base = scratch.appendingPathComponent("base"), adapter = scratch.appendingPathComponent("adapter")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: workspace.url("llama"), to: base)
        let model = try LanguageModel.load(from: base, trainable: false)
        try model.network.attachAdapters(LoRAConfiguration(rank: 2, alpha: 4), seed: 1)
        try model.saveAdapters(to: adapter)
        let (arguments, recordURL, record) = try Self.sftRun(model: adapter, run: scratch.appendingPathComponent("run"), in: workspace)
        let recorded = try #require(try JSONSerialization.jsonObject(with: record) as? [String: String])
        #expect(recorded["base of --model"] == base.path, "\(recorded)")

        _ = try Self.flipLastBit(of: base.appendingPathComponent("model.safetensors"))
        let refused = try FullDiskTests.rlhf(arguments + ["--steps", "4", "--resume"])
        #expect(refused.status != 0 && refused.output.contains("content of base of --model was"), "\(refused.output)")
        #expect(try Data(contentsOf: recordURL) == record, "the refused run rewrote inputs.json")

        var older = recorded
        #expect(older.removeValue(forKey: "base of --model") != nil && older.removeValue(forKey: "content of base of --model") != nil)
        try JSONSerialization.data(withJSONObject: older).write(to: recordURL)
        let fromOlder = try FullDiskTests.rlhf(arguments + ["--steps", "4", "--resume"])
        #expect(fromOlder.status == 0, "a record without the base goes by the adapter folder: \(fromOlder.output)")
    }

    /// Two steps of the SFT crash job from `model` into `run`: its arguments, and its inputs.json
    /// with the bytes it holds.
    static func sftRun(model: URL, run: URL, in workspace: CrashWorkspace) throws -> (arguments: [String], record: URL, bytes: Data) {
        var arguments = CrashJob.sft.arguments(in: workspace, run: run)
        arguments[try #require(arguments.firstIndex(of: "--model")) + 1] = model.path
        let first = try FullDiskTests.rlhf(arguments + ["--steps", "2"])
        try #require(first.status == 0, "\(first.output)")
        let recordURL = run.appendingPathComponent("inputs.json")
        return (arguments, recordURL, try Data(contentsOf: recordURL))
    }

    /// Flips the last byte's low bit in `file` (a weight's exponent bit in a safetensors file);
    /// returns the new bytes.
    static func flipLastBit(of file: URL) throws -> Data {
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: file)
        return bytes
    }
}
