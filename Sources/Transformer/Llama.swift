// Llama (SmolLM2): token embedding, then blocks of RMSNorm → grouped-query attention with rotary
// positions → residual, RMSNorm → SwiGLU feed-forward → residual, a final RMSNorm, and the output
// head (the token embedding when tied). Parameter names are LlamaForCausalLM's.
import Foundation
import Kernels
import Randomness
import Tensors

public final class Llama: CausalLanguageModel {
    public let configuration: LlamaConfiguration
    public let parameters: ParameterStore
    public var adapters: LoRAAdapters? {
        // Merging folds the adapters into the base weights, then removes them.
        didSet { compactWeights.forgetAll() }
    }
    /// RoPE's θ_i, i < headSize/2.
    let frequencies: [Float]
    /// The parameters as constant views, resolved once for inference.
    let constantWeights: LlamaWeights
    /// Compact forms of the frozen matrices, for decoding's few-row products.
    let compactWeights = CompactWeightCache()

    /// A model over `parameters` (zeros unless given: call `initialize(seed:)` or load weights).
    public init(configuration: LlamaConfiguration, parameters: ParameterStore? = nil, trainable: Bool = true) throws {
        try configuration.validate()
        let layout = Self.layout(for: configuration)
        if let parameters, parameters.layout != layout {
            throw TensorError.invalidShape(operation: "Llama(parameters:)", [parameters.scalarCount], expected: "the layout of this configuration (\(layout.scalarCount) values)")
        }
        self.configuration = configuration
        self.parameters = parameters ?? ParameterStore(layout: layout, trainable: trainable)
        frequencies = Tensor.rotaryFrequencies(headSize: configuration.headSize, base: configuration.ropeBase)
        constantWeights = LlamaWeights(self.parameters, configuration, tape: nil)
    }

    public func copy(trainable: Bool = true) throws -> Llama {
        let copy = try Llama(configuration: configuration, parameters: parameters.copy(trainable: trainable))
        copy.adapters = try copiedAdapters(trainable: trainable)
        return copy
    }

    public var vocabularySize: Int { configuration.vocabularySize }
    public var contextLength: Int { configuration.contextLength }
    public var hiddenSize: Int { configuration.width }

    /// Parameter names and shapes as LlamaForCausalLM's state dict (weights [out, in]).
    public static func layout(for c: LlamaConfiguration) -> ParameterLayout {
        var layout = ParameterLayout()
        layout.append("model.embed_tokens.weight", [c.vocabularySize, c.width])
        for i in 0..<c.layers {
            let n = LlamaBlockNames(i)
            layout.append(n.inputNorm, [c.width])
            layout.append(n.query, [c.width, c.width])
            layout.append(n.key, [c.keyValueWidth, c.width])
            layout.append(n.value, [c.keyValueWidth, c.width])
            layout.append(n.output, [c.width, c.width])
            layout.append(n.postAttentionNorm, [c.width])
            layout.append(n.gate, [c.feedForwardWidth, c.width])
            layout.append(n.up, [c.feedForwardWidth, c.width])
            layout.append(n.down, [c.width, c.feedForwardWidth])
        }
        layout.append("model.norm.weight", [c.width])
        if !c.tiedEmbeddings { layout.append("lm_head.weight", [c.vocabularySize, c.width]) }
        return layout
    }

    /// Every linear layer of every block, under LlamaForCausalLM's module paths.
    public var adaptableLayers: [LoRATarget] {
        let c = configuration
        return (0..<c.layers).flatMap { i -> [LoRATarget] in
            let n = LlamaBlockNames(i)
            return [
                (n.query, c.width, c.width), (n.key, c.width, c.keyValueWidth), (n.value, c.width, c.keyValueWidth),
                (n.output, c.width, c.width), (n.gate, c.width, c.feedForwardWidth), (n.up, c.width, c.feedForwardWidth),
                (n.down, c.feedForwardWidth, c.width),
            ].map { name, inputs, outputs in
                LoRATarget(weight: name, module: String(name.dropLast(".weight".count)), inputs: inputs, outputs: outputs, inputsByOutputs: false)
            }
        }
    }

    /// transformers' LlamaPreTrainedModel initialisation: N(0, 0.02) matrices and embedding, unit norms.
    public func initialize(seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        for entry in parameters.layout.entries {
            if entry.name.hasSuffix("norm.weight") {
                parameters.fill(entry.name, with: 1)
            } else {
                parameters.fillNormal(entry.name, standardDeviation: 0.02, using: &generator)
            }
        }
    }

    /// The final hidden states [B, T, C] (after the last RMSNorm), recorded on `tape` when given.
    public func hiddenStates(_ input: TokenBatch, tape: Tape?) throws -> Tensor {
        try checkLength(input.time)
        let c = configuration
        return try forward(input, tape: tape) { _, query, key, value in
            try Tensor.groupedQueryAttention(
                query: query, key: key, value: value, heads: c.heads, keyValueHeads: c.keyValueHeads, firstPosition: input.firstPosition)
        }
    }

    /// Next-token logits [..., V] from hidden states [..., C].
    public func logits(_ hidden: Tensor, tape: Tape?) throws -> Tensor {
        if tape == nil, hidden.shape.last == configuration.width, hidden.shape.rows <= CompactProduct.rowLimit,
           let head = compactWeights.weights(for: self).outputHead {
            return Self.product(hidden, head)
        }
        return try hidden.linear(weights(tape: tape).outputHead, orientation: .outputsByInputs)
    }

