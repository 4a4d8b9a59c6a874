// The hyperparameters of a Llama-architecture model, as a GGUF file's `llama.*` metadata or a
// Hugging Face LlamaConfig states them (SmolLM2-135M: 30 blocks, width 576, 9 query heads sharing
// 3 key/value heads, SwiGLU 1536, output head tied to the embedding).
import Checkpoints
import Foundation

public struct LlamaConfiguration: Codable, Sendable, Equatable {
    public var vocabularySize: Int
    public var contextLength: Int
    public var width: Int
    public var layers: Int
    public var heads: Int
    /// Key/value heads; each serves heads / keyValueHeads query heads (grouped-query attention).
    public var keyValueHeads: Int
    /// Hidden width of the SwiGLU feed-forward layer.
    public var feedForwardWidth: Int
    public var rmsNormEpsilon: Float
    /// RoPE's base: θ_i = base^(−2i/headSize).
    public var ropeBase: Double
    /// Whether the output head is the token embedding (no separate `lm_head.weight`).
    public var tiedEmbeddings = true
    public var beginningOfSequenceToken: Int32?
    public var endOfSequenceToken: Int32?

    public init(
        vocabularySize: Int, contextLength: Int, width: Int, layers: Int, heads: Int, keyValueHeads: Int,
        feedForwardWidth: Int, rmsNormEpsilon: Float = 1e-5, ropeBase: Double = 10_000, tiedEmbeddings: Bool = true
    ) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.width = width
        self.layers = layers
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.feedForwardWidth = feedForwardWidth
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeBase = ropeBase
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// The configuration a GGUF file describes; each missing or inconsistent field is named.
    public init(gguf file: GGUFFile) throws(CheckpointError) {
        let architecture = file.metadata["general.architecture"]?.string ?? "(none)"
        guard architecture == "llama" else {
            throw .invalidField(path: file.url.path, field: "general.architecture", reason: "is \"\(architecture)\", not \"llama\"")
        }
        let heads = try file.integer("llama.attention.head_count")
        self.init(
            vocabularySize: try file.tensorInfo("token_embd.weight").shape[0],
            contextLength: try file.integer("llama.context_length"),
            width: try file.integer("llama.embedding_length"),
            layers: try file.integer("llama.block_count"),
            heads: heads,
            keyValueHeads: file.metadata["llama.attention.head_count_kv"]?.integer ?? heads,
            feedForwardWidth: try file.integer("llama.feed_forward_length"),
            rmsNormEpsilon: Float(try file.number("llama.attention.layer_norm_rms_epsilon")),
            ropeBase: file.metadata["llama.rope.freq_base"]?.number ?? 10_000,
            tiedEmbeddings: !file.tensors.contains { $0.name == "output.weight" })
        do { try validate() } catch { throw .invalidField(path: file.url.path, field: "llama.*", reason: error.description) }
        try Self.refuseUnsupportedRoPE(in: file, headSize: headSize)
        func token(_ key: String) throws(CheckpointError) -> Int32? {
            guard let value = file.metadata[key] else { return nil }
            guard let id = value.integer else { throw .invalidField(path: file.url.path, field: key, reason: "is not an integer") }
            return try Self.tokenID(id, vocabularySize: vocabularySize, path: file.url.path, field: key)
        }
        beginningOfSequenceToken = try token("tokenizer.ggml.bos_token_id")
        endOfSequenceToken = try token("tokenizer.ggml.eos_token_id")
    }

