// GPT-2: token + position embedding, a stack of pre-LayerNorm blocks (causal self-attention,
// then a GELU MLP, each added to the residual stream), a final LayerNorm, and heads: the
// language-model head tied to the token embedding, and an optional scalar head.
import Randomness
import Tensors

public final class GPT: CausalLanguageModel {
    public let configuration: GPTConfiguration
    public let parameters: ParameterStore
    public var adapters: LoRAAdapters?
    /// The parameters as constant views, resolved once: inference (decoding a token at a time)
    /// then looks up nothing by name.
    let constantWeights: GPTWeights

    /// A model over `parameters` (zeros unless given: call `initialize(seed:)` or load a checkpoint).
    public init(configuration: GPTConfiguration, parameters: ParameterStore? = nil, trainable: Bool = true) throws {
        try configuration.validate()
        let layout = Self.layout(for: configuration)
        if let parameters, parameters.layout != layout {
            throw TensorError.invalidShape(operation: "GPT(parameters:)", [parameters.scalarCount], expected: "the layout of this configuration (\(layout.scalarCount) values)")
        }
        self.configuration = configuration
        self.parameters = parameters ?? ParameterStore(layout: layout, trainable: trainable)
        constantWeights = GPTWeights(self.parameters, configuration: configuration, tape: nil)
    }

    /// A model of the same configuration over a copy of the weights: a frozen one without
    /// gradient memory (a reference model), or one wholly trainable (a network starting from
    /// another's weights, such as a value network from a reward model).
    public func copy(trainable: Bool = true) throws -> GPT {
        let copy = try GPT(configuration: configuration, parameters: parameters.copy(trainable: trainable))
        copy.adapters = try copiedAdapters(trainable: trainable)
        return copy
    }

    public var vocabularySize: Int { configuration.vocabularySize }
    public var contextLength: Int { configuration.contextLength }
    public var hiddenSize: Int { configuration.width }

    /// Every Conv1D of every block, under GPT2LMHeadModel's module paths.
    public var adaptableLayers: [LoRATarget] {
        let c = configuration.width
        return (0..<configuration.layers).flatMap { i -> [LoRATarget] in
            let n = BlockNames(i), module = "transformer.h.\(i)."
            return [
                LoRATarget(weight: n.attentionWeight, module: module + "attn.c_attn", inputs: c, outputs: 3 * c, inputsByOutputs: true),
                LoRATarget(weight: n.projectionWeight, module: module + "attn.c_proj", inputs: c, outputs: c, inputsByOutputs: true),
                LoRATarget(weight: n.expandWeight, module: module + "mlp.c_fc", inputs: c, outputs: 4 * c, inputsByOutputs: true),
                LoRATarget(weight: n.contractWeight, module: module + "mlp.c_proj", inputs: 4 * c, outputs: c, inputsByOutputs: true),
            ]
        }
    }

    /// The weights for one forward pass: recorded on `tape`, or the shared constants.
    func weights(tape: Tape?) -> GPTWeights {
        tape.map { GPTWeights(parameters, configuration: configuration, tape: $0) } ?? constantWeights
    }

    /// Parameter names and shapes as Hugging Face's GPT2Model (Conv1D weights are [in, out]).
    public static func layout(for c: GPTConfiguration) -> ParameterLayout {
        var layout = ParameterLayout()
        layout.append("wte.weight", [c.vocabularySize, c.width])
        layout.append("wpe.weight", [c.contextLength, c.width])
        for i in 0..<c.layers {
            let h = BlockNames(i)
            layout.append(h.ln1Weight, [c.width])
            layout.append(h.ln1Bias, [c.width])
            layout.append(h.attentionWeight, [c.width, 3 * c.width])
            layout.append(h.attentionBias, [3 * c.width])
            layout.append(h.projectionWeight, [c.width, c.width])
            layout.append(h.projectionBias, [c.width])
            layout.append(h.ln2Weight, [c.width])
            layout.append(h.ln2Bias, [c.width])
            layout.append(h.expandWeight, [c.width, 4 * c.width])
            layout.append(h.expandBias, [4 * c.width])
            layout.append(h.contractWeight, [4 * c.width, c.width])
            layout.append(h.contractBias, [c.width])
        }
        layout.append("ln_f.weight", [c.width])
        layout.append("ln_f.bias", [c.width])
        return layout
    }

    /// GPT-2's initialisation: N(0, 0.02) weights and embeddings, residual projections scaled by
    /// 1/√(2·layers), zero biases, unit LayerNorm gains.
    public func initialize(seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        let residualScale = 1 / Float(2 * configuration.layers).squareRoot()
        for entry in parameters.layout.entries {
            let name = entry.name
            if name.hasSuffix(".bias") {
                parameters.fill(name, with: 0)
            } else if name.contains("ln_") {
                parameters.fill(name, with: 1)
            } else {
                let isResidualProjection = name.hasSuffix("attn.c_proj.weight") || name.hasSuffix("mlp.c_proj.weight")
                parameters.fillNormal(name, standardDeviation: 0.02 * (isResidualProjection ? residualScale : 1), using: &generator)
            }
        }
    }

