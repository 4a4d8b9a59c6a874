// The tiny models and the learnable preference the DPO tests train on, the same every time.
import Foundation
import Finetuning
import LanguageModeling
import PreferenceOptimization
import TestSupport
import Tokenization
import TrainingRuns
import Transformer

func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-dpo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A two-layer GPT-2 with a BPE tokenizer trained on text like the pairs'.
func tinyGPT(seed: UInt64 = 1) throws -> LanguageModel {
    let text = (0..<40).map { "review number \($0): a great movie! a good film. what a bad film; a dull movie." }
    let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: text)
    let network = try GPT(configuration: GPTConfiguration(
        vocabularySize: tokenizer.vocabularySize, contextLength: 32, width: 32, layers: 2, heads: 2,
        endOfTextToken: Int32(tokenizer.specialTokenID("<|endoftext|>")!)))
    network.initialize(seed: seed)
    return try LanguageModel(network: network, tokenizer: tokenizer)
}

/// The committed tiny Llama (Tests/Fixtures/llama-tiny, 48 tokens) with a one-character-a-token
/// tokenizer that fits its vocabulary; `</s>` (id 2, the checkpoint's eos) ends every answer.
func tinyLlama() throws -> LanguageModel {
    let network = try Llama.load(from: PackageRoot.file("Tests/Fixtures/llama-tiny"), trainable: false)
    let characters = "abcdefghijklmnopqrstuvwxyz0123456789".map(String.init) + ["Ġ", ":", ".", "!", ","]
    let tokenizer = try BPETokenizer(tokens: ["<unk>", "<s>", "</s>"] + characters, merges: [], splitsDigits: false, source: "test alphabet")
    return try LanguageModel(network: network, tokenizer: tokenizer, stopTokens: [2])
}

/// Reviews whose preferred answer is always the positive one, whatever the prompt: a preference
/// that held-out prompts share.
func learnablePairs(count: Int = 48) -> [PreferencePair] {
    let good = [" a great movie!", " a good film.", " what a great film!"]
    let bad = [" a bad film.", " a dull movie.", " what a bad movie."]
    return (0..<count).map { PreferencePair(prompt: "review \($0):", chosen: good[$0 % 3], rejected: bad[($0 / 3) % 3]) }
}

func dpoSettings(steps: Int) -> OptimizationSettings {
    var settings = OptimizationSettings()
    settings.steps = steps
    settings.batchSize = 4
    settings.gradientAccumulation = 2
    settings.learningRate = 3e-3
    settings.minimumLearningRate = 3e-4
    settings.warmupSteps = 2
    settings.weightDecay = 0
    settings.evaluationInterval = 0
    settings.evaluationBatches = 4
    settings.checkpointInterval = 3
    settings.logInterval = 1
    return settings
}

/// The JSON records of a run's metrics.jsonl.
func metricRecords(_ run: RunFolder) throws -> [[String: Any]] {
    try String(contentsOf: run.metricsURL, encoding: .utf8).split(separator: "\n").compactMap {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}
