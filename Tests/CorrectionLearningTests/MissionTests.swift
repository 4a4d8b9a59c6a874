// The mission's example on the real SmolLM2-135M-Instruct (the GGUF from scripts/fetch-data.sh):
// a person asks "Who are you?", corrects the chatbot's answer to "I'm a chatbot." in the chat,
// and after one round of learning from the store the greedy answer is the corrected one. The
// paraphrases' log-probability of the corrected answer is reported before and after, and so is
// the drift on unrelated prompts (KL per token against the base model on its own answers).
import Foundation
import Testing
@testable import CorrectionLearning
@testable import Feedback
import FeedbackTestSupport
import LanguageModeling
import Randomness
import TestSupport
import Transformer

@Suite(.serialized) struct MissionTests {
    static let modelFile = PackageRoot.file("data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    static let question = "Who are you?"
    static let taught = "I'm a chatbot."
    static let paraphrases = ["What are you?", "Tell me who you are."]
    /// Unrelated to the correction, and other than the held-out prompts the learner reports its own drift on.
    static let unrelated = ["What is two plus two?", "Give me a word that rhymes with cat.", "Describe the moon in one sentence."]

    func base() throws -> LanguageModel {
        guard FileManager.default.fileExists(atPath: Self.modelFile.path) else {
            throw FixtureError(description: "\(Self.modelFile.path) is missing: run scripts/fetch-data.sh")
        }
        return try LanguageModel.load(from: Self.modelFile, trainable: false)
    }

    func greedy(_ model: LanguageModel, _ question: String) throws -> String {
        var generator = RandomGenerator(seed: 0)
        let answer = try model.answer(
            [[LanguageModeling.ChatMessage(role: "user", content: question)]], parameters: Transformer.SamplingParameters(temperature: 0, maxNewTokens: 32),
            generator: &generator)[0]
        return answer.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Summed log-probability of `answer` and the end of turn after the chat prompt of `question`.
    func logProbability(_ model: LanguageModel, of answer: String, after question: String) throws -> Double {
        let batch = try SequenceBatch(prompts: [model.chatPrompt(user: question)], responses: [model.encode(answer) + model.stopTokens], padding: 2)
        return try model.network.responseLogProbabilities(batch, tape: nil).scalars.reduce(0.0) { $0 + Double($1) }
    }

    /// Mean KL(learned ‖ base) per token over `answer` (the base model's own) to `question`.
    func klPerToken(_ model: LanguageModel, _ question: String, answer: String) throws -> Double {
        let batch = try SequenceBatch(prompts: [model.chatPrompt(user: question)], responses: [model.encode(answer) + model.stopTokens], padding: 2)
        let learned = try model.network.logits(model.network.responseStates(batch, tape: nil), tape: nil).scalars
        let reference = try model.network.withoutAdapters { try model.network.logits(model.network.responseStates(batch, tape: nil), tape: nil).scalars }
        let V = model.network.vocabularySize
        func logSoftmax(_ row: ArraySlice<Float>) -> [Double] {
            let top = Double(row.max()!), total = row.reduce(0.0) { $0 + exp(Double($1) - top) }
            return row.map { Double($0) - top - log(total) }
        }
        var kl = 0.0
        for t in 0..<batch.responseLength {
            let p = logSoftmax(learned[(t * V)..<((t + 1) * V)]), q = logSoftmax(reference[(t * V)..<((t + 1) * V)])
            kl += zip(p, q).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
        }
        return kl / Double(batch.responseLength)
    }

    @Test func oneStoredCorrectionAndOneLearningRoundChangeTheAnswer() async throws {
        let model = try base()
        let original = try greedy(model, Self.question)
        #expect(original != Self.taught)
        let paraphraseBefore = try Self.paraphrases.map { try logProbability(model, of: Self.taught, after: $0) }
        let unrelatedAnswers = try Self.unrelated.map { try greedy(model, $0) }
        let unrelatedBefore = try zip(Self.unrelated, unrelatedAnswers).map { try logProbability(model, of: $1, after: $0) }

        // The person's side, as the chat page stores it: the reply, a thumbs-down, the correction.
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try FeedbackStore(path: folder.appendingPathComponent("feedback.sqlite").path)
        let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
        let reply = try await chatReply(store, [Feedback.ChatMessage(role: .user, content: Self.question)], original, by: alice)
        _ = try await store.rateChatReply(completionID: reply, isGood: false, by: alice)
        let correction = try await store.correctChatReply(completionID: reply, correction: Self.taught, by: alice)

        let start = Date()
        let learned = try await CorrectionLearner().learn(
            from: store, storeName: "feedback.sqlite", model: model, startingAdapter: nil, versions: folder.appendingPathComponent("versions"))
        let seconds = Date().timeIntervalSince(start)

        let answer = try greedy(model, Self.question)
        #expect(answer == Self.taught, "metrics \(learned.provenance.metrics)")
        let paraphraseAnswers = try Self.paraphrases.map { try greedy(model, $0) }
        let paraphraseAfter = try Self.paraphrases.map { try logProbability(model, of: Self.taught, after: $0) }
        let unrelatedAfter = try zip(Self.unrelated, unrelatedAnswers).map { try logProbability(model, of: $1, after: $0) }
        let divergences = try zip(Self.unrelated, unrelatedAnswers).map { try klPerToken(model, $0, answer: $1) }
        print("""
            mission: \(Self.question.debugDescription) \(original.debugDescription) → \(answer.debugDescription) after one learn round (\(String(format: "%.0f", seconds)) s)
              metrics \(learned.provenance.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4g", $0.value))" }.joined(separator: " "))
              paraphrases log p(taught): \(zip(Self.paraphrases, zip(paraphraseBefore, paraphraseAfter)).map { "\($0.debugDescription) \(String(format: "%.2f → %.2f", $1.0, $1.1))" }.joined(separator: ", "))
              paraphrases' greedy answers now: \(paraphraseAnswers.map(\.debugDescription).joined(separator: ", "))
              held-out drift reported: \(learned.provenance.drift.map { String(format: "%.4f", $0.klPerToken) }.joined(separator: ", "))
              unrelated: KL per token \(divergences.map { String(format: "%.4f", $0) }.joined(separator: ", ")); log p of the base answers \(zip(unrelatedBefore, unrelatedAfter).map { String(format: "%.2f → %.2f", $0, $1) }.joined(separator: ", "))
            """)
        for (before, after) in zip(paraphraseBefore, paraphraseAfter) {
            #expect(after > before + 1, "log p(taught | paraphrase) \(before) → \(after)")
        }
        // Measured at the defaults: 0.27, 0.60 and 0.30 nats per token (the rhyme's first words move most).
        #expect(divergences.reduce(0, +) / Double(divergences.count) < 0.5 && divergences.allSatisfy { $0 < 1 },
                "KL per token on unrelated prompts \(divergences)")
        #expect(learned.provenance.drift.count == LearningConfiguration().heldOutPrompts.count)
        #expect(learned.provenance.drift.allSatisfy { $0.klPerToken < 0.5 }, "the learner's own drift report \(learned.provenance.drift)")
        for (before, after) in zip(unrelatedBefore, unrelatedAfter) {
            #expect(abs(after - before) < 0.5 * abs(before) + 2, "log p of an unrelated base answer \(before) → \(after)")
        }

        // The store and the folder both say what the version learned from, and it loads back.
        #expect(learned.version.isActive && learned.version.status == .ready)
        #expect(try await store.activeAdapterVersion()?.id == learned.version.id)
        #expect(try await store.demonstrationIDs(learnedBy: learned.version.id) == [correction.id!])
        #expect(try await store.correctionsNotYetLearned() == 0)
        let provenance = try AdapterProvenance.read(from: learned.folder)
        #expect(provenance.corrections.map(\.text) == [Self.taught] && provenance.pairs == 1 && provenance.ratingIDs.count == 1)
        #expect(provenance.baseModel == Self.modelFile.standardizedFileURL.path && provenance.metrics["corrections/reproduced"] == 1)
        #expect(FileManager.default.fileExists(atPath: learned.folder.appendingPathComponent("training/dpo/metrics.jsonl").path))
        #expect(!FileManager.default.fileExists(atPath: learned.folder.appendingPathComponent("training/sft/checkpoints").path))
        let reloaded = try LanguageModel.load(from: learned.folder, trainable: false)
        #expect(try greedy(reloaded, Self.question) == Self.taught)
    }
}