    /// The final hidden states [B, T, C] (after ln_f). With a tape the computation is recorded
    /// for backward; without one this is inference.
    public func hiddenStates(_ input: TokenBatch, tape: Tape?) throws -> Tensor {
        try checkLength(input.time)
        let w = weights(tape: tape)
        let epsilon = configuration.layerNormEpsilon
        var x = try Tensor.embedding(tokens: input.tokens, positions: input.positions, tokenTable: w.tokenEmbedding, positionTable: w.positionEmbedding)
        for (i, block) in w.blocks.enumerated() {
            let names = BlockNames(i)
            let qkv = try project(
                x.layerNorm(weight: block.ln1Weight, bias: block.ln1Bias, epsilon: epsilon),
                names.attentionWeight, block.attentionWeight, bias: block.attentionBias, tape: tape)
            let attended = try qkv.causalSelfAttention(heads: configuration.heads, firstPosition: input.firstPosition)
            x = try x + project(attended, names.projectionWeight, block.projectionWeight, bias: block.projectionBias, tape: tape)
            x = try x + mlp(x, block, layer: i, tape: tape)
        }
        return try x.layerNorm(weight: w.finalNormWeight, bias: w.finalNormBias, epsilon: epsilon)
    }

    /// The block's feed-forward half: LayerNorm, expand ×4, GELU, contract.
    func mlp(_ x: Tensor, _ block: BlockWeights, layer: Int, tape: Tape?) throws -> Tensor {
        let names = BlockNames(layer)
        let normalized = try x.layerNorm(weight: block.ln2Weight, bias: block.ln2Bias, epsilon: configuration.layerNormEpsilon)
        let expanded = try project(normalized, names.expandWeight, block.expandWeight, bias: block.expandBias, tape: tape).gelu()
        return try project(expanded, names.contractWeight, block.contractWeight, bias: block.contractBias, tape: tape)
    }

    /// A Conv1D layer ([in, out] weight) with its adapter.
    func project(_ x: Tensor, _ name: String, _ weight: Tensor, bias: Tensor, tape: Tape?) throws -> Tensor {
        try project(x, name, weight, bias: bias, orientation: .inputsByOutputs, tape: tape)
    }

    /// Next-token logits [..., V] from hidden states [..., C], through the tied token embedding.
    public func logits(_ hidden: Tensor, tape: Tape?) throws -> Tensor {
        try hidden.linear(weights(tape: tape).tokenEmbedding, orientation: .outputsByInputs)
    }

    func checkLength(_ time: Int) throws {
        guard time <= configuration.contextLength else {
            throw TensorError.invalidShape(operation: "GPT", [time], expected: "at most the context length \(configuration.contextLength) tokens")
        }
    }
}

/// The parameter names of block i, as Hugging Face names them.
struct BlockNames {
    let ln1Weight, ln1Bias, attentionWeight, attentionBias, projectionWeight, projectionBias: String
    let ln2Weight, ln2Bias, expandWeight, expandBias, contractWeight, contractBias: String

    init(_ i: Int) {
        let h = "h.\(i)."
        ln1Weight = h + "ln_1.weight"; ln1Bias = h + "ln_1.bias"
        attentionWeight = h + "attn.c_attn.weight"; attentionBias = h + "attn.c_attn.bias"
        projectionWeight = h + "attn.c_proj.weight"; projectionBias = h + "attn.c_proj.bias"
        ln2Weight = h + "ln_2.weight"; ln2Bias = h + "ln_2.bias"
        expandWeight = h + "mlp.c_fc.weight"; expandBias = h + "mlp.c_fc.bias"
        contractWeight = h + "mlp.c_proj.weight"; contractBias = h + "mlp.c_proj.bias"
    }
}

/// One block's parameters as tensors.
struct BlockWeights {
    let ln1Weight, ln1Bias, attentionWeight, attentionBias, projectionWeight, projectionBias: Tensor
    let ln2Weight, ln2Bias, expandWeight, expandBias, contractWeight, contractBias: Tensor

    init(_ p: ParameterStore, layer: Int, tape: Tape?) {
        let n = BlockNames(layer)
        ln1Weight = p.tensor(n.ln1Weight, on: tape); ln1Bias = p.tensor(n.ln1Bias, on: tape)
        attentionWeight = p.tensor(n.attentionWeight, on: tape); attentionBias = p.tensor(n.attentionBias, on: tape)
        projectionWeight = p.tensor(n.projectionWeight, on: tape); projectionBias = p.tensor(n.projectionBias, on: tape)
        ln2Weight = p.tensor(n.ln2Weight, on: tape); ln2Bias = p.tensor(n.ln2Bias, on: tape)
        expandWeight = p.tensor(n.expandWeight, on: tape); expandBias = p.tensor(n.expandBias, on: tape)
        contractWeight = p.tensor(n.contractWeight, on: tape); contractBias = p.tensor(n.contractBias, on: tape)
    }
}

/// Every parameter of the model as tensors, for one forward pass.
struct GPTWeights {
    let tokenEmbedding, positionEmbedding, finalNormWeight, finalNormBias: Tensor
    let blocks: [BlockWeights]

    init(_ p: ParameterStore, configuration: GPTConfiguration, tape: Tape?) {
        tokenEmbedding = p.tensor("wte.weight", on: tape)
        positionEmbedding = p.tensor("wpe.weight", on: tape)
        blocks = (0..<configuration.layers).map { BlockWeights(p, layer: $0, tape: tape) }
        finalNormWeight = p.tensor("ln_f.weight", on: tape)
        finalNormBias = p.tensor("ln_f.bias", on: tape)
    }
}
