// Low-rank adapters on a frozen base: each targeted linear layer y = x·W gets y + s·(x·Aᵀ)·Bᵀ
// with A [r, in] and B [out, r] trained while W stays as it was. The base weights are stored
// once; switching the adapters off gives the base model back (RLHF's reference).
import Checkpoints
import Foundation
import Kernels
import Randomness
import Tensors

/// One linear layer an adapter can attach to.
public struct LoRATarget: Sendable, Equatable {
    /// The base weight's name in the model's parameter store.
    public var weight: String
    /// The module's path as PEFT names it (`model.layers.0.self_attn.q_proj`).
    public var module: String
    public var inputs: Int
    public var outputs: Int
    /// Whether the base weight is [in, out] (GPT-2's Conv1D) rather than [out, in].
    public var inputsByOutputs: Bool

    public init(weight: String, module: String, inputs: Int, outputs: Int, inputsByOutputs: Bool) {
        self.weight = weight
        self.module = module
        self.inputs = inputs
        self.outputs = outputs
        self.inputsByOutputs = inputsByOutputs
    }

    /// The module's last path component (`q_proj`), the short name messages list.
    public var moduleName: String { String(module.split(separator: ".").last ?? "") }
    /// PEFT's key names of this layer's A [r, in] and B [out, r].
    public var downName: String { "base_model.model.\(module).lora_A.weight" }
    public var upName: String { "base_model.model.\(module).lora_B.weight" }
}

public final class LoRAAdapters {
    public let configuration: LoRAConfiguration
    /// lora_A and lora_B of every adapted layer, under PEFT's key names.
    public let parameters: ParameterStore
    /// The adapted layers by base weight name.
    let targets: [String: LoRATarget]
    /// False runs the base model alone.
    public var isEnabled = true
    /// False keeps the configured dropout out of recorded passes too, for a trainer that compares
    /// a recorded pass with one taken without a tape (PPO's ratio).
    public var isDropoutEnabled = true
    /// Draws the dropout masks of training passes; reseeded from `seed` and the step by
    /// `startStep(_:)`, so a resumed run draws the masks an unbroken one would.
    var dropoutGenerator: RandomGenerator
    let seed: UInt64

    /// Adapters for the `candidates` whose module name is targeted: A from PEFT's default
    /// (Kaiming-uniform, bound 1/√in), B zero, so the adapted model starts equal to the base.
    public init(configuration: LoRAConfiguration, candidates: [LoRATarget], seed: UInt64) throws {
        let (layout, chosen) = try Self.plan(configuration, candidates: candidates)
        self.configuration = configuration
        parameters = ParameterStore(layout: layout)
        targets = Dictionary(uniqueKeysWithValues: chosen.map { ($0.weight, $0) })
        self.seed = seed
        dropoutGenerator = RandomGenerator(seed: seed ^ 0x6C6F_7261)
        var generator = RandomGenerator(seed: seed)
        for target in chosen {
            let bound = 1 / Float(target.inputs).squareRoot()
            parameters.withValues(of: target.downName) { values in
                for i in values.indices { values[i] = Float(generator.uniformDouble() * 2 - 1) * bound }
            }
        }
    }

    /// The adapters' tensors for `configuration` over `candidates`, before any is allocated: the
    /// targeted layers (as PEFT matches target_modules) less the excluded ones. A target entry
    /// that names no layer is refused (PEFT would only warn), so a misspelt one is not an adapter
    /// on fewer layers than meant.
    static func plan(_ configuration: LoRAConfiguration, candidates: [LoRATarget]) throws -> (layout: ParameterLayout, chosen: [LoRATarget]) {
        try configuration.validate()
        if let unknown = configuration.targetModules.first(where: { entry in !candidates.contains { LoRAConfiguration.names([entry], match: $0.module) } }) {
            let known = Set(candidates.map(\.moduleName)).sorted().joined(separator: ", ")
            throw CheckpointError.invalidField(path: "LoRA configuration", field: "target_modules", reason: "names \"\(unknown)\", which this model lacks (it has \(known))")
        }
        let excludes = try configuration.excludedModules?.matcher() ?? { _ in false }
        let chosen = candidates.filter { configuration.targets($0.module) && !excludes($0.module) }
        guard !chosen.isEmpty else {
            throw CheckpointError.invalidField(path: "LoRA configuration", field: "exclude_modules", reason: "excludes every targeted module, which leaves no adapter")
        }
        var layout = ParameterLayout()
        for target in chosen {
            layout.append(target.downName, [configuration.rank, target.inputs])
            layout.append(target.upName, [target.outputs, configuration.rank])
        }
        return (layout, chosen)
    }