    /// llama.cpp scales RoPE's positions when a file asks for it, rotates only the first
    /// `rope.dimension_count` values of a head, and sizes heads by `key_length`/`value_length`;
    /// this engine rotates whole heads of width / heads, unscaled, so any other setting would load
    /// into a model that computes something else.
    static func refuseUnsupportedRoPE(in file: GGUFFile, headSize: Int) throws(CheckpointError) {
        let path = file.url.path
        if let type = file.metadata["llama.rope.scaling.type"] {
            guard type.string == "none" else {
                throw .invalidField(path: path, field: "llama.rope.scaling.type", reason: "is \(type.string.map { "\"\($0)\"" } ?? "not a string"); only \"none\" (plain RoPE) is supported")
            }
        }
        // scale_linear is the older name of the factor; llama.cpp reads 0 as "not scaled".
        for key in ["llama.rope.scaling.factor", "llama.rope.scale_linear"] where file.metadata[key] != nil {
            let factor = try file.number(key)
            guard factor == 1 || factor == 0 else { throw .invalidField(path: path, field: key, reason: "is \(factor); only unscaled RoPE (1) is supported") }
        }
        // Llama 3.1's per-frequency factors.
        if file.tensors.contains(where: { $0.name == "rope_freqs.weight" }) {
            throw .invalidField(path: path, field: "rope_freqs.weight", reason: "is present: RoPE with per-frequency factors is not supported")
        }
        for key in ["llama.rope.dimension_count", "llama.attention.key_length", "llama.attention.value_length"] where file.metadata[key] != nil {
            let size = try file.integer(key)
            guard size == headSize else { throw .invalidField(path: path, field: key, reason: "is \(size); only the head size (embedding_length / head_count = \(headSize)) is supported") }
        }
    }

    public var headSize: Int { width / heads }
    public var keyValueWidth: Int { keyValueHeads * headSize }

    public func validate() throws(LlamaConfigurationError) {
        for (name, value) in [("vocabularySize", vocabularySize), ("contextLength", contextLength), ("width", width), ("layers", layers),
                              ("heads", heads), ("keyValueHeads", keyValueHeads), ("feedForwardWidth", feedForwardWidth)] where value <= 0 {
            throw LlamaConfigurationError(reason: "\(name) is \(value), must be positive")
        }
        let limits = ModelSizeLimits.self
        for (name, value, limit) in [("vocabularySize", vocabularySize, limits.vocabulary), ("contextLength", contextLength, limits.context),
                                     ("width", width, limits.width), ("layers", layers, limits.layers),
                                     ("feedForwardWidth", feedForwardWidth, limits.feedForward)] where value > limit {
            throw LlamaConfigurationError(reason: "\(name) is \(value), at most \(limit) (sizes beyond would overflow the layout)")
        }
        guard width % heads == 0, headSize % 2 == 0 else {
            throw LlamaConfigurationError(reason: "width \(width) must split into \(heads) heads of an even size")
        }
        guard heads % keyValueHeads == 0 else {
            throw LlamaConfigurationError(reason: "\(heads) query heads do not split evenly over \(keyValueHeads) key/value heads")
        }
        guard rmsNormEpsilon > 0, rmsNormEpsilon.isFinite, ropeBase > 0, ropeBase.isFinite else {
            throw LlamaConfigurationError(reason: "the RMSNorm epsilon (\(rmsNormEpsilon)) and the RoPE base (\(ropeBase)) must be positive and finite")
        }
    }

    /// A special token's id from a file, which must be one of the vocabulary's.
    static func tokenID(_ id: Int, vocabularySize: Int, path: String, field: String) throws(CheckpointError) -> Int32 {
        guard (0..<vocabularySize).contains(id) else {
            throw .invalidField(path: path, field: field, reason: "is \(id), outside the vocabulary's ids 0..<\(vocabularySize)")
        }
        return Int32(id)
    }
}

// MARK: Hugging Face config.json

