// The one abstraction every trainer, sampler, evaluator and the server take: a causal language
// model whose parameters live in a ParameterStore, whose hidden states and logits are computed on
// the tape, which decodes with a KV cache and can carry low-rank adapters. GPT-2 and Llama are
// its two families; a new family is one more conforming type.
import Foundation
import Tensors

public protocol CausalLanguageModel: AnyObject {
    /// The base weights (frozen when adapters carry the training).
    var parameters: ParameterStore { get }
    var vocabularySize: Int { get }
    /// Longest sequence the model reads.
    var contextLength: Int { get }
    /// Width of the final hidden states.
    var hiddenSize: Int { get }
    /// Low-rank adapters applied on top of the base weights, if any.
    var adapters: LoRAAdapters? { get set }
    /// The linear layers adapters can attach to, with PEFT's module paths.
    var adaptableLayers: [LoRATarget] { get }

    /// Final hidden states [B, T, C], recorded on `tape` when given.
    func hiddenStates(_ input: TokenBatch, tape: Tape?) throws -> Tensor
    /// Final hidden states [B, T, C] of rows that all continue `prefix`, which `input` leaves
    /// out (its positions count on from the prefix's end): what each row would give with the
    /// prefix in front of it, for the rows only. A family may read the prefix once for all rows.
    func hiddenStates(_ input: TokenBatch, after prefix: [Int32], tape: Tape?) throws -> Tensor
    /// Next-token logits [..., V] from hidden states [..., C].
    func logits(_ hidden: Tensor, tape: Tape?) throws -> Tensor
    /// The mean cross-entropy of `targets` (negative: ignored) under the logits of `hidden`:
    /// `logits(hidden, tape:).crossEntropy(targets:)`, which a family may compute with less memory.
    func crossEntropy(_ hidden: Tensor, targets: [Int32], tape: Tape?) throws -> Tensor
    /// An empty cache for `batch` rows of up to `capacity` positions (at most the context).
    func makeCache(batch: Int, capacity: Int, firstPosition: [Int32]?) -> KVCache
    /// Hidden states [B, T, C] of the next T positions of every row, appending their keys and
    /// values to `cache`. Inference only.
    func decode(_ input: TokenBatch, cache: KVCache) throws -> Tensor
    /// Hidden states [B, T, C] of rows that all continue `prefix`, which `input` leaves out, with
    /// the whole rows' keys and values put into the empty `cache` (their padding, the prefix,
    /// their tokens), as `decode` of the whole rows leaves it. Inference only.
    func decode(_ input: TokenBatch, after prefix: [Int32], cache: KVCache) throws -> Tensor
    /// The same architecture over a copy of the base weights (frozen without gradient memory, or
    /// wholly trainable), with a copy of the adapters when there are any.
    func copy(trainable: Bool) throws -> Self
    /// Writes a Hugging Face checkpoint folder (config.json, model.safetensors) of the base
    /// weights; with `scalarHead`, of the family's *ForSequenceClassification model.
    func save(to folder: URL, scalarHead: ScalarHead?) throws
}

extension CausalLanguageModel {
    public func crossEntropy(_ hidden: Tensor, targets: [Int32], tape: Tape?) throws -> Tensor {
        try logits(hidden, tape: tape).crossEntropy(targets: targets)
    }

    /// Writes the language model's checkpoint folder.
    public func save(to folder: URL) throws {
        try save(to: folder, scalarHead: nil)
    }

    /// What training updates: the adapters when there are any, else the base weights.
    public var trainableParameters: ParameterStore { adapters?.parameters ?? parameters }

    /// Attaches fresh adapters (base frozen in effect: only the adapters are trained).
    public func attachAdapters(_ configuration: LoRAConfiguration, seed: UInt64) throws {
        adapters = try LoRAAdapters(configuration: configuration, candidates: adaptableLayers, seed: seed)
    }

    /// Folds the adapters into the base weights and removes them: the merged model computes what
    /// the adapted one did.
    public func mergeAdapters() {
        guard let adapters else { return }
        adapters.merge(into: parameters)
        self.adapters = nil
    }

    /// Runs `body` with the adapters switched off (the base model: RLHF's reference).
    public func withoutAdapters<R>(_ body: () throws -> R) rethrows -> R {
        guard let adapters, adapters.isEnabled else { return try body() }
        adapters.isEnabled = false
        defer { adapters.isEnabled = true }
        return try body()
    }

    /// x through the base weight `name` (plus its adapter): y = x·W (+ bias) (+ s·x·Aᵀ·Bᵀ).
    func project(_ x: Tensor, _ name: String, _ weight: Tensor, bias: Tensor? = nil, orientation: WeightOrientation, tape: Tape?) throws -> Tensor {
        try project(x, name, .dense(weight: weight, bias: bias, orientation: orientation), tape: tape)
    }

    /// x through the base layer `name` (plus its adapter).
    func project(_ x: Tensor, _ name: String, _ layer: BaseLayer, tape: Tape?) throws -> Tensor {
        if let adapted = try adapters?.project(x, name, base: layer, tape: tape) { return adapted }
        return try x.linear(layer)
    }

    /// Log-probabilities [B, R] of each response token given everything before it (0 at padding),
    /// at the given sampling temperature; recorded when `tape` is given.
    public func responseLogProbabilities(_ batch: SequenceBatch, temperature: Float = 1, tape: Tape?) throws -> Tensor {
        try logits(responseStates(batch, tape: tape), tape: tape).tokenLogProbabilities(of: batch.responseTargets, temperature: temperature)
    }

    /// Reads every row whole, the prefix in front of each.
    public func hiddenStates(_ input: TokenBatch, after prefix: [Int32], tape: Tape?) throws -> Tensor {
        guard !prefix.isEmpty else { return try hiddenStates(input, tape: tape) }
        return try hiddenStates(input.withPrefix(prefix), tape: tape).slice(axis: 1, prefix.count..<(prefix.count + input.time))
    }

    /// Decodes every row whole, the prefix in front of each.
    public func decode(_ input: TokenBatch, after prefix: [Int32], cache: KVCache) throws -> Tensor {
        guard !prefix.isEmpty else { return try decode(input, cache: cache) }
        return try decode(input.withPrefix(prefix), cache: cache).slice(axis: 1, prefix.count..<(prefix.count + input.time))
    }

    /// Hidden states [B, R, C] at the positions that predict each response token; the prompts'
    /// shared prefix is read once when the family can.
    public func responseStates(_ batch: SequenceBatch, tape: Tape?) throws -> Tensor {
        let hidden = try hiddenStates(batch.suffixInput, after: batch.sharedPrefix, tape: tape)
        let start = batch.promptLength - batch.sharedPrefix.count - 1
        return try hidden.slice(axis: 1, start..<(start + batch.responseLength))
    }

    func copiedAdapters(trainable: Bool) throws -> LoRAAdapters? {
        adapters.map { $0.copy(trainable: trainable) }
    }
}
