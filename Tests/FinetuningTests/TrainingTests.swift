// The trainer's contract: it learns (a batch is overfit), a killed run resumed from its
// checkpoint continues exactly as an uninterrupted one, and a NaN stops it by name.
import Checkpoints
import Foundation
import Testing
import Finetuning
import TrainingRuns
import LanguageModeling
import Tokenization
import TestSupport
import Transformer

func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-finetuning-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small tokenizer and model, the same every time.
func tinyLanguageModel(seed: UInt64 = 1) throws -> LanguageModel {
    let text = (0..<40).map { "the cat sat on the mat number \($0). a good film, a bad film; what a great movie!" }
    let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: text)
    let network = try GPT(configuration: GPTConfiguration(vocabularySize: tokenizer.vocabularySize, contextLength: 32, width: 32, layers: 2, heads: 2, endOfTextToken: Int32(tokenizer.specialTokenID("<|endoftext|>")!)))
    network.initialize(seed: seed)
    return try LanguageModel(network: network, tokenizer: tokenizer)
}

func settings(steps: Int) -> OptimizationSettings {
    var settings = OptimizationSettings()
    settings.steps = steps
    settings.batchSize = 4
    settings.gradientAccumulation = 2
    settings.learningRate = 3e-3
    settings.minimumLearningRate = 3e-4
    settings.warmupSteps = 2
    settings.evaluationInterval = 0
    settings.evaluationBatches = 2
    settings.checkpointInterval = 3
    settings.logInterval = 1
    return settings
}

@Suite struct TrainingTests {
    let demonstrations = (0..<24).map { Demonstration(prompt: "review \($0 % 6):", response: $0 % 2 == 0 ? " a great movie!" : " a bad film.") }

    @Test func supervisedFineTuningOverfitsItsData() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try tinyLanguageModel()
        let data = try Recipes.instructionData(demonstrations, model: model, heldOutPeriod: 0, seed: 1)
        var s = settings(steps: 60)
        s.learningRate = 1e-2
        s.checkpointInterval = 0
        let trainer = try LanguageModelTrainer(model: model, data: data, settings: s, run: RunFolder(folder))
        var losses: [Double] = []
        try trainer.train { if case let .stepped(report) = $0 { losses.append(report.loss) } }
        #expect(losses.count == 60)
        #expect(losses.last! < 0.25 * losses.first!, "loss \(losses.first!) → \(losses.last!)")
        let reloaded = try LanguageModel.load(from: RunFolder(folder).modelURL)
        #expect(maximumDifference(Array(reloaded.network.parameters.allValues), Array(model.network.parameters.allValues)) == 0)
    }

    @Test func aResumedRunContinuesExactlyAsAnUninterruptedOne() throws {
        let (straight, interrupted) = (try temporaryFolder(), try temporaryFolder())
        defer { [straight, interrupted].forEach { try? FileManager.default.removeItem(at: $0) } }
        func trainer(_ folder: URL, steps: Int) throws -> LanguageModelTrainer<InstructionData> {
            let model = try tinyLanguageModel()
            let data = try Recipes.instructionData(demonstrations, model: model, heldOutPeriod: 4, seed: 7)
            return try LanguageModelTrainer(model: model, data: data, settings: settings(steps: steps), run: RunFolder(folder))
        }
        let reference = try trainer(straight, steps: 7)
        try reference.train()

        // The first run checkpoints at step 3 and dies after logging steps 4 and 5.
        let first = try trainer(interrupted, steps: 7)
        try first.train(pausingAfter: 5)

        let resumed = try trainer(interrupted, steps: 7)
        #expect(try resumed.resumeFromLatestCheckpoint() == 3)
        try resumed.train()
        let (a, b) = (Array(resumed.model.network.parameters.allValues), Array(reference.model.network.parameters.allValues))
        #expect(a.count == b.count && maximumDifference(a, b) == 0, "resumed weights differ by up to \(maximumDifference(a, b))")
        let steps = try String(contentsOf: RunFolder(interrupted).metricsURL, encoding: .utf8)
            .split(separator: "\n").compactMap { line -> Int? in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return object?["loss"] != nil ? object?["step"] as? Int : nil
            }
        #expect(steps == Array(1...7))
    }

    @Test func aNonFiniteLossStopsTrainingByName() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try tinyLanguageModel()
        model.network.parameters.withValues(of: "ln_f.weight") { $0[0] = .nan }
        let data = try Recipes.instructionData(demonstrations, model: model, heldOutPeriod: 0, seed: 1)
        let trainer = try LanguageModelTrainer(model: model, data: data, settings: settings(steps: 5), run: RunFolder(folder))
        #expect(throws: TrainingError.nonFinite(step: 1, quantity: "training loss")) { try trainer.train() }
    }
}

