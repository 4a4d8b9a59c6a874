// The `rlhf` binary as a user runs it: `tokenize` and `perplexity` print exactly the formats other
// tools rely on, and bad input is refused with a message naming the file.
import Foundation
import LanguageModeling
import Testing
import Tokenization
import Transformer

/// The rlhf executable built beside the test bundle.
func rlhfExecutable() throws -> URL {
    // Where the test bundle lives depends on how the toolchain runs it (an .xctest bundle or a plain
    // executable, directly or through a helper), so look beside it, one folder up, and in the package.
    let starts = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        + Bundle.allBundles.map(\.bundleURL)
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates = starts.flatMap { [$0, $0.deletingLastPathComponent()] }.map { $0.appendingPathComponent("rlhf") }
        + [packageRoot.appendingPathComponent(".build/release/rlhf")]
    guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates[0].path])
    }
    return executable
}

/// Runs the rlhf executable; returns exit status, stdout and stderr.
func rlhf(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = try rlhfExecutable()
    process.arguments = arguments
    let (output, error, standardInput) = (Pipe(), Pipe(), Pipe())
    process.standardOutput = output
    process.standardError = error
    process.standardInput = standardInput
    try process.run()
    if let input { standardInput.fileHandleForWriting.write(Data(input.utf8)) }
    try standardInput.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile(), err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

@Suite struct CommandLineTests {
    let folder: URL
    let model: LanguageModel

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-cli-\(UUID().uuidString)")
        let text = (0..<20).map { "The film is a story of \($0) people; it's good, isn't it?" }
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: text)
        let network = try GPT(configuration: GPTConfiguration(vocabularySize: 300, contextLength: 16, width: 16, layers: 1, heads: 2))
        network.initialize(seed: 1)
        model = try LanguageModel(network: network, tokenizer: tokenizer)
        try model.save(to: folder)
    }

    @Test func tokenizePrintsOneJSONArrayOfTheTokenizersIDs() throws {
        let text = "The film's <|endoftext|> story\n  of 12 people"
        let result = try rlhf(["tokenize", "--model", folder.path], input: text)
        #expect(result.status == 0, "\(result.error)")
        let ids = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [Int]
        #expect(ids == model.tokenizer.encode(text))
    }

    @Test func perplexityPrintsTokensMeanNLLAndPerplexity() throws {
        let file = folder.appendingPathComponent("text.txt")
        let text = String(repeating: "The film is a story of people. ", count: 12)
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try rlhf(["perplexity", "--model", folder.path, file.path])
        #expect(result.status == 0, "\(result.error)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Double])
        #expect(Set(object.keys) == ["tokens", "mean_nll", "perplexity"])
        let expected = try model.network.perplexity(of: model.encode(text))
        #expect(object["tokens"] == Double(expected.tokens))
        #expect(abs(object["mean_nll"]! - expected.meanNLL) < 1e-9)
        #expect(abs(object["perplexity"]! - exp(expected.meanNLL)) < 1e-6)
    }

    @Test func aMissingModelFolderIsNamed() throws {
        let result = try rlhf(["perplexity", "--model", "/nonexistent/model", "/etc/hostname"])
        #expect(result.status != 0)
        #expect(result.error.contains("/nonexistent/model"))
    }

    /// Lifetimes the server would turn into whole seconds are refused before it starts, not at the
    /// first sign-in (1e16 hours trapped converting to Int).
    @Test(arguments: [
        ["--session-hours", "1e16"], ["--session-hours", "inf"], ["--session-idle-minutes", "nan"],
        ["--vote-limit", "5", "--vote-window-minutes", "1e300"], ["--temperature", "inf"],
    ]) func serveRefusesLifetimesAndWindowsOutOfBounds(_ options: [String]) throws {
        // A path of this run's own: were validation to pass, the server would create it.
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("never-opened-\(UUID().uuidString)/feedback.sqlite")
        let result = try rlhf(["serve", "--db", store.path, "--port", "0"] + options)
        #expect(result.status != 0 && result.error.contains(options[options.count - 2]), "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: store.path))
    }

    /// `reward train` with a GGUF backbone trains a head on the frozen model, normalised on the
    /// (tiny) policy's samples decoded to text; `reward score`
    /// loads that folder by what its config.json names and ranks unseen texts as trained.
    @Test func rewardTrainOnAGGUFBackboneThenScoreThenOptimise() throws {
        let gguf = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        func pairs(_ good: [String], _ bad: [String]) -> String {
            zip(good, bad).map { #"{"prompt": "Review:", "chosen": " It was \#($0).", "rejected": " It was \#($1)."}"# }.joined(separator: "\n") + "\n"
        }
        let train = folder.appendingPathComponent("train.jsonl"), heldOut = folder.appendingPathComponent("heldout.jsonl")
        try pairs(["wonderful", "superb", "delightful", "great", "lovely", "moving"], ["dreadful", "boring", "tedious", "awful", "dire", "grim"])
            .write(to: train, atomically: true, encoding: .utf8)
        try pairs(["brilliant", "charming"], ["terrible", "dull"]).write(to: heldOut, atomically: true, encoding: .utf8)
        // Beside the tiny policy's own config.json, not over it.
        let config = folder.appendingPathComponent("reward-config.json")
        try #"{"epochs": 40, "normalizationSamples": 24, "optimization": {"batchSize": 4, "learningRate": 0.01, "warmupSteps": 2, "evaluationInterval": 0}}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let run = folder.appendingPathComponent("rm")
        let trained = try rlhf(["reward", "train", "--model", gguf.path, "--data", train.path, "--held-out", heldOut.path,
                                "--config", config.path, "--policy", folder.path, "--output", run.path])
        #expect(trained.status == 0, "\(trained.error)")
        #expect(!trained.output.contains("no --policy"), "normalised on the policy's decoded samples")
        #expect(trained.output.contains("held-out accuracy 1.0000 over 2 pairs"), "\(trained.output)")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("backbone-features.safetensors").path))

        let input = folder.appendingPathComponent("score.jsonl"), output = folder.appendingPathComponent("scored.jsonl")
        try #"{"prompt": "Review:", "response": " It was brilliant.", "id": 7}\#n{"prompt": "Review:", "response": " It was terrible.", "id": 8}\#n"#
            .write(to: input, atomically: true, encoding: .utf8)
        let scored = try rlhf(["reward", "score", "--model", run.appendingPathComponent("model").path, "--input", input.path, "--output", output.path])
        #expect(scored.status == 0, "\(scored.error)")
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(lines.map { $0["id"] as? Int } == [7, 8])
        let rewards = try lines.map { try #require($0["reward"] as? Double) }
        #expect(rewards[0] > rewards[1])
        try expectPolicyCommandsRun(gguf: gguf, rewardModel: run.appendingPathComponent("model"), folder: folder)

        // A head that reads chat prompts as the chat policy does: PPO from chat prompts reads it
        // in the reference pass.
        let chatRun = folder.appendingPathComponent("rm-chat")
        let chatTrained = try rlhf(["reward", "train", "--model", gguf.path, "--data", train.path, "--held-out", heldOut.path, "--chat-prompts",
                                    "--config", config.path, "--policy", folder.path, "--output", chatRun.path])
        #expect(chatTrained.status == 0, "\(chatTrained.error)")
        let chatConfig = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: chatRun.appendingPathComponent("model/config.json"))) as? [String: Any])
        #expect(chatConfig["reward_prompt_format"] as? String == "chat")
        try expectChatPPOReadsTheRewardInTheReferencePass(gguf: gguf, rewardModel: chatRun.appendingPathComponent("model"), folder: folder)
    }

    /// A demo folder made under one configuration is not resumed under another: its finished
    /// stages would be mixed with new ones. The folder is left as it was.
    @Test func aDemoFolderRefusesAnotherConfiguration() throws {
        let run = folder.appendingPathComponent("demo")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let stored = Data(#"{"feedbackPrompts": 7}"#.utf8)
        try stored.write(to: run.appendingPathComponent("config.json"))
        let result = try rlhf(["demo", "--preset", "quick", "--output", run.path])
        #expect(result.status != 0)
        #expect(result.error.contains(run.appendingPathComponent("config.json").path) && result.error.contains("feedbackPrompts"))
        #expect(try Data(contentsOf: run.appendingPathComponent("config.json")) == stored)
    }
}
