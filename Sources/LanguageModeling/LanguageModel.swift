// A causal language model with the tokenizer it reads, the tokens that end its answers and its
// chat template: what commands take as --model, whichever family the network is.
import Checkpoints
import Foundation
import Randomness
import Tokenization
import Transformer

public final class LanguageModel {
    public let network: any CausalLanguageModel
    public let tokenizer: BPETokenizer
    /// Tokens that end an answer: GPT-2's `<|endoftext|>`, SmolLM2's `<|im_end|>`.
    public let stopTokens: [Int32]
    /// The chat template, for models trained on conversations.
    public let chatTemplate: ChatTemplate?
    /// The chat template's Jinja text as the model's files hold it, written back unchanged when
    /// the model is saved, so another tool renders it as the original did.
    public let chatTemplateSource: String?
    /// Whether the model's files carry a chat template other than ChatML, which this engine does
    /// not render: it then reads a lone user message as plain text, but refuses a conversation.
    public var hasUnrenderedChatTemplate: Bool { chatTemplate == nil && chatTemplateSource != nil }
    /// Where the base weights were read from (a folder or a GGUF file), when they were.
    public let source: URL?

    public init(
        network: any CausalLanguageModel, tokenizer: BPETokenizer, stopTokens: [Int32]? = nil, chatTemplate: ChatTemplate? = nil,
        chatTemplateSource: String? = nil, source: URL? = nil
    ) throws {
        guard tokenizer.vocabularySize <= network.vocabularySize else {
            throw CheckpointError.invalidField(
                path: source?.path ?? "tokenizer", field: "vocabulary",
                reason: "has \(tokenizer.vocabularySize) tokens, more than the model's \(network.vocabularySize)")
        }
        self.network = network
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.chatTemplateSource = chatTemplateSource
        self.source = source
        let endOfText = tokenizer.specialTokenID("<|endoftext|>").map(Int32.init) ?? (network as? GPT)?.configuration.endOfTextToken
        self.stopTokens = stopTokens ?? endOfText.map { [$0] } ?? []
    }

    /// The network as GPT-2, for the stages that only that family supports so far.
    public var gpt: GPT? { network as? GPT }

    /// The token that ends an answer and pads batches (the first stop token).
    public var endOfText: Int32? { stopTokens.first }

    /// Token ids of `text`; special-token text (`<|im_start|>`) is encoded as ordinary text, so
    /// untrusted text cannot inject control tokens.
    public func encode(_ text: String) -> [Int32] {
        tokenizer.encode(text).map(Int32.init)
    }

    /// Text of `ids`; invalid UTF-8 from a cut multi-byte character is repaired.
    public func decode(_ ids: [Int32]) throws -> String {
        try tokenizer.decode(ids.map(Int.init))
    }

    /// The prompt tokens for a conversation, ending where the assistant's answer starts: the chat
    /// template's when the model has one; otherwise the last message's text as a plain prompt.
    public func chatPrompt(_ messages: [ChatMessage]) throws -> [Int32] {
        guard let chatTemplate else {
            // The model was trained on its template's layout of the earlier turns and the system
            // message; dropping them in silence would answer another conversation.
            if hasUnrenderedChatTemplate, messages.count > 1 || messages.contains(where: { $0.role == "system" }) {
                throw CheckpointError.invalidField(
                    path: source?.path ?? "model", field: "chat_template",
                    reason: "is not ChatML, the one template this engine renders: a conversation with earlier turns or a system message cannot be prompted without it (a lone user message is read as plain text)")
            }
            let text = messages.last?.content ?? ""
            return encode(text).isEmpty ? [endOfText ?? 0] : encode(text)
        }
        let start = try special("<|im_start|>"), end = try special("<|im_end|>")
        var ids: [Int32] = []
        for message in chatTemplate.completed(messages) {
            ids += [start] + encode("\(message.role)\n\(message.content)") + [end] + encode("\n")
        }
        return ids + [start] + encode("assistant\n")
    }

    /// The prompt for one user message.
    public func chatPrompt(user message: String) throws -> [Int32] {
        try chatPrompt([ChatMessage(role: "user", content: message)])
    }

    private func special(_ text: String) throws -> Int32 {
        guard let id = tokenizer.specialTokenID(text) else {
            throw CheckpointError.invalidField(path: source?.path ?? "tokenizer", field: "special tokens", reason: "has no \(text) token for the chat template")
        }
        return Int32(id)
    }

    /// Continues each prompt (token ids), stopping at a stop token (not included) or the limit;
    /// `observe` sees each row's new tokens as they come and may end the row (see the network's `generate`).
    public func generate(
        _ prompts: [[Int32]], parameters: SamplingParameters, generator: inout RandomGenerator,
        observe: ((_ row: Int, _ token: Int32) -> Bool)? = nil
    ) throws -> [Generation] {
        var parameters = parameters
        for stop in stopTokens where !parameters.stopTokens.contains(stop) { parameters.stopTokens.append(stop) }
        let stops = Set(stopTokens)
        return try network.generate(prompts: prompts, parameters: parameters, generator: &generator, padding: endOfText ?? 0, observe: observe).map {
            Generation(tokens: $0.tokens.filter { !stops.contains($0) }, finishReason: $0.finishReason)
        }
    }

    /// Continues each text prompt as text.
    public func complete(_ prompts: [String], parameters: SamplingParameters, generator: inout RandomGenerator) throws -> [String] {
        try generate(prompts.map { encode($0).isEmpty ? [endOfText ?? 0] : encode($0) }, parameters: parameters, generator: &generator)
            .map { try decode($0.tokens) }
    }

    /// The assistant's answer to each conversation.
    public func answer(_ conversations: [[ChatMessage]], parameters: SamplingParameters, generator: inout RandomGenerator) throws -> [String] {
        try generate(conversations.map(chatPrompt), parameters: parameters, generator: &generator).map { try decode($0.tokens) }
    }
}
