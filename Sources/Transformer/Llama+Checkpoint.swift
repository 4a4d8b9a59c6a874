// Llama weights in and out: a GGUF file (llama.cpp's names, with Q and K rows permuted for its
// adjacent-pair rotation), and Hugging Face folders (config.json + model.safetensors with
// LlamaForCausalLM's names) as transformers writes and reads them.
import Checkpoints
import Foundation
import Tensors

/// How a network loaded frozen from a GGUF file holds its matrices. Either way each product
/// computes with the file's very values; what differs is memory against speed.
public enum FrozenMatrices: String, Sendable, CaseIterable {
    /// In the file's block form only (Q4_1 at 5 bits a weight, Q8_0 at 8.5), where that form holds
    /// every value: the least memory, but a product over many rows decodes its matrix first.
    case compact
    /// As Floats (32 bits a weight), with the block forms beside them for decoding's few-row
    /// products: batched sampling, reference passes and LoRA training multiply the Floats directly.
    case float32 = "f32"
}

extension Llama {
    public static let configFileName = "config.json"
    public static let weightsFileName = "model.safetensors"

    /// Reads the network from a GGUF file, dequantising every tensor to Float and checking its
    /// shape. A network that is not `trainable` keeps its matrices in their block form only
    /// (`compactFrozenWeights()`), each encoded as it is read so that the f32 model never exists
    /// whole, unless `frozenMatrices` asks for the Floats.
    public convenience init(gguf file: GGUFFile, trainable: Bool = false, frozenMatrices: FrozenMatrices = .compact) throws {
        let c = try LlamaConfiguration(gguf: file)
        // Every tensor's shape is checked before the network is allocated: the sizes come from
        // the metadata, and only the tensors in the file bound them (the shapes are written out
        // here, not taken from `layout(for:)`, whose products unchecked sizes could overflow).
        let (w, kv, ff) = (c.width, c.keyValueWidth, c.feedForwardWidth)
        var sources: [(source: String, name: String, shape: [Int], heads: Int?)] = [
            ("token_embd.weight", "model.embed_tokens.weight", [c.vocabularySize, w], nil), ("output_norm.weight", "model.norm.weight", [w], nil),
        ]
        if !c.tiedEmbeddings { sources.append(("output.weight", "lm_head.weight", [c.vocabularySize, w], nil)) }
        for i in 0..<c.layers {
            let n = LlamaBlockNames(i), b = "blk.\(i)."
            // A block count beyond the file's tensors stops at the first missing one.
            _ = try file.tensorInfo(b + "attn_norm.weight")
            sources += [
                (b + "attn_norm.weight", n.inputNorm, [w], nil), (b + "attn_q.weight", n.query, [w, w], c.heads),
                (b + "attn_k.weight", n.key, [kv, w], c.keyValueHeads), (b + "attn_v.weight", n.value, [kv, w], nil),
                (b + "attn_output.weight", n.output, [w, w], nil), (b + "ffn_norm.weight", n.postAttentionNorm, [w], nil),
                (b + "ffn_gate.weight", n.gate, [ff, w], nil), (b + "ffn_up.weight", n.up, [ff, w], nil), (b + "ffn_down.weight", n.down, [w, ff], nil),
            ]
        }
        for (source, _, shape, _) in sources {
            let found = try file.tensorInfo(source).shape
            guard found == shape else { throw CheckpointError.shapeMismatch(path: file.url.path, tensor: source, expected: shape, found: found) }
        }
        try self.init(configuration: c, trainable: trainable)
        for (source, name, _, heads) in sources {
            var values = try file.floats(source)
            if let heads { values = Self.undoingAdjacentPairOrder(values, heads: heads, headSize: c.headSize, inputs: c.width) }
            values.withUnsafeBufferPointer { values in
                if trainable || frozenMatrices == .float32 || !parameters.holdCompact(name, replacement: values.baseAddress!) {
                    parameters.withValues(of: name) { _ = $0.update(fromContentsOf: values) }
                }
            }
        }
        compactWeights.forgetAll()
    }

    /// llama.cpp's converter interleaves each head's rows (row 2i + j of a head holds Hugging
    /// Face's row j·D/2 + i) so that its rotation can pair adjacent values; this puts them back
    /// for the rotate-half convention every other format uses.
    static func undoingAdjacentPairOrder(_ rows: [Float], heads: Int, headSize: Int, inputs: Int) -> [Float] {
        var result = rows
        let half = headSize / 2
        for h in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let target = (h * headSize + j * half + i) * inputs, source = (h * headSize + 2 * i + j) * inputs
                    result.replaceSubrange(target..<(target + inputs), with: rows[source..<(source + inputs)])
                }
            }
        }
        return result
    }

    /// Loads a folder written by transformers (LlamaForCausalLM) or by `save(to:)`.
    public static func load(from folder: URL, trainable: Bool = true) throws -> Llama {
        guard FileManager.default.fileExists(atPath: folder.path) else { throw CheckpointError.missingFile(path: folder.path) }
        let configURL = folder.appendingPathComponent(configFileName)
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw CheckpointError.missingFile(path: configURL.path) }
        let weightsURL = folder.appendingPathComponent(weightsFileName)
        if !FileManager.default.fileExists(atPath: weightsURL.path),
           FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors.index.json").path) {
            throw CheckpointError.invalidField(path: folder.path, field: "model.safetensors.index.json", reason: "names sharded weights; save the model unsharded (max_shard_size larger than the model)")
        }
        // Read first: whether config.json ties the head may depend on the weights holding one.
        let (tensors, _) = try SafeTensors.read(weightsURL)
        let configuration = try LlamaConfiguration(huggingFaceConfig: configURL, weightsHaveOutputHead: tensors["lm_head.weight"] != nil)
        _ = try ParameterStore.match(layout(for: configuration), in: tensors, from: weightsURL)
        let model = try Llama(configuration: configuration, trainable: trainable)
        try model.parameters.load(tensors, from: weightsURL)
        if configuration.tiedEmbeddings, let head = tensors["lm_head.weight"] {
            let embedding = model.parameters.withValues(of: "model.embed_tokens.weight") { Array($0) }
            guard head.values == embedding else {
                throw CheckpointError.invalidField(path: weightsURL.path, field: "lm_head.weight", reason: "differs from model.embed_tokens.weight although config.json sets tie_word_embeddings to true")
            }
        }
        return model
    }

    /// Writes config.json and model.safetensors into `folder` (created if needed), each
    /// atomically: a LlamaForCausalLM, or with `scalarHead` a LlamaForSequenceClassification.
    public func save(to folder: URL, scalarHead: ScalarHead?) throws {
        try writeCheckpoint(
            to: folder, key: { $0 }, config: configuration.huggingFaceConfig, scalarHead: scalarHead,
            classifier: "LlamaForSequenceClassification", paddingToken: configuration.endOfSequenceToken)
    }
}
