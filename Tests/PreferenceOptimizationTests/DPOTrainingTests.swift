// DPO on tiny models through the shared trainer: it learns a preference that held-out prompts
// share (full fine-tune of a GPT-2, LoRA on the Llama fixture), logs TRL's metrics, takes its
// reference from the starting policy, and a paused run resumed from its checkpoint continues
// bit for bit as an unbroken one.
import Foundation
import Testing
import Finetuning
import LanguageModeling
import PreferenceOptimization
import TestSupport
import TrainingRuns
import Transformer

@Suite struct DPOTrainingTests {
    func trainer(_ model: LanguageModel, folder: URL, steps: Int, loss: DPOLossSettings = DPOLossSettings(), learningRate: Float = 3e-3) throws -> DPOTrainer {
        let data = try PreferenceData(learnablePairs(), model: model, heldOutPeriod: 4)
        var settings = dpoSettings(steps: steps)
        settings.learningRate = learningRate
        settings.minimumLearningRate = learningRate / 10
        let objective = try DirectPreferenceOptimization(data: data, settings: loss, seed: 3, referenceBatchSize: 8)
        return try DPOTrainer(model: model, objective: objective, settings: settings, run: RunFolder(folder))
    }

    func heldOut(_ trainer: DPOTrainer) throws -> Evaluation {
        try #require(try trainer.evaluate())
    }

    @Test(arguments: [DPOLossSettings(), DPOLossSettings(labelSmoothing: 0.1), DPOLossSettings(beta: 0.5, loss: .ipo)])
    func fullFineTuningLearnsAHeldOutPreference(loss: DPOLossSettings) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = try trainer(try tinyGPT(), folder: folder, steps: 30, loss: loss)
        let before = try heldOut(trainer)
        try trainer.train()
        let after = try heldOut(trainer)
        let (accuracy, margin) = (after.metrics["rewards/accuracies"]!, after.metrics["rewards/margins"]!)
        print("\(loss.loss) ε \(loss.labelSmoothing): held-out loss \(before.loss) → \(after.loss), accuracy \(before.metrics["rewards/accuracies"]!) → \(accuracy), margin \(before.metrics["rewards/margins"]!) → \(margin)")
        #expect(abs(before.metrics["rewards/margins"]!) < 1e-4, "the policy starts as its own reference")
        #expect(after.loss < before.loss)
        #expect(accuracy >= 0.9 && margin > 0.5, "held-out accuracy \(accuracy), margin \(margin)")

        let records = try metricRecords(trainer.run)
        let step = try #require(records.first { $0["loss"] != nil })
        for name in ["step", "epoch", "loss", "learning_rate", "grad_norm", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies", "logps/chosen", "logps/rejected"] {
            #expect(step[name] != nil, "metrics.jsonl lacks \(name)")
        }
        #expect(records.contains { $0["eval_rewards/accuracies"] != nil && $0["eval_loss"] != nil })
        let reloaded = try LanguageModel.load(from: trainer.run.modelURL)
        #expect(maximumDifference(Array(reloaded.network.parameters.allValues), Array(trainer.model.network.parameters.allValues)) == 0)
    }

    @Test func aResumedFullFineTuneContinuesExactlyWithTheSameReference() throws {
        let (straight, interrupted) = (try temporaryFolder(), try temporaryFolder())
        defer { [straight, interrupted].forEach { try? FileManager.default.removeItem(at: $0) } }
        let reference = try trainer(try tinyGPT(), folder: straight, steps: 7)
        try reference.train()

        // The first run checkpoints at step 3 and dies after logging steps 4 and 5.
        try trainer(try tinyGPT(), folder: interrupted, steps: 7).train(pausingAfter: 5)
        let resumed = try trainer(try tinyGPT(), folder: interrupted, steps: 7)
        #expect(try resumed.resumeFromLatestCheckpoint() == 3)
        try resumed.train()
        // Recomputed from the restored (trained) weights, the reference would differ.
        #expect(resumed.objective.reference == reference.objective.reference)
        let (a, b) = (Array(resumed.model.network.parameters.allValues), Array(reference.model.network.parameters.allValues))
        #expect(a.count == b.count && maximumDifference(a, b) == 0, "resumed weights differ by up to \(maximumDifference(a, b))")
        let steps = try metricRecords(RunFolder(interrupted)).compactMap { $0["loss"] != nil ? $0["step"] as? Int : nil }
        #expect(steps == Array(1...7))
        let margins = { (run: URL) in try metricRecords(RunFolder(run)).compactMap { $0["rewards/margins"] as? Double } }
        #expect(try margins(interrupted).suffix(4) == margins(straight).suffix(4))
    }

    @Test func aCheckpointOfOtherDataIsRefusedByName() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try trainer(try tinyGPT(), folder: folder, steps: 3).train()
        let model = try tinyGPT()
        let other = try PreferenceData(Array(learnablePairs().prefix(20)), model: model, heldOutPeriod: 4)
        let objective = try DirectPreferenceOptimization(data: other, settings: DPOLossSettings(), seed: 3)
        let trainer = try DPOTrainer(model: model, objective: objective, settings: dpoSettings(steps: 3), run: RunFolder(folder))
        #expect(throws: PreferenceOptimizationError.self) { try trainer.resumeFromLatestCheckpoint() }

        // As many pairs, each the other way round: the counts agree, the reference would not.
        let swapped = learnablePairs().map { PreferencePair(prompt: $0.prompt, chosen: $0.rejected, rejected: $0.chosen) }
        let turned = try DirectPreferenceOptimization(
            data: try PreferenceData(swapped, model: model, heldOutPeriod: 4), settings: DPOLossSettings(), seed: 3)
        let resumed = try DPOTrainer(model: model, objective: turned, settings: dpoSettings(steps: 3), run: RunFolder(folder))
        #expect { try resumed.resumeFromLatestCheckpoint() } throws: { "\($0)".contains("other tokens") }
    }
}

