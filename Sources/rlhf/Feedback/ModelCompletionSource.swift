// The real model behind the feedback server: completions for comparison tasks and chat replies,
// sampled from a checkpoint folder. An actor, because one model instance serves requests one at
// a time while the server handles many connections.
import Feedback
import FeedbackServer
import Foundation
import LanguageModeling
import Randomness
import Transformer

actor ModelCompletionSource: CompletionSource {
    private let model: LanguageModel
    private let name: String
    private let checkpoint: String
    private let sampling: Transformer.SamplingParameters
    private var generator: RandomGenerator
    private var draws: UInt64 = 0

    /// - Parameters:
    ///   - folder: the checkpoint folder; its last path component names the model in ratings.
    init(folder: URL, sampling: Transformer.SamplingParameters, seed: UInt64) throws {
        model = try LanguageModel.load(from: folder, trainable: false)
        name = folder.standardizedFileURL.lastPathComponent == "model"
            ? folder.standardizedFileURL.deletingLastPathComponent().lastPathComponent
            : folder.standardizedFileURL.lastPathComponent
        checkpoint = folder.standardizedFileURL.path
        self.sampling = sampling
        generator = RandomGenerator(seed: seed)
    }

    func completions(for prompt: String, count: Int) async throws -> [GeneratedCompletion] {
        try (0..<count).map { _ in try sample(prompt) }
    }

    /// The conversation as "User: …" / "Assistant: …" lines, continued after "Assistant:" up to
    /// the end of the line.
    func reply(to conversation: [ChatMessage]) async throws -> GeneratedCompletion {
        let transcript = conversation.map { "\($0.role == .user ? "User" : $0.role == .assistant ? "Assistant" : "System"): \($0.content)" }
            .joined(separator: "\n") + "\nAssistant:"
        var completion = try sample(transcript)
        let answer = completion.text.drop { $0.isWhitespace }
        completion.text = String(answer.prefix { $0 != "\n" }).trimmingCharacters(in: .whitespaces)
        return completion
    }

    /// One sample with its own seed, recorded in the provenance so it can be reproduced.
    private func sample(_ prompt: String) throws -> GeneratedCompletion {
        let seed = generator.next()
        var drawGenerator = RandomGenerator(seed: seed)
        draws += 1
        let text = try model.complete([prompt], parameters: sampling, generator: &drawGenerator)[0]
        let recorded = Feedback.SamplingParameters(
            temperature: Double(sampling.temperature), topK: sampling.topK, topP: Double(sampling.topP), maxNewTokens: sampling.maxNewTokens)
        return GeneratedCompletion(text: text, provenance: Provenance(model: name, checkpoint: checkpoint, sampling: recorded, seed: seed))
    }
}
