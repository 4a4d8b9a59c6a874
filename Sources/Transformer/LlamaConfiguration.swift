// The hyperparameters of a Llama-architecture model, as a GGUF file's `llama.*` metadata states
// them (SmolLM2-135M: 30 blocks, width 576, 9 query heads sharing 3 key/value heads, SwiGLU 1536).
import Checkpoints

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

    public init(
        vocabularySize: Int, contextLength: Int, width: Int, layers: Int, heads: Int, keyValueHeads: Int,
        feedForwardWidth: Int, rmsNormEpsilon: Float = 1e-5, ropeBase: Double = 10_000
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
            ropeBase: file.metadata["llama.rope.freq_base"]?.number ?? 10_000)
        do { try validate() } catch { throw .invalidField(path: file.url.path, field: "llama.*", reason: error.description) }
    }

    public var headSize: Int { width / heads }
    public var keyValueWidth: Int { keyValueHeads * headSize }

    public func validate() throws(LlamaConfigurationError) {
        for (name, value) in [("vocabularySize", vocabularySize), ("contextLength", contextLength), ("width", width), ("layers", layers),
                              ("heads", heads), ("keyValueHeads", keyValueHeads), ("feedForwardWidth", feedForwardWidth)] where value <= 0 {
            throw LlamaConfigurationError(reason: "\(name) is \(value), must be positive")
        }
        guard width % heads == 0, headSize % 2 == 0 else {
            throw LlamaConfigurationError(reason: "width \(width) must split into \(heads) heads of an even size")
        }
        guard heads % keyValueHeads == 0 else {
            throw LlamaConfigurationError(reason: "\(heads) query heads do not split evenly over \(keyValueHeads) key/value heads")
        }
    }
}

public struct LlamaConfigurationError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