extension LlamaConfiguration {
    /// Reads a LlamaConfig config.json as transformers writes it; settings this engine does not
    /// implement (RoPE scaling, biases, another activation or head size) are refused by name.
    /// `weightsHaveOutputHead` (the checkpoint holds `lm_head.weight`) decides tying when the file
    /// leaves tie_word_embeddings out.
    public init(huggingFaceConfig url: URL, weightsHaveOutputHead: Bool = false) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CheckpointError.missingFile(path: url.path) }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.malformed(path: url.path, reason: "not a JSON object")
        }
        func refuse(_ field: String, _ reason: String) -> CheckpointError { .invalidField(path: url.path, field: field, reason: reason) }
        func integer(_ key: String) throws -> Int {
            guard let value = json[key] as? Int else { throw refuse(key, json[key] == nil ? "is missing" : "must be an integer") }
            return value
        }
        let type = json["model_type"] as? String ?? "(none)"
        guard type == "llama" else { throw refuse("model_type", "is \"\(type)\"; this loader reads llama") }
        if let scaling = json["rope_scaling"], !(scaling is NSNull) { throw refuse("rope_scaling", "is set; only plain RoPE is supported") }
        for key in ["attention_bias", "mlp_bias"] where json[key] as? Bool == true { throw refuse(key, "is true; Llama without biases is supported") }
        if let activation = json["hidden_act"] as? String, activation != "silu" { throw refuse("hidden_act", "is \(activation); SwiGLU (silu) is supported") }
        // transformers 5 writes RoPE's settings under rope_parameters; earlier versions at the top level.
        let rope = json["rope_parameters"] as? [String: Any] ?? [:]
        if let type = rope["rope_type"] as? String, type != "default" { throw refuse("rope_parameters.rope_type", "is \"\(type)\"; only plain RoPE is supported") }
        let theta = (rope["rope_theta"] as? NSNumber) ?? (json["rope_theta"] as? NSNumber)
        let heads = try integer("num_attention_heads"), width = try integer("hidden_size")
        guard heads > 0 else { throw refuse("num_attention_heads", "is \(heads); must be positive") }
        if let headSize = json["head_dim"] as? Int, headSize.multipliedReportingOverflow(by: heads) != (width, false) {
            throw refuse("head_dim", "is \(headSize); only hidden_size / num_attention_heads (\(width / heads)) is supported")
        }
        self.init(
            vocabularySize: try integer("vocab_size"), contextLength: try integer("max_position_embeddings"), width: width,
            layers: try integer("num_hidden_layers"), heads: heads, keyValueHeads: json["num_key_value_heads"] as? Int ?? heads,
            feedForwardWidth: try integer("intermediate_size"),
            rmsNormEpsilon: (json["rms_norm_eps"] as? NSNumber)?.floatValue ?? 1e-6,
            ropeBase: theta?.doubleValue ?? 10_000,
            // transformers' LlamaConfig unties when the key is absent, and then reads lm_head.weight;
            // a checkpoint without one can only mean the embedding.
            tiedEmbeddings: json["tie_word_embeddings"] as? Bool ?? !weightsHaveOutputHead)
        do { try validate() } catch { throw CheckpointError.malformed(path: url.path, reason: error.description) }
        beginningOfSequenceToken = try (json["bos_token_id"] as? Int).map { try Self.tokenID($0, vocabularySize: vocabularySize, path: url.path, field: "bos_token_id") }
        endOfSequenceToken = try endToken(ofConfig: json, vocabularySize: vocabularySize, path: url.path)
    }

    /// The config.json transformers needs to load the saved folder as LlamaForCausalLM.
    public var huggingFaceConfig: [String: Any] {
        var json: [String: Any] = [
            "model_type": "llama", "architectures": ["LlamaForCausalLM"],
            "vocab_size": vocabularySize, "max_position_embeddings": contextLength, "hidden_size": width,
            "intermediate_size": feedForwardWidth, "num_hidden_layers": layers, "num_attention_heads": heads,
            "num_key_value_heads": keyValueHeads, "head_dim": headSize, "hidden_act": "silu",
            "rms_norm_eps": Double(rmsNormEpsilon), "rope_theta": ropeBase, "rope_scaling": NSNull(),
            "tie_word_embeddings": tiedEmbeddings, "attention_bias": false, "mlp_bias": false,
            "attention_dropout": 0.0, "initializer_range": 0.02, "pretraining_tp": 1, "use_cache": true, "dtype": "float32",
        ]
        if let beginningOfSequenceToken { json["bos_token_id"] = Int(beginningOfSequenceToken) }
        if let endOfSequenceToken { json["eos_token_id"] = Int(endOfSequenceToken) }
        return json
    }
}

public struct LlamaConfigurationError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
