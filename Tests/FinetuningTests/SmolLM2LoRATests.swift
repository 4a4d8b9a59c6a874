// Supervised fine-tuning of the real SmolLM2-135M-Instruct (the GGUF file from
// scripts/fetch-data.sh) with LoRA, as `rlhf sft --model FILE.gguf --lora-rank 8` runs it: after a
// few steps on one correction the greedy answer is the taught one, a paraphrase moves towards it,
// unrelated answers stay close to the base model's (KL reported), and the adapter folder is what
// the run leaves behind.
import Foundation
import Testing
import Finetuning
import TrainingRuns
import LanguageModeling
import Randomness
import TestSupport
import Transformer

@Suite(.serialized) struct SmolLM2LoRATests {
    static let modelFile = PackageRoot.file("data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    static let taught = "I'm a chatbot."

    func base() throws -> LanguageModel {
        guard FileManager.default.fileExists(atPath: Self.modelFile.path) else {
            throw FixtureError(description: "\(Self.modelFile.path) is missing: run scripts/fetch-data.sh")
        }
        return try LanguageModel.load(from: Self.modelFile, trainable: false)
    }

    func greedy(_ model: LanguageModel, _ question: String) throws -> String {
        var generator = RandomGenerator(seed: 0)
        return try model.answer([[ChatMessage(role: "user", content: question)]], parameters: SamplingParameters(temperature: 0, maxNewTokens: 24), generator: &generator)[0]
    }

    /// Log-probability of `answer` (and the end of turn) after the chat prompt of `question`.
    func logProbability(_ model: LanguageModel, of answer: String, after question: String) throws -> Double {
        let batch = try SequenceBatch(prompts: [model.chatPrompt(user: question)], responses: [model.encode(answer) + model.stopTokens], padding: 2)
        return try model.network.responseLogProbabilities(batch, tape: nil).scalars.reduce(0.0) { $0 + Double($1) }
    }

    /// Mean KL(tuned ‖ base) per token over the base model's own greedy answer to `question`.
    func klPerToken(_ model: LanguageModel, _ question: String) throws -> Double {
        let answer = try model.network.withoutAdapters { try greedy(model, question) }
        let batch = try SequenceBatch(prompts: [model.chatPrompt(user: question)], responses: [model.encode(answer)], padding: 2)
        let tuned = try model.network.logits(model.network.responseStates(batch, tape: nil), tape: nil).scalars
        let reference = try model.network.withoutAdapters { try model.network.logits(model.network.responseStates(batch, tape: nil), tape: nil).scalars }
        let V = model.network.vocabularySize, positions = batch.responseLength
        func logSoftmax(_ row: ArraySlice<Float>) -> [Double] {
            let top = Double(row.max()!), total = row.reduce(0.0) { $0 + exp(Double($1) - top) }
            return row.map { Double($0) - top - log(total) }
        }
        var kl = 0.0
        for t in 0..<positions {
            let p = logSoftmax(tuned[(t * V)..<((t + 1) * V)]), q = logSoftmax(reference[(t * V)..<((t + 1) * V)])
            kl += zip(p, q).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
        }
        return kl / Double(positions)
    }

    @Test func oneCorrectionTeachesTheAnswerAndLeavesOtherAnswersAlone() throws {
        let model = try base()
        let unrelated = ["What is the capital of France?", "Name three colors.", "Write one sentence about the sea."]
        let paraphrase = "Tell me who you are."
        let before = try logProbability(model, of: Self.taught, after: paraphrase)
        #expect(try greedy(model, "Who are you?") != Self.taught)

        try model.network.attachAdapters(LoRAConfiguration(rank: 8, alpha: 16), seed: 0)
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try Recipes.instructionData([Demonstration(prompt: "Who are you?", response: Self.taught)], model: model, heldOutPeriod: 0, seed: 0)
        var s = OptimizationSettings()
        (s.steps, s.batchSize, s.learningRate, s.minimumLearningRate, s.warmupSteps) = (10, 1, 1e-3, 1e-4, 0)
        (s.weightDecay, s.evaluationInterval, s.checkpointInterval, s.logInterval) = (0, 0, 0, 1)
        let trainer = try LanguageModelTrainer(model: model, data: data, settings: s, run: RunFolder(folder))
        var losses: [Double] = []
        try trainer.train { if case let .stepped(report) = $0 { losses.append(report.loss) } }

        #expect(try greedy(model, "Who are you?") == Self.taught, "losses \(losses)")
        let after = try logProbability(model, of: Self.taught, after: paraphrase)
        #expect(after > before + 1, "log p(taught | paraphrase) \(before) → \(after)")
        let divergences = try unrelated.map { try klPerToken(model, $0) }
        print("LoRA SFT on one correction: losses \(losses.first!) → \(losses.last!); log p(taught | paraphrase) \(before) → \(after); KL per token on unrelated prompts \(divergences)")
        #expect(divergences.allSatisfy { $0 < 0.5 }, "KL per token on unrelated prompts \(divergences)")

        // The run leaves a PEFT adapter folder naming the GGUF as its base, and loading it gives the same answer.
        let saved = RunFolder(folder).modelURL
        #expect(FileManager.default.fileExists(atPath: saved.appendingPathComponent("adapter_model.safetensors").path))
        #expect(!FileManager.default.fileExists(atPath: saved.appendingPathComponent("model.safetensors").path), "the base is not copied")
        let reloaded = try LanguageModel.load(from: saved, trainable: false)
        #expect(try greedy(reloaded, "Who are you?") == Self.taught)
    }
}
