// A pretrained Llama-architecture model read from one GGUF file (SmolLM2-135M-Instruct): the
// network and the byte-level BPE tokenizer the file's metadata carries, with ChatML prompts.
import Checkpoints
import Foundation
import Tokenization
import Transformer

public final class PretrainedLlama: @unchecked Sendable {
    public let file: URL
    public let network: Llama
    public let tokenizer: BPETokenizer
    /// `tokenizer.ggml.eos_token_id` (SmolLM2's `<|im_end|>`), where generation stops.
    public let endOfSequence: Int32?

    public init(network: Llama, tokenizer: BPETokenizer, endOfSequence: Int32?, file: URL) {
        self.network = network
        self.tokenizer = tokenizer
        self.endOfSequence = endOfSequence
        self.file = file
    }

    /// Reads network and tokenizer from a GGUF file.
    public static func load(from url: URL) throws -> PretrainedLlama {
        let file = try GGUFFile(contentsOf: url)
        return PretrainedLlama(
            network: try Llama(gguf: file), tokenizer: try tokenizer(of: file),
            endOfSequence: file.metadata["tokenizer.ggml.eos_token_id"]?.integer.map(Int32.init), file: url)
    }

    /// The byte-level BPE tokenizer in a GGUF file's metadata. Pre-tokenizers other than GPT-2's
    /// pattern and SmolLM's (every digit apart, then GPT-2's pattern) are refused by name.
    public static func tokenizer(of file: GGUFFile) throws -> BPETokenizer {
        let model = file.metadata["tokenizer.ggml.model"]?.string ?? "(none)"
        guard model == "gpt2" else {
            throw CheckpointError.invalidField(path: file.url.path, field: "tokenizer.ggml.model", reason: "is \"\(model)\"; only byte-level BPE (\"gpt2\") is read")
        }
        let pre = file.metadata["tokenizer.ggml.pre"]?.string ?? "default"
        let splitsDigits: Bool
        switch pre {
        case "smollm": splitsDigits = true
        case "gpt2", "default": splitsDigits = false
        default:
            throw CheckpointError.invalidField(path: file.url.path, field: "tokenizer.ggml.pre", reason: "is \"\(pre)\"; \"smollm\" and \"gpt2\" are read")
        }
        return try BPETokenizer(
            tokens: try file.strings("tokenizer.ggml.tokens"), merges: try file.strings("tokenizer.ggml.merges"),
            splitsDigits: splitsDigits, source: file.url.path)
    }

    /// Token ids of `text`; special-token text (`<|im_start|>`) is recognised only when asked,
    /// so that untrusted text cannot inject control tokens.
    public func encode(_ text: String, recognizingSpecialTokens: Bool = false) -> [Int32] {
        tokenizer.encode(text, specialTokens: recognizingSpecialTokens ? .recognizeAll : .encodeAsText).map(Int32.init)
    }

    public func decode(_ ids: [Int32]) throws -> String {
        try tokenizer.decode(ids.map(Int.init))
    }

    /// The ChatML prompt for one user message, ending where the assistant's answer starts. The
    /// message is encoded as text, so control tokens typed in it stay text.
    public func chatPrompt(user message: String) throws -> [Int32] {
        func special(_ text: String) throws -> Int32 {
            guard let id = tokenizer.specialTokenID(text) else {
                throw CheckpointError.invalidField(path: file.path, field: "tokenizer.ggml.tokens", reason: "has no \(text) token for the chat template")
            }
            return Int32(id)
        }
        let start = try special("<|im_start|>"), end = try special("<|im_end|>")
        return [start] + encode("user\n") + encode(message) + [end] + encode("\n") + [start] + encode("assistant\n")
    }

    /// The greedy continuation of `prompt`, up to `maximumTokens` or the end-of-sequence token
    /// (not included). Recomputes the whole sequence each step: for checks and short answers.
    public func greedyContinuation(of prompt: [Int32], maximumTokens: Int) throws -> [Int32] {
        var sequence = prompt, continuation: [Int32] = []
        while continuation.count < maximumTokens, sequence.count < network.configuration.contextLength {
            let logits = try network.nextTokenLogits([sequence])
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            if next == endOfSequence { break }
            continuation.append(next)
            sequence.append(next)
        }
        return continuation
    }
}
