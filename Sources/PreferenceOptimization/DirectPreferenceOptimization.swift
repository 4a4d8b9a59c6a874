// Preference optimisation without RL, as an objective of the shared trainer: each micro-batch's
// pairs go through the policy in one forward pass, and their DPO or IPO loss is taken against
// reference log-probabilities computed once, before the first step, over the whole dataset.
import DataParallel
import Finetuning
import Foundation
import LanguageModeling
import StableHashing
import Tensors
import Transformer
import TrainingRuns

/// The trainer of preference optimisation (TRL's DPOTrainer).
public typealias DPOTrainer = ModelTrainer<DirectPreferenceOptimization>

/// The reference policy's summed log-probabilities of every pair's answers, in the data's order.
public struct ReferenceLogProbabilities: Codable, Sendable, Equatable {
    public var training: [PairLogProbabilities]
    public var heldOut: [PairLogProbabilities]

    /// The reference is the policy as training starts, so no second copy of the weights is kept
    /// for it. Adapters that still change nothing (every lora_B zero, as freshly attached) are
    /// switched off, which computes the base model itself and skips their products. Adapters
    /// loaded to train further stay on: the reference is the starting policy, as the DPO paper
    /// defines it (π_SFT). TRL's default differs: with PEFT it switches every adapter off unless
    /// `ref_adapter_name` names one.
    public init(data: PreferenceData, network: any CausalLanguageModel, batchSize: Int) throws {
        let compute = {
            (try data.logProbabilities(of: data.training, network: network, batchSize: batchSize),
             try data.logProbabilities(of: data.heldOut, network: network, batchSize: batchSize))
        }
        (training, heldOut) = try Self.adaptersAreIdentity(network) ? network.withoutAdapters(compute) : compute()
    }

    static func adaptersAreIdentity(_ network: any CausalLanguageModel) -> Bool {
        guard let adapters = network.adapters else { return false }
        return adapters.parameters.layout.entries.filter { $0.name.hasSuffix(".lora_B.weight") }.allSatisfy { entry in
            adapters.parameters.withValues(of: entry.name) { $0.allSatisfy { $0 == 0 } }
        }
    }
}

public struct DirectPreferenceOptimization: TrainingObjective {
    public let data: PreferenceData
    public let settings: DPOLossSettings
    /// Nil until `prepare` computes it (or a checkpoint restores it).
    public private(set) var reference: ReferenceLogProbabilities?
    private var epochs: ShuffledEpochs
    /// Pairs per forward pass while computing the reference.
    private let referenceBatchSize: Int
    /// A digest of every pair's tokens: the reference log-probabilities are kept by position, so a
    /// checkpoint resumes only on the very pairs it was written for.
    private let dataDigest: UInt64

    /// The reference log-probabilities are part of every checkpoint: a resumed full fine-tune
    /// could not recompute them, since its starting weights are gone after the first step.
    public struct Cursor: Codable, Sendable {
        var epochs: ShuffledEpochs
        var reference: ReferenceLogProbabilities?
        /// Nil in checkpoints written before the digest was kept.
        var data: UInt64?
    }

    public init(data: PreferenceData, settings: DPOLossSettings, seed: UInt64, referenceBatchSize: Int = 16) throws {
        try validateSettings(under: "dpo") { try settings.validate() }
        guard !data.training.isEmpty else { throw PreferenceOptimizationError.noTrainingPairs(source: "the preference data") }
        self.data = data
        self.settings = settings
        self.referenceBatchSize = referenceBatchSize
        epochs = ShuffledEpochs(count: data.training.count, seed: seed)
        var hash = StableHash()
        for example in data.training + data.heldOut {
            for tokens in [example.prompt, example.chosen, example.rejected] {
                hash.combine(Int32(tokens.count))
                hash.combine(tokens: tokens)
            }
        }
        dataDigest = hash.value
    }

    /// Computes the reference log-probabilities from `model` as it is now, the first time only.
    public mutating func prepare(model: LanguageModel) throws {
        guard reference == nil else { return }
        reference = try ReferenceLogProbabilities(data: data, network: model.network, batchSize: referenceBatchSize)
    }

    /// Computes the reference log-probabilities from `network`, a model other than the one
    /// trained (a starting model kept as the leash of a later run), unless already computed.
    public mutating func prepare(reference network: any CausalLanguageModel) throws {
        guard reference == nil else { return }
        reference = try ReferenceLogProbabilities(data: data, network: network, batchSize: referenceBatchSize)
    }

    /// The loss and statistics are means over pairs, so a shard's share is its fraction of them.
    public mutating func loss(ofNextBatch size: Int, shard: BatchShard, model: LanguageModel, tape: Tape) throws -> BatchLoss {
        let reference = try preparedReference()
        // The reference log-probabilities were taken without dropout; with it in the policy's pass
        // the log-ratios would start as noise instead of 0 (TRL's disable_dropout does the same).
        model.network.adapters?.isDropoutEnabled = false
        let drawn = epochs.next(size)
        let indices = shard.slice(drawn)
        let examples = indices.map { data.training[$0] }
        let batch = try data.sequenceBatch(examples)
        let (loss, statistics) = try PreferenceData.logProbabilities(batch, network: model.network, tape: tape)
            .directPreferenceLoss(reference: indices.map { reference.training[$0] }, lengths: examples.map(\.lengths), settings: settings)
        return BatchLoss(
            part: loss, share: Double(indices.count) / Double(drawn.count), tokens: batch.input.batch * batch.input.time,
            metrics: statistics.metrics)
    }

    /// Loss and statistics over the first `batches · size` held-out pairs, each pair counted once.
    public func evaluate(model: LanguageModel, batches: Int, size: Int) throws -> Evaluation? {
        let reference = try preparedReference()
        let count = min(data.heldOut.count, batches * size)
        guard count > 0 else { return nil }
        let examples = Array(data.heldOut.prefix(count))
        let policy = try data.logProbabilities(of: examples, network: model.network, batchSize: size)
        let (loss, _, statistics) = DPOLoss.evaluate(
            policy: policy, reference: Array(reference.heldOut.prefix(count)), lengths: examples.map(\.lengths), settings: settings)
        return Evaluation(loss: loss, metrics: statistics.metrics)
    }

    private func preparedReference() throws -> ReferenceLogProbabilities {
        guard let reference else { throw PreferenceOptimizationError.referenceMissing }
        return reference
    }

    public var epoch: Double? { epochs.fractionalEpoch }

    public var cursor: Cursor { Cursor(epochs: epochs, reference: reference, data: dataDigest) }

    public mutating func restore(_ cursor: Cursor) throws {
        guard let saved = cursor.reference else {
            throw PreferenceOptimizationError.checkpointMismatch(reason: "it holds no reference log-probabilities")
        }
        guard cursor.epochs.count == data.training.count, saved.training.count == data.training.count, saved.heldOut.count == data.heldOut.count else {
            throw PreferenceOptimizationError.checkpointMismatch(
                reason: "it was written for \(saved.training.count) training and \(saved.heldOut.count) held-out pairs, this data has \(data.training.count) and \(data.heldOut.count)")
        }
        do {
            try cursor.epochs.check(count: data.training.count)
        } catch {
            throw PreferenceOptimizationError.checkpointMismatch(reason: "\(error)")
        }
        if let written = cursor.data, written != dataDigest {
            throw PreferenceOptimizationError.checkpointMismatch(reason: "it was written for other pairs, as many as these but with other tokens")
        }
        epochs = cursor.epochs
        reference = saved
    }
}
