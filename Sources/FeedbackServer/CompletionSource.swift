// Where the server gets model output: a protocol the real model implements, and a test stand-in.

import Feedback

/// A model's output with its provenance, as a completion source returns it.
package typealias GeneratedCompletion = NewCompletion

/// Something that writes answers: the server asks it for completions to build comparison tasks
/// and for chat replies. The GPT model implements it; the server never imports model code.
package protocol CompletionSource: Sendable {
    /// `count` answers to `prompt`, each with its provenance (model, checkpoint, sampling, seed).
    func completions(for prompt: String, count: Int) async throws -> [GeneratedCompletion]
    /// The next assistant message of `conversation` (which ends with a user message).
    func reply(to conversation: [ChatMessage]) async throws -> GeneratedCompletion
    /// The same, told as it is written: `receive` gets each new piece of the answer's text and
    /// returns false to end the answer there (the chat's stop button). Returns the answer as
    /// written up to that point.
    func reply(to conversation: [ChatMessage], streaming receive: @escaping @Sendable (String) -> Bool) async throws -> GeneratedCompletion
}

extension CompletionSource {
    /// A source that cannot stream tells the whole answer as one piece.
    package func reply(to conversation: [ChatMessage], streaming receive: @escaping @Sendable (String) -> Bool) async throws -> GeneratedCompletion {
        let reply = try await reply(to: conversation)
        _ = receive(reply.text)
        return reply
    }
}

/// A stand-in for tests only: answers by quoting the prompt. It is no language model, and its
/// provenance says so (`model: "echo-stand-in"`).
package struct EchoCompletionSource: CompletionSource {
    /// Creates the stand-in.
    package init() {}

    package func completions(for prompt: String, count: Int) async throws -> [GeneratedCompletion] {
        (0..<count).map { index in
            GeneratedCompletion(
                text: "Echo \(index + 1): \(prompt)",
                provenance: Provenance(model: "echo-stand-in", checkpoint: nil, sampling: nil, seed: UInt64(index)))
        }
    }

    package func reply(to conversation: [ChatMessage]) async throws -> GeneratedCompletion {
        let last = conversation.last?.content ?? ""
        return GeneratedCompletion(text: "You said: \(last)", provenance: Provenance(model: "echo-stand-in"))
    }

    /// Tells the echo a word (with the space after it) at a time.
    package func reply(to conversation: [ChatMessage], streaming receive: @escaping @Sendable (String) -> Bool) async throws -> GeneratedCompletion {
        var reply = try await reply(to: conversation), told = ""
        var pieces = reply.text.split(separator: " ", omittingEmptySubsequences: false).map { $0 + " " }
        if !pieces.isEmpty { pieces[pieces.count - 1].removeLast() }
        for piece in pieces {
            told += piece
            guard receive(String(piece)) else { break }
        }
        reply.text = told
        return reply
    }
}