@Suite struct DPOLoRATests {
    func trainer(_ model: LanguageModel, folder: URL, steps: Int) throws -> DPOTrainer {
        let data = try PreferenceData(learnablePairs(), model: model, heldOutPeriod: 4)
        var settings = dpoSettings(steps: steps)
        (settings.learningRate, settings.minimumLearningRate) = (2e-2, 2e-3)
        let objective = try DirectPreferenceOptimization(data: data, settings: DPOLossSettings(), seed: 3, referenceBatchSize: 8)
        return try DPOTrainer(model: model, objective: objective, settings: settings, run: RunFolder(folder))
    }

    func adaptedLlama(dropout: Float = 0) throws -> LanguageModel {
        let model = try tinyLlama()
        try model.network.attachAdapters(LoRAConfiguration(rank: 4, alpha: 8, dropout: dropout), seed: 5)
        return model
    }

    @Test func loraOnTheLlamaFixtureLearnsAHeldOutPreferenceAndLeavesTheBase() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try adaptedLlama()
        let base = Array(model.network.parameters.allValues)
        let trainer = try trainer(model, folder: folder, steps: 40)
        let before = try #require(try trainer.evaluate())
        try trainer.train()
        let after = try #require(try trainer.evaluate())
        let (accuracy, margin) = (after.metrics["rewards/accuracies"]!, after.metrics["rewards/margins"]!)
        print("LoRA on llama-tiny: held-out loss \(before.loss) → \(after.loss), accuracy \(before.metrics["rewards/accuracies"]!) → \(accuracy), margin \(before.metrics["rewards/margins"]!) → \(margin)")
        #expect(after.loss < before.loss)
        #expect(accuracy >= 0.9 && margin > 0.5, "held-out accuracy \(accuracy), margin \(margin)")
        #expect(maximumDifference(Array(model.network.parameters.allValues), base) == 0, "the base stays frozen")
        #expect(FileManager.default.fileExists(atPath: trainer.run.modelURL.appendingPathComponent("adapter_model.safetensors").path))
    }

    @Test func freshAdaptersTakeTheBaseModelAsReference() throws {
        let model = try adaptedLlama()
        let data = try PreferenceData(learnablePairs(), model: model, heldOutPeriod: 4)
        var objective = try DirectPreferenceOptimization(data: data, settings: DPOLossSettings(), seed: 0, referenceBatchSize: 8)
        try objective.prepare(model: model)
        let reference = try #require(objective.reference)
        let base = try tinyLlama()
        #expect(base.network.adapters == nil)
        #expect(reference.training == (try data.logProbabilities(of: data.training, network: base.network, batchSize: 8)))
        #expect(reference.heldOut == (try data.logProbabilities(of: data.heldOut, network: base.network, batchSize: 8)))
        #expect(model.network.adapters!.isEnabled, "the adapters are switched back on")
    }

    @Test func aLoadedAdapterIsItsOwnReference() throws {
        let model = try tinyLlama()
        model.network.adapters = try LoRAAdapters.load(
            from: PackageRoot.file("Tests/Fixtures/llama-tiny-lora"), candidates: model.network.adaptableLayers, trainable: true)
        let data = try PreferenceData(learnablePairs(), model: model, heldOutPeriod: 4)
        var objective = try DirectPreferenceOptimization(data: data, settings: DPOLossSettings(), seed: 0, referenceBatchSize: 8)
        try objective.prepare(model: model)
        let reference = try #require(objective.reference)
        let adapted = try data.logProbabilities(of: data.training, network: model.network, batchSize: 8)
        let base = try model.network.withoutAdapters { try data.logProbabilities(of: data.training, network: model.network, batchSize: 8) }
        #expect(reference.training == adapted)
        #expect(maximumDifference(reference.training.map(\.chosen), base.map(\.chosen)) > 1e-3, "the fixture's adapter changes the model")
    }

    @Test func aResumedAdapterRunWithDropoutContinuesExactly() throws {
        let (straight, interrupted) = (try temporaryFolder(), try temporaryFolder())
        defer { [straight, interrupted].forEach { try? FileManager.default.removeItem(at: $0) } }
        let reference = try trainer(try adaptedLlama(dropout: 0.2), folder: straight, steps: 7)
        try reference.train()
        try trainer(try adaptedLlama(dropout: 0.2), folder: interrupted, steps: 7).train(pausingAfter: 5)
        let resumed = try trainer(try adaptedLlama(dropout: 0.2), folder: interrupted, steps: 7)
        #expect(try resumed.resumeFromLatestCheckpoint() == 3)
        try resumed.train()
        let (a, b) = (Array(resumed.model.network.trainableParameters.allValues), Array(reference.model.network.trainableParameters.allValues))
        #expect(a.count == b.count && maximumDifference(a, b) == 0, "resumed adapters differ by up to \(maximumDifference(a, b))")
        // A named model: a temporary one would be freed before its values were read.
        let untrained = try adaptedLlama(dropout: 0.2)
        #expect(maximumDifference(a, Array(untrained.network.trainableParameters.allValues)) > 0, "the adapters trained")
        let checkpoint = try #require(try RunFolder(interrupted).latestCheckpoint())
        #expect(!FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("model.safetensors").path), "only the adapters are checkpointed")
    }
}
