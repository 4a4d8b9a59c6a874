// The training commands the crash harness kills, at a scale that runs in a second or two: a
// workspace of tiny inputs (a BPE tokenizer, a corpus, a GPT-2 and a Llama model folder,
// demonstrations, preference pairs, prompts, a reward model) made once, and each job's arguments.
import Foundation
import LanguageModeling
import Randomness
import Tokenization
import Transformer

struct CrashWorkspace: Sendable {
    let folder: URL

    /// Made once for every job of a test process.
    static let shared = Result { try CrashWorkspace() }

    func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
    func path(_ name: String) -> String { url(name).path }

    private static let words = ["film", "story", "cast", "plot", "score", "scene", "ending", "script", "actor", "music"]
    private static let good = ["good", "great", "moving", "superb", "lovely", "sharp", "warm", "bright"]
    private static let bad = ["bad", "dull", "tedious", "awful", "grim", "flat", "cold", "limp"]

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var generator = RandomGenerator(seed: 13)
        func pick(_ list: [String]) -> String { list[generator.integer(in: 0..<list.count)] }
        let sentences = (0..<1500).map { _ in "The \(pick(Self.words)) was \(pick(Self.good)) but the \(pick(Self.words)) was \(pick(Self.bad))." }
        try write(sentences.joined(separator: " "), to: "corpus.txt")

        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: Array(sentences.prefix(200)))
        try tokenizer.save(to: url("tokenizer"))
        let gpt = try GPT(configuration: GPTConfiguration(
            vocabularySize: tokenizer.vocabularySize, contextLength: 32, width: 32, layers: 2, heads: 2,
            endOfTextToken: tokenizer.specialTokenID("<|endoftext|>").map(Int32.init)))
        gpt.initialize(seed: 1)
        try LanguageModel(network: gpt, tokenizer: tokenizer).save(to: url("gpt"))
        let llama = try Llama(configuration: LlamaConfiguration(
            vocabularySize: tokenizer.vocabularySize, contextLength: 32, width: 32, layers: 2, heads: 4, keyValueHeads: 2, feedForwardWidth: 48))
        llama.initialize(seed: 1)
        try LanguageModel(network: llama, tokenizer: tokenizer).save(to: url("llama"))

        func line(_ object: [String: String]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        let demonstrations = try (0..<24).map { _ in
            try line(["prompt": "The \(pick(Self.words)) was", "completion": " \(pick(Self.good)) and \(pick(Self.good))."])
        }
        try write(demonstrations.joined(separator: "\n") + "\n", to: "demonstrations.jsonl")
        let pairs = try (0..<24).map { index in
            try line(["prompt": "Review \(index % 12):", "chosen": " The \(pick(Self.words)) was \(pick(Self.good)).", "rejected": " The \(pick(Self.words)) was \(pick(Self.bad))."])
        }
        try write(pairs.joined(separator: "\n") + "\n", to: "pairs.jsonl")
        try write((0..<8).map { "The \(Self.words[$0]) was" }.joined(separator: "\n") + "\n", to: "prompts.txt")

        let steps = #"{"steps": 24, "batchSize": 4, "warmupSteps": 2, "evaluationInterval": 4, "evaluationBatches": 1, "checkpointInterval": 3, "checkpointsKept": 100, "logInterval": 1}"#
        try write(#"{"model": {"contextLength": 32, "width": 32, "layers": 2, "heads": 2}, "heldOutPeriod": 2, "optimization": \#(steps)}"#, to: "pretrain.json")
        try write(#"{"heldOutPeriod": 4, "optimization": \#(steps)}"#, to: "sft.json")
        try write(#"{"heldOutPeriod": 4, "optimization": \#(steps)}"#, to: "dpo.json")
        try write(#"""
            {"epochs": 3, "heldOutPeriod": 4, "normalizationSamples": 8, "normalizationResponseTokens": 4,
             "optimization": {"batchSize": 4, "warmupSteps": 1, "evaluationInterval": 4, "logInterval": 1}}
            """#, to: "reward.json")
        try write(#"{"iterations": 4, "batchSize": 4, "responseLength": 6, "epochs": 2, "minibatches": 2, "checkpointInterval": 2, "loggedSamples": 1}"#, to: "ppo.json")

        let reward = try attempt(CrashJob.rewardTrain.arguments(in: self, run: url("reward")), folder: url("reward"), moment: .never, log: url("reward.log"))
        guard reward.status == 0 else { throw CrashWorkspaceError.failed(command: "reward train", log: reward.log) }
    }

    private func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: url(name))
    }
}

enum CrashWorkspaceError: Error, CustomStringConvertible {
    case failed(command: String, log: URL)

    var description: String {
        switch self {
        case let .failed(command, log): "\(command) failed: \((try? String(contentsOf: log, encoding: .utf8)) ?? log.path)"
        }
    }
}

/// A training command the harness kills and resumes.
enum CrashJob: String, CaseIterable, Sendable, CustomStringConvertible {
    case pretrain, sft, sftLoRA = "sft-lora", rewardTrain = "reward-train", ppo, dpo

    var description: String { rawValue }

    /// The command line of the run in `run`.
    func arguments(in workspace: CrashWorkspace, run: URL) -> [String] {
        let output = ["--output", run.path]
        switch self {
        case .pretrain:
            return ["pretrain", "--tokenizer", workspace.path("tokenizer"), "--corpus", workspace.path("corpus.txt"), "--config", workspace.path("pretrain.json")] + output
        case .sft:
            return ["sft", "--model", workspace.path("gpt"), "--data", workspace.path("demonstrations.jsonl"), "--config", workspace.path("sft.json")] + output
        case .sftLoRA:
            return ["sft", "--model", workspace.path("llama"), "--data", workspace.path("demonstrations.jsonl"), "--config", workspace.path("sft.json"),
                    "--lora-rank", "2"] + output
        case .rewardTrain:
            return ["reward", "train", "--model", workspace.path("gpt"), "--data", workspace.path("pairs.jsonl"), "--config", workspace.path("reward.json")] + output
        case .ppo:
            return ["ppo", "--model", workspace.path("gpt"), "--reward-model", workspace.path("reward/model"), "--prompts", workspace.path("prompts.txt"),
                    "--config", workspace.path("ppo.json"), "--lexicon", workspace.path("no-lexicon")] + output
        case .dpo:
            return ["dpo", "--model", workspace.path("gpt"), "--data", workspace.path("pairs.jsonl"), "--config", workspace.path("dpo.json")] + output
        }
    }

    /// What the command line gains to continue a killed run: reward runs have no checkpoints and
    /// start again; the others resume from their latest checkpoint.
    var continuation: [String] { self == .rewardTrain ? [] : ["--resume"] }
}