    private init(configuration: LoRAConfiguration, parameters: ParameterStore, targets: [String: LoRATarget], seed: UInt64, dropoutGenerator: RandomGenerator) {
        self.configuration = configuration
        self.parameters = parameters
        self.targets = targets
        self.seed = seed
        self.dropoutGenerator = dropoutGenerator
    }

    /// The same adapters over copied values: frozen without gradient memory, or wholly trainable.
    public func copy(trainable: Bool) -> LoRAAdapters {
        LoRAAdapters(configuration: configuration, parameters: parameters.copy(trainable: trainable), targets: targets, seed: seed, dropoutGenerator: dropoutGenerator)
    }

    /// Reseeds the dropout masks for optimizer step `step` on data-parallel rank `rank`
    /// (trainers call it before each step): ranks read different rows, so they draw different masks.
    public func startStep(_ step: Int, rank: Int = 0) {
        dropoutGenerator = RandomGenerator(
            seed: seed ^ 0x6C6F_7261 ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(rank) &* 0xD1B5_4A32_D192_ED03))
    }

    /// The layers that carry adapters, in storage order.
    public var adaptedTargets: [LoRATarget] { targets.values.sorted { parameters.layout.index(of: $0.downName)! < parameters.layout.index(of: $1.downName)! } }

    /// x through the base weight `name` plus the adapter's update, or nil when the layer has no
    /// adapter or adapters are off.
    func project(_ x: Tensor, _ name: String, base: BaseLayer, tape: Tape?) throws -> Tensor? {
        guard isEnabled, let target = targets[name] else { return nil }
        let down = parameters.tensor(target.downName, on: tape), up = parameters.tensor(target.upName, on: tape)
        let dropped = configuration.dropout > 0 && isDropoutEnabled && tape != nil
            ? try x.droppedOut(probability: configuration.dropout, generator: &dropoutGenerator) : nil
        return try x.adaptedLinear(base, down: down, up: up, scale: configuration.scale, adapterInput: dropped)
    }

    /// `base` (x through the base weight `name`, computed by a product of the caller's own, such
    /// as decoding's compact weights) plus the adapter's update; `base` itself without an adapter.
    func adapt(_ x: Tensor, base: Tensor, weight name: String, tape: Tape?) throws -> Tensor {
        guard isEnabled, let target = targets[name] else { return base }
        let down = parameters.tensor(target.downName, on: tape), up = parameters.tensor(target.upName, on: tape)
        let update = try x.linear(down, orientation: .outputsByInputs).linear(up, orientation: .outputsByInputs)
        return try base + update * configuration.scale
    }

    /// W += s·B·A for every adapted layer of `base` (in its own orientation).
    public func merge(into base: ParameterStore) {
        let (s, r) = (configuration.scale, configuration.rank)
        for target in adaptedTargets {
            parameters.withValues(of: target.downName) { a in
                parameters.withValues(of: target.upName) { b in
                    base.withValues(of: target.weight) { w in
                        let (a, b, w) = (a.baseAddress!, b.baseAddress!, w.baseAddress!)
                        if target.inputsByOutputs {
                            MatrixProduct.multiply(m: target.inputs, n: target.outputs, k: r, a: a, transposeA: true, b: b, transposeB: true, c: w, alpha: s, beta: 1)
                        } else {
                            MatrixProduct.multiply(m: target.outputs, n: target.inputs, k: r, a: b, b: a, c: w, alpha: s, beta: 1)
                        }
                    }
                }
            }
        }
    }
}
