// The GPT-2 hyper-parameters, and their mapping to a Hugging Face config.json (GPT2Config keys).
import Checkpoints
import Foundation

public struct GPTConfiguration: Codable, Sendable, Equatable {
    public var vocabularySize: Int
    /// Longest sequence the learned position table covers (n_positions).
    public var contextLength: Int
    /// Residual stream width (n_embd).
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var layerNormEpsilon: Float = 1e-5
    public var endOfTextToken: Int32?

    public init(vocabularySize: Int, contextLength: Int, width: Int, layers: Int, heads: Int, endOfTextToken: Int32? = nil) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.width = width
        self.layers = layers
        self.heads = heads
        self.endOfTextToken = endOfTextToken
    }

    public var headSize: Int { width / heads }

    /// Parameters, with the tied output head counted once.
    public var parameterCount: Int { GPT.layout(for: self).scalarCount }

    public func validate(source: String = "configuration") throws {
        func check(_ ok: Bool, _ field: String, _ reason: String) throws {
            if !ok { throw CheckpointError.invalidField(path: source, field: field, reason: reason) }
        }
        // The upper bounds keep the layout's sizes from overflowing; token ids are 32-bit.
        let limits = ModelSizeLimits.self
        try check((1...limits.vocabulary).contains(vocabularySize), "vocab_size", "must be between 1 and \(limits.vocabulary)")
        try check((1...limits.context).contains(contextLength), "n_positions", "must be between 1 and \(limits.context)")
        try check((1...limits.layers).contains(layers), "n_layer", "must be between 1 and \(limits.layers)")
        try check((1...limits.width).contains(width), "n_embd", "must be between 1 and \(limits.width)")
        try check(heads > 0 && width % heads == 0, "n_embd", "(\(width)) must be a positive multiple of n_head (\(heads))")
        try check(layerNormEpsilon > 0 && layerNormEpsilon.isFinite, "layer_norm_epsilon", "must be positive and finite")
    }
}

// MARK: Hugging Face config.json

extension GPTConfiguration {
    /// Reads a GPT-2 config.json as written by transformers; unknown keys are ignored.
    public init(huggingFaceConfig url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CheckpointError.missingFile(path: url.path) }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.malformed(path: url.path, reason: "not a JSON object")
        }
        func integer(_ key: String) throws -> Int {
            guard let value = json[key] as? Int else {
                throw CheckpointError.invalidField(path: url.path, field: key, reason: json[key] == nil ? "is missing" : "must be an integer")
            }
            return value
        }
        if let type = json["model_type"] as? String, type != "gpt2" {
            throw CheckpointError.invalidField(path: url.path, field: "model_type", reason: "is \"\(type)\"; this loader reads gpt2")
        }
        if let inner = json["n_inner"] as? Int, inner.isMultiple(of: 4) ? inner / 4 != (try integer("n_embd")) : true {
            throw CheckpointError.invalidField(path: url.path, field: "n_inner", reason: "is \(inner); only 4·n_embd is supported")
        }
        if let activation = json["activation_function"] as? String, !["gelu_new", "gelu_pytorch_tanh"].contains(activation) {
            throw CheckpointError.invalidField(path: url.path, field: "activation_function", reason: "is \(activation); GPT-2's gelu_new is supported")
        }
        // Both change the attention scores this engine computes as q·k / √headSize.
        if json["scale_attn_weights"] as? Bool == false {
            throw CheckpointError.invalidField(path: url.path, field: "scale_attn_weights", reason: "is false; only attention scaled by 1/√head size is supported")
        }
        if json["scale_attn_by_inverse_layer_idx"] as? Bool == true {
            throw CheckpointError.invalidField(path: url.path, field: "scale_attn_by_inverse_layer_idx", reason: "is true; only attention scaled by 1/√head size is supported")
        }
        self.init(
            vocabularySize: try integer("vocab_size"), contextLength: try integer("n_positions"),
            width: try integer("n_embd"), layers: try integer("n_layer"), heads: try integer("n_head"))
        layerNormEpsilon = (json["layer_norm_epsilon"] as? Double).map(Float.init) ?? 1e-5
        try validate(source: url.path)
        endOfTextToken = try endToken(ofConfig: json, vocabularySize: vocabularySize, path: url.path)
    }

    /// The config.json transformers needs to load the saved folder as a GPT2LMHeadModel.
    public var huggingFaceConfig: [String: Any] {
        var json: [String: Any] = [
            "model_type": "gpt2",
            "architectures": ["GPT2LMHeadModel"],
            "vocab_size": vocabularySize, "n_positions": contextLength, "n_ctx": contextLength,
            "n_embd": width, "n_layer": layers, "n_head": heads,
            "activation_function": "gelu_new", "layer_norm_epsilon": Double(layerNormEpsilon),
            "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
            "initializer_range": 0.02, "tie_word_embeddings": true, "dtype": "float32",
        ]
        if let endOfTextToken {
            json["eos_token_id"] = Int(endOfTextToken)
            json["bos_token_id"] = Int(endOfTextToken)
        }
        return json
    }
}

/// The end token config.json's `eos_token_id` names: one id, or a list of them (Llama 3's ends
/// text, a message and a turn apart), whose first is taken, as a configuration holds one end token.
func endToken(ofConfig json: [String: Any], vocabularySize: Int, path: String) throws(CheckpointError) -> Int32? {
    let value = json["eos_token_id"]
    if value == nil || value is NSNull { return nil }
    guard let ids = (value as? Int).map({ [$0] }) ?? value as? [Int] else {
        throw .invalidField(path: path, field: "eos_token_id", reason: "must be a token id or a list of them")
    }
    if let id = ids.first(where: { !(0..<vocabularySize).contains($0) }) {
        throw .invalidField(path: path, field: "eos_token_id", reason: "\(ids.count == 1 ? "is" : "holds") \(id), outside the vocabulary's ids 0..<\(vocabularySize)")
    }
    return ids.first.map(Int32.init)
}

/// The largest sizes a model configuration may name: far beyond any model this engine runs on a
/// CPU, and small enough that no product of them overflows.
public enum ModelSizeLimits {
    public static let vocabulary = Int(Int32.max)
    public static let context = 1 << 24
    public static let layers = 1 << 12
    public static let width = 1 << 16
    public static let feedForward = 1 << 20
}