/// A tiny Llama with adapters (dropout on, so the masks must resume too), the same every time.
func tinyAdaptedLlama() throws -> LanguageModel {
    let base = try tinyLanguageModel()
    let network = try Llama(configuration: LlamaConfiguration(
        vocabularySize: base.tokenizer.vocabularySize, contextLength: 32, width: 16, layers: 2, heads: 4, keyValueHeads: 2, feedForwardWidth: 24))
    network.initialize(seed: 2)
    let model = try LanguageModel(network: Llama(configuration: network.configuration, parameters: network.parameters.copy(trainable: false)), tokenizer: base.tokenizer)
    try model.network.attachAdapters(LoRAConfiguration(rank: 2, alpha: 4, dropout: 0.2), seed: 5)
    return model
}

@Suite struct LoRATrainingTests {
    let demonstrations = (0..<24).map { Demonstration(prompt: "review \($0 % 6):", response: $0 % 2 == 0 ? " a great movie!" : " a bad film.") }

    @Test func aResumedAdapterRunContinuesExactlyAsAnUninterruptedOne() throws {
        let (straight, interrupted) = (try temporaryFolder(), try temporaryFolder())
        defer { [straight, interrupted].forEach { try? FileManager.default.removeItem(at: $0) } }
        func trainer(_ folder: URL) throws -> LanguageModelTrainer<InstructionData> {
            let model = try tinyAdaptedLlama()
            let data = try Recipes.instructionData(demonstrations, model: model, heldOutPeriod: 4, seed: 7)
            return try LanguageModelTrainer(model: model, data: data, settings: settings(steps: 7), run: RunFolder(folder))
        }
        let reference = try trainer(straight)
        try reference.train()
        try trainer(interrupted).train(pausingAfter: 5)
        let resumed = try trainer(interrupted)
        #expect(try resumed.resumeFromLatestCheckpoint() == 3)
        try resumed.train()
        let (a, b) = (Array(resumed.model.network.trainableParameters.allValues), Array(reference.model.network.trainableParameters.allValues))
        #expect(a.count == b.count && maximumDifference(a, b) == 0, "resumed adapters differ by up to \(maximumDifference(a, b))")
        // A named model: a temporary one would be freed before its values were read.
        let untrained = try tinyAdaptedLlama()
        #expect(maximumDifference(a, Array(untrained.network.trainableParameters.allValues)) > 0, "the adapters trained")
        // Only the adapters are checkpointed: the base is stored once, outside the run.
        let checkpoint = try #require(try RunFolder(interrupted).latestCheckpoint())
        #expect(FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("adapter_model.safetensors").path))
        #expect(!FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("model.safetensors").path))
    }

    /// Resuming with another LoRA rank than the checkpoint's names the file and the tensor.
    @Test func adaptersOfAnotherRankAreRefusedByName() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try tinyAdaptedLlama().saveTrained(to: folder)
        let wider = try tinyAdaptedLlama()
        try wider.network.attachAdapters(LoRAConfiguration(rank: 4, alpha: 4), seed: 5)
        #expect {
            try wider.restoreTrained(from: folder)
        } throws: { error in
            guard case let CheckpointError.shapeMismatch(path, tensor, expected, found) = error else { return false }
            return path == folder.path && tensor.contains(".lora_") && expected.contains(4) && found.contains(2)
        }
    }
}

/// The token files a run folder caches are reused for the input they were made from, and refused,
/// by field, for another tokenizer, corpus or split.
@Test func cachedTokenStreamsAreReusedOnlyForTheirInput() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-streams-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let texts = (0..<60).map { "Review \($0): the film was \(["good", "dull", "long"][$0 % 3])." }
    let corpus = folder.appendingPathComponent("corpus.txt"), other = folder.appendingPathComponent("other.txt")
    try texts.joined(separator: "\n\n").write(to: corpus, atomically: true, encoding: .utf8)
    try texts.reversed().joined(separator: "\n\n").write(to: other, atomically: true, encoding: .utf8)
    let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: texts)
    let smaller = try BPETrainer(config: BPETrainingConfig(vocabularySize: 290)).train(on: texts)
    #expect(tokenizer.fingerprint != smaller.fingerprint)
    #expect(tokenizer.fingerprint == (try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: texts)).fingerprint)
    let run = RunFolder(folder.appendingPathComponent("run"))
    let made = try Recipes.tokenStreams(corpus: [corpus], tokenizer: tokenizer, run: run, heldOutPeriod: 5)
    let reused = try Recipes.tokenStreams(corpus: [corpus], tokenizer: tokenizer, run: run, heldOutPeriod: 5)
    #expect(reused.training == made.training && reused.heldOut == made.heldOut)
    let record = run.url.appendingPathComponent("data/streams.json").path
    for (field, attempt) in [
        ("tokenizer", { try Recipes.tokenStreams(corpus: [corpus], tokenizer: smaller, run: run, heldOutPeriod: 5) }),
        ("corpus", { try Recipes.tokenStreams(corpus: [other], tokenizer: tokenizer, run: run, heldOutPeriod: 5) }),
        ("heldOutPeriod", { try Recipes.tokenStreams(corpus: [corpus], tokenizer: tokenizer, run: run, heldOutPeriod: 4) }),
    ] as [(String, () throws -> (training: [Int32], heldOut: [Int32]))] {
        #expect {
            _ = try attempt()
        } throws: { error in
            guard case let CheckpointError.invalidField(path, name, _) = error else { return false }
            return path == record && name == field
        }
    }
}