    /// The blocks over `input`, with `attention(layer, q, k, v)` attending the rotated queries and
    /// keys: over the sequence itself for training, over the KV cache for decoding.
    func forward(_ input: TokenBatch, tape: Tape?, attention: (Int, Tensor, Tensor, Tensor) throws -> Tensor) throws -> Tensor {
        let c = configuration, w = weights(tape: tape)
        let few = tape == nil && input.batch * input.time <= CompactProduct.rowLimit
        let compact = few ? compactWeights.weights(for: self).blocks : nil
        var x = try Tensor.embedding(tokens: input.tokens, table: w.tokenEmbedding)
        for (i, block) in w.blocks.enumerated() {
            let n = LlamaBlockNames(i), k = compact?[i]
            let h = try x.rmsNorm(weight: block.inputNorm, epsilon: c.rmsNormEpsilon)
            let query = try project(h, n.query, block.query, k?.query, tape: tape)
                .rotaryEmbedding(heads: c.heads, positions: input.positions, frequencies: frequencies)
            let key = try project(h, n.key, block.key, k?.key, tape: tape)
                .rotaryEmbedding(heads: c.keyValueHeads, positions: input.positions, frequencies: frequencies)
            let value = try project(h, n.value, block.value, k?.value, tape: tape)
            x = try x + project(attention(i, query, key, value), n.output, block.output, k?.output, tape: tape)
            let g = try x.rmsNorm(weight: block.postAttentionNorm, epsilon: c.rmsNormEpsilon)
            let gated = try Tensor.swiGLU(gate: project(g, n.gate, block.gate, k?.gate, tape: tape), up: project(g, n.up, block.up, k?.up, tape: tape))
            x = try x + project(gated, n.down, block.down, k?.down, tape: tape)
        }
        return try x.rmsNorm(weight: w.finalNorm, epsilon: c.rmsNormEpsilon)
    }

    /// A linear layer ([out, in] weight, no bias) with its adapter, through the weight's compact
    /// form when it has one.
    func project(_ x: Tensor, _ name: String, _ weight: Tensor, _ compact: CompactMatrix?, tape: Tape?) throws -> Tensor {
        guard let compact else { return try project(x, name, weight, orientation: .outputsByInputs, tape: tape) }
        let base = Self.product(x, compact)
        return try adapters?.adapt(x, base: base, weight: name, tape: tape) ?? base
    }

    /// x[..., in]·Wᵀ for W in compact form.
    static func product(_ x: Tensor, _ w: CompactMatrix) -> Tensor {
        precondition(x.shape.last == w.columns, "input width \(x.shape.last) for a compact matrix of \(w.columns) columns")
        let out = Tensor(uninitialized: x.shape.replacingLast(with: w.rows))
        CompactProduct.multiply(w, input: x.data, rows: x.shape.rows, out: out.data)
        return out
    }

    func weights(tape: Tape?) -> LlamaWeights {
        guard let tape else { return constantWeights }
        compactWeights.forgetTrainable(in: parameters)
        return LlamaWeights(parameters, configuration, tape: tape)
    }

    func checkLength(_ time: Int) throws {
        guard time <= configuration.contextLength else {
            throw TensorError.invalidShape(operation: "Llama", [time], expected: "at most the context length \(configuration.contextLength) tokens")
        }
    }
}

/// The parameter names of block i, as LlamaForCausalLM names them.
struct LlamaBlockNames {
    let inputNorm, query, key, value, output, postAttentionNorm, gate, up, down: String

    init(_ i: Int) {
        let p = "model.layers.\(i)."
        inputNorm = p + "input_layernorm.weight"
        query = p + "self_attn.q_proj.weight"; key = p + "self_attn.k_proj.weight"
        value = p + "self_attn.v_proj.weight"; output = p + "self_attn.o_proj.weight"
        postAttentionNorm = p + "post_attention_layernorm.weight"
        gate = p + "mlp.gate_proj.weight"; up = p + "mlp.up_proj.weight"; down = p + "mlp.down_proj.weight"
    }
}

/// One block's parameters as tensors.
struct LlamaBlockWeights {
    let inputNorm, query, key, value, output, postAttentionNorm, gate, up, down: Tensor

    init(_ p: ParameterStore, layer: Int, tape: Tape?) {
        let n = LlamaBlockNames(layer)
        inputNorm = p.tensor(n.inputNorm, on: tape)
        query = p.tensor(n.query, on: tape); key = p.tensor(n.key, on: tape)
        value = p.tensor(n.value, on: tape); output = p.tensor(n.output, on: tape)
        postAttentionNorm = p.tensor(n.postAttentionNorm, on: tape)
        gate = p.tensor(n.gate, on: tape); up = p.tensor(n.up, on: tape); down = p.tensor(n.down, on: tape)
    }
}

/// Every parameter of the model as tensors, for one forward pass.
struct LlamaWeights {
    let tokenEmbedding, finalNorm, outputHead: Tensor
    let blocks: [LlamaBlockWeights]

    init(_ p: ParameterStore, _ c: LlamaConfiguration, tape: Tape?) {
        tokenEmbedding = p.tensor("model.embed_tokens.weight", on: tape)
        blocks = (0..<c.layers).map { LlamaBlockWeights(p, layer: $0, tape: tape) }
        finalNorm = p.tensor("model.norm.weight", on: tape)
        outputHead = c.tiedEmbeddings ? tokenEmbedding : p.tensor("lm_head.weight", on: tape)
    }
}
