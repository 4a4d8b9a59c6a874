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
}
