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
    /// Each block's parameter names, built once: every pass, each decoding step included, looks
    /// its weights up by name.
    let blockNames: [LlamaBlockNames]
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
        blockNames = (0..<configuration.layers).map(LlamaBlockNames.init)
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

    /// Keeps every frozen matrix whose values are exactly a GGUF block format's (all of a GGUF
    /// model's) only in that compact form: a quarter to a sixth of the memory, the same outputs
    /// (see ParameterStore). Trainable matrices keep their Floats.
    public func compactFrozenWeights() {
        for entry in parameters.layout.entries where entry.shape.rank == 2 { parameters.holdCompact(entry.name) }
        compactWeights.forgetAll()
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

    /// The final hidden states [B, T, C] of rows that all continue `prefix`: the prefix goes
    /// through every block once ([1, P]) and each row's queries attend to its keys and values.
    public func hiddenStates(_ input: TokenBatch, after prefix: [Int32], tape: Tape?) throws -> Tensor {
        guard !prefix.isEmpty else { return try hiddenStates(input, tape: tape) }
        try checkLength(prefix.count + input.time)
        return try forward(input, after: prefix, tape: tape)
    }

    /// The blocks over `prefix` once and over the rows after it, packed without their padding
    /// (PackedRows); with a `cache`, every row's keys and values go into it as the whole row's
    /// would (its padding, the prefix, its tokens).
    func forward(_ input: TokenBatch, after prefix: [Int32], tape: Tape?, cache: KVCache? = nil) throws -> Tensor {
        let c = configuration, w = weights(tape: tape), packing = try PackedRows(prefix: prefix, rows: input), P = prefix.count
        let compact = compactBlocks(rows: packing.count, tape: tape)
        let padding = input.firstPosition ?? Array(repeating: 0, count: input.batch)
        var x = try embedding(packing.tokens, w)
        for i in w.blocks.indices {
            x = try block(i, x, positions: packing.positions, w, compact: compact?[i], tape: tape) { query, key, value in
                let (sharedKey, sharedValue) = (try packing.prefix(of: key), try packing.prefix(of: value))
                let shared = try Tensor.groupedQueryAttention(
                    query: packing.prefix(of: query), key: sharedKey, value: sharedValue, heads: c.heads, keyValueHeads: c.keyValueHeads)
                let (rowKey, rowValue) = (try packing.padded(key), try packing.padded(value))
                if let cache {
                    // A row's own column t is column P + t of its whole row; its padding columns
                    // land where the prefix goes, which is written after them.
                    let width = c.keyValueWidth
                    cache.write(layer: i, key: rowKey.data, keyStride: width, value: rowValue.data, valueStride: width, count: input.time) { _ in P }
                    cache.write(layer: i, key: sharedKey.data, keyStride: width, value: sharedValue.data, valueStride: width, count: P, sharedByRows: true) {
                        Int(padding[$0])
                    }
                }
                let rows = try Tensor.groupedQueryAttention(
                    query: packing.padded(query), key: rowKey, value: rowValue, sharedKey: sharedKey, sharedValue: sharedValue,
                    heads: c.heads, keyValueHeads: c.keyValueHeads, firstPosition: input.firstPosition)
                return try Tensor.concatenate([shared, packing.packed(rows)], axis: 1)
            }
        }
        return try packing.padded(x.rmsNorm(weight: w.finalNorm, epsilon: c.rmsNormEpsilon))
    }

    /// Next-token logits [..., V] from hidden states [..., C].
    public func logits(_ hidden: Tensor, tape: Tape?) throws -> Tensor {
        if tape == nil, hidden.shape.last == configuration.width, hidden.shape.rows <= CompactProduct.rowLimit,
           let head = compactWeights.weights(for: self).outputHead {
            return Self.product(hidden, head)
        }
        return try hidden.linear(matrix(outputHeadName, tape: tape))
    }

    /// Training's loss without a second [rows, V] buffer for the logits' gradient (the fused op
    /// of Tensor+LogSoftmax.swift); without a tape, the logits' own path.
    public func crossEntropy(_ hidden: Tensor, targets: [Int32], tape: Tape?) throws -> Tensor {
        guard tape != nil else { return try logits(hidden, tape: nil).crossEntropy(targets: targets) }
        return try hidden.crossEntropy(through: matrix(outputHeadName, tape: tape), targets: targets)
    }

    /// The blocks over `input`, with `attention(layer, q, k, v)` attending the rotated queries and
    /// keys: over the sequence itself for training, over the KV cache for decoding.
    func forward(_ input: TokenBatch, tape: Tape?, attention: (Int, Tensor, Tensor, Tensor) throws -> Tensor) throws -> Tensor {
        let w = weights(tape: tape), compact = compactBlocks(rows: input.batch * input.time, tape: tape)
        var x = try embedding(input.tokens, w)
        for i in w.blocks.indices {
            x = try block(i, x, positions: input.positions, w, compact: compact?[i], tape: tape) { try attention(i, $0, $1, $2) }
        }
        return try x.rmsNorm(weight: w.finalNorm, epsilon: configuration.rmsNormEpsilon)
    }

    /// The token embeddings [B, T, C] of `tokens`.
    func embedding(_ tokens: TokenGrid, _ w: LlamaWeights) throws -> Tensor {
        switch w.tokenEmbedding {
        case let .compact(table): return try Tensor.embedding(tokens: tokens, compact: table)
        case let .dense(table, _, _): return try Tensor.embedding(tokens: tokens, table: table)
        }
    }

    /// The matrices in compact form for decoding's few-row products (nil for a pass over more rows).
    func compactBlocks(rows: Int, tape: Tape?) -> [LlamaBlockCompactWeights]? {
        tape == nil && rows <= CompactProduct.rowLimit ? compactWeights.weights(for: self).blocks : nil
    }

    /// Block i over x: x + attention(RMSNorm(x)), then + SwiGLU feed-forward(RMSNorm(x)).
    func block(
        _ i: Int, _ x: Tensor, positions: TokenGrid, _ w: LlamaWeights, compact k: LlamaBlockCompactWeights?, tape: Tape?,
        attention: (Tensor, Tensor, Tensor) throws -> Tensor
    ) throws -> Tensor {
        let c = configuration, n = blockNames[i], block = w.blocks[i]
        let h = try x.rmsNorm(weight: block.inputNorm, epsilon: c.rmsNormEpsilon)
        let query = try project(h, n.query, block.query, k?.query, tape: tape)
            .rotaryEmbedding(heads: c.heads, positions: positions, frequencies: frequencies)
        let key = try project(h, n.key, block.key, k?.key, tape: tape)
            .rotaryEmbedding(heads: c.keyValueHeads, positions: positions, frequencies: frequencies)
        let value = try project(h, n.value, block.value, k?.value, tape: tape)
        let attended = try x + project(attention(query, key, value), n.output, block.output, k?.output, tape: tape)
        let g = try attended.rmsNorm(weight: block.postAttentionNorm, epsilon: c.rmsNormEpsilon)
        let gated = try Tensor.swiGLU(gate: project(g, n.gate, block.gate, k?.gate, tape: tape), up: project(g, n.up, block.up, k?.up, tape: tape))
        return try attended + project(gated, n.down, block.down, k?.down, tape: tape)
    }

    /// A linear layer ([out, in] weight, no bias) with its adapter, through the fused product
    /// with the weight's compact form when decoding gives one.
    func project(_ x: Tensor, _ name: String, _ layer: BaseLayer, _ fused: CompactMatrix?, tape: Tape?) throws -> Tensor {
        guard let fused else { return try project(x, name, layer, tape: tape) }
        let base = Self.product(x, fused)
        return try adapters?.adapt(x, base: base, weight: name, tape: tape) ?? base
    }

    /// x[..., in]·Wᵀ for W in compact form.
    static func product(_ x: Tensor, _ w: CompactMatrix) -> Tensor {
        precondition(x.shape.last == w.columns, "input width \(x.shape.last) for a compact matrix of \(w.columns) columns")
        let out = Tensor(uninitialized: x.shape.replacingLast(with: w.rows))
        CompactProduct.multiply(w, input: x.data, rows: x.shape.rows, out: out.data)
        return out
    }

    /// Every parameter for one pass: views of the store (on `tape` when given), and the frozen
    /// matrices the store holds only in compact form.
    func weights(tape: Tape?) -> LlamaWeights {
        if tape != nil { compactWeights.forgetTrainable(in: parameters) }
        return LlamaWeights(
            tokenEmbedding: matrix("model.embed_tokens.weight", tape: tape),
            blocks: blockNames.map { LlamaBlockWeights($0, norm: { self.parameters.tensor($0, on: tape) }, matrix: { self.matrix($0, tape: tape) }) },
            finalNorm: parameters.tensor("model.norm.weight", on: tape))
    }

    var outputHeadName: String { configuration.tiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight" }

    /// The [out, in] matrix `name`: its compact form when the store holds it only so, else a view.
    func matrix(_ name: String, tape: Tape?) -> BaseLayer {
        parameters.compactForm(of: name).map(BaseLayer.compact) ?? .dense(weight: parameters.tensor(name, on: tape), bias: nil, orientation: .outputsByInputs)
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

/// One block's parameters: norms as tensors, matrices as base layers.
struct LlamaBlockWeights {
    let inputNorm, postAttentionNorm: Tensor
    let query, key, value, output, gate, up, down: BaseLayer

    init(_ n: LlamaBlockNames, norm: (String) -> Tensor, matrix: (String) -> BaseLayer) {
        inputNorm = norm(n.inputNorm); postAttentionNorm = norm(n.postAttentionNorm)
        query = matrix(n.query); key = matrix(n.key); value = matrix(n.value); output = matrix(n.output)
        gate = matrix(n.gate); up = matrix(n.up); down = matrix(n.down)
    }
}

/// The parameters of the blocks and around them, for one pass (the output head is the logits').
struct LlamaWeights {
    let tokenEmbedding: BaseLayer
    let blocks: [LlamaBlockWeights]
    let finalNorm: Tensor
}
