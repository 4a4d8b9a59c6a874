// The real model behind the feedback server: completions for comparison tasks and chat replies,
// sampled from a checkpoint folder or a GGUF file. A model with a chat template (SmolLM2) reads
// prompts and conversations in it; a plain one continues text. An actor, because one model instance serves requests one at
// a time while the server handles many connections.
import CorrectionLearning
import Feedback
import FeedbackServer
import Foundation
import LanguageModeling
import Randomness
import Transformer

actor ModelCompletionSource: CompletionSource, AdapterSwitch {
    private let model: LanguageModel
    /// The adapters the source was started with (nil: none), restored when no version is followed.
    private let startingAdapters: LoRAAdapters?
    private let baseName: String
    private let baseCheckpoint: String
    /// The model's name in provenance: the base's, with the learned version followed.
    private var name: String
    private var checkpoint: String
    private let sampling: Transformer.SamplingParameters
    private var generator: RandomGenerator
    private var draws: UInt64 = 0

    /// - Parameters:
    ///   - folder: the checkpoint folder or GGUF file; its last path component names the model in ratings.
    init(folder: URL, adapter: URL? = nil, sampling: Transformer.SamplingParameters, seed: UInt64) throws {
        model = try LanguageModel.load(from: folder, adapter: adapter, trainable: false)
        startingAdapters = model.network.adapters
        // Started with an adapter, the answers are the adapted model's: named and traced to it, so
        // ratings do not credit them to the base.
        baseName = [folder, adapter].compactMap { $0.map(Self.displayName) }.joined(separator: "+")
        baseCheckpoint = adapter?.standardizedFileURL.path ?? folder.standardizedFileURL.path
        (name, checkpoint) = (baseName, baseCheckpoint)
        self.sampling = sampling
        generator = RandomGenerator(seed: seed)
    }

    /// A run's model folder is named by its run ("runs/sft/model" is "sft"), anything else by itself.
    private static func displayName(_ url: URL) -> String {
        let url = url.standardizedFileURL
        return url.lastPathComponent == "model" ? url.deletingLastPathComponent().lastPathComponent : url.lastPathComponent
    }

    /// Answers with a learned adapter version from now on (nil: as started). Ratings go by model
    /// name, so each version is named apart: "BASE+v3".
    func useAdapter(_ folder: URL?, version: Int64?) async throws {
        guard let folder else {
            model.network.adapters = startingAdapters
            (name, checkpoint) = (baseName, baseCheckpoint)
            return
        }
        model.network.adapters = try LoRAAdapters.load(from: folder, candidates: model.network.adaptableLayers, trainable: false)
        name = version.map { "\(baseName)+v\($0)" } ?? "\(baseName)+\(folder.lastPathComponent)"
        checkpoint = folder.standardizedFileURL.path
    }

    func completions(for prompt: String, count: Int) async throws -> [GeneratedCompletion] {
        let tokens = model.chatTemplate == nil ? plainPrompt(prompt) : try model.chatPrompt(user: prompt)
        return try (0..<count).map { _ in try sample(tokens) }
    }

    /// The answer to the conversation: in the model's chat template, or for a plain model the
    /// conversation as "User: …" / "Assistant: …" lines continued after "Assistant:" to the end of the line.
    func reply(to conversation: [Feedback.ChatMessage]) async throws -> GeneratedCompletion {
        try await reply(to: conversation) { _ in true }
    }

    /// The answer, each new piece of text told to `receive` as the model writes it. A plain
    /// model's answer ends at its first line break, so it is told only up to there.
    func reply(to conversation: [Feedback.ChatMessage], streaming receive: @escaping @Sendable (String) -> Bool) async throws -> GeneratedCompletion {
        let prompt = try model.replyPrompt(conversation.map { LanguageModeling.ChatMessage(role: $0.role.rawValue, content: $0.content) })
        var completion: GeneratedCompletion
        if model.chatTemplate != nil {
            completion = try sample(prompt, receive: receive)
        } else {
            var started = false
            completion = try sample(prompt) { piece in
                let rest = started ? Substring(piece) : piece.drop { $0.isWhitespace }
                started = started || !rest.isEmpty
                guard let end = rest.firstIndex(of: "\n") else { return rest.isEmpty || receive(String(rest)) }
                if end > rest.startIndex { _ = receive(String(rest[..<end])) }
                return false
            }
        }
        completion.text = model.replyText(completion.text)
        return completion
    }

    private func plainPrompt(_ text: String) -> [Int32] {
        let tokens = model.encode(text)
        return tokens.isEmpty ? [model.endOfText ?? 0] : tokens
    }

    /// One sample with its own seed, recorded in the provenance so it can be reproduced.
    /// `receive`, when given, is told each new piece of text as the tokens come (a piece that
    /// ends inside a multi-byte character waits for the rest) and may end the sample.
    private func sample(_ prompt: [Int32], receive: ((String) -> Bool)? = nil) throws -> GeneratedCompletion {
        let seed = generator.next()
        var drawGenerator = RandomGenerator(seed: seed)
        draws += 1
        let room = max(1, model.network.contextLength - sampling.maxNewTokens)
        var tokens: [Int32] = [], told: [UInt8] = []
        let observe = receive.map { receive in
            { (_: Int, token: Int32) -> Bool in
                tokens.append(token)
                guard let text = try? self.model.decode(tokens), !text.hasSuffix("\u{FFFD}"), text.utf8.starts(with: told) else { return true }
                let piece = storableModelText(String(decoding: text.utf8.dropFirst(told.count), as: UTF8.self))
                told = Array(text.utf8)
                return piece.isEmpty || receive(piece)
            }
        }
        let generation = try model.generate([Array(prompt.suffix(room))], parameters: sampling, generator: &drawGenerator, observe: observe)[0]
        let text = storableModelText(try model.decode(generation.tokens))
        let recorded = Feedback.SamplingParameters(
            temperature: Double(sampling.temperature), topK: sampling.topK, topP: Double(sampling.topP), maxNewTokens: sampling.maxNewTokens)
        return GeneratedCompletion(text: text, provenance: Provenance(model: name, checkpoint: checkpoint, sampling: recorded, seed: seed))
    }
}
