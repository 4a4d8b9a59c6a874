// The real model behind the feedback server: completions for comparison tasks and chat replies,
// sampled from a checkpoint folder or a GGUF file. A model with a chat template (SmolLM2) reads
// prompts and conversations in it; a plain one continues text. An actor, because one model instance serves requests one at
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
    ///   - folder: the checkpoint folder or GGUF file; its last path component names the model in ratings.
    init(folder: URL, adapter: URL? = nil, sampling: Transformer.SamplingParameters, seed: UInt64) throws {
        model = try LanguageModel.load(from: folder, adapter: adapter, trainable: false)
        name = folder.standardizedFileURL.lastPathComponent == "model"
            ? folder.standardizedFileURL.deletingLastPathComponent().lastPathComponent
            : folder.standardizedFileURL.lastPathComponent
        checkpoint = folder.standardizedFileURL.path
        self.sampling = sampling
        generator = RandomGenerator(seed: seed)
    }

    func completions(for prompt: String, count: Int) async throws -> [GeneratedCompletion] {
        let tokens = model.chatTemplate == nil ? plainPrompt(prompt) : try model.chatPrompt(user: prompt)
        return try (0..<count).map { _ in try sample(tokens) }
    }

    /// The answer to the conversation: in the model's chat template, or for a plain model the
    /// conversation as "User: …" / "Assistant: …" lines continued after "Assistant:" to the end of the line.
    func reply(to conversation: [Feedback.ChatMessage]) async throws -> GeneratedCompletion {
        if model.chatTemplate != nil {
            let messages = conversation.map { LanguageModeling.ChatMessage(role: $0.role.rawValue, content: $0.content) }
            var completion = try sample(try model.chatPrompt(messages))
            completion.text = completion.text.trimmingCharacters(in: .whitespacesAndNewlines)
            return completion
        }
        let transcript = conversation.map { "\($0.role == .user ? "User" : $0.role == .assistant ? "Assistant" : "System"): \($0.content)" }
            .joined(separator: "\n") + "\nAssistant:"
        var completion = try sample(plainPrompt(transcript))
        let answer = completion.text.drop { $0.isWhitespace }
        completion.text = String(answer.prefix { $0 != "\n" }).trimmingCharacters(in: .whitespaces)
        return completion
    }

    private func plainPrompt(_ text: String) -> [Int32] {
        let tokens = model.encode(text)
        return tokens.isEmpty ? [model.endOfText ?? 0] : tokens
    }

    /// One sample with its own seed, recorded in the provenance so it can be reproduced.
    private func sample(_ prompt: [Int32]) throws -> GeneratedCompletion {
        let seed = generator.next()
        var drawGenerator = RandomGenerator(seed: seed)
        draws += 1
        let room = max(1, model.network.contextLength - sampling.maxNewTokens)
        let generation = try model.generate([Array(prompt.suffix(room))], parameters: sampling, generator: &drawGenerator)[0]
        let text = try model.decode(generation.tokens)
        let recorded = Feedback.SamplingParameters(
            temperature: Double(sampling.temperature), topK: sampling.topK, topP: Double(sampling.topP), maxNewTokens: sampling.maxNewTokens)
        return GeneratedCompletion(text: text, provenance: Provenance(model: name, checkpoint: checkpoint, sampling: recorded, seed: seed))
    }
}
