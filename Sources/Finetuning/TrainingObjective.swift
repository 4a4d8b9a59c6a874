// What a training run optimises, apart from the loop that optimises it: an objective draws each
// micro-batch, computes its loss on the tape, evaluates on held-out data and saves its position.
// Next-token prediction (pretraining, SFT) is one objective of the shared trainer; preference
// optimisation (DPO, IPO) is another.
import DataParallel
import Foundation
import LanguageModelData
import LanguageModeling
import Tensors

public protocol TrainingObjective {
    /// Everything a checkpoint must hold for a resumed run to continue exactly.
    associatedtype Cursor: Codable & Sendable

    /// Readies the objective for `model` before the trainer's first step or evaluation. The
    /// trainer calls it at the start of every `train` and `evaluate`, so it must do its work once
    /// (and not at all when a restored cursor already holds the result).
    mutating func prepare(model: LanguageModel) throws
    /// `shard`'s part of the loss of the next micro-batch of `size` rows, recorded on `tape`:
    /// the parts of every rank's shard add up to the whole batch's loss and metrics. Every rank
    /// draws the whole batch, so the cursor moves alike on all of them.
    mutating func loss(ofNextBatch size: Int, shard: BatchShard, model: LanguageModel, tape: Tape) throws -> BatchLoss
    /// The held-out loss and metrics over at most `batches` micro-batches of `size` rows; nil
    /// without held-out data.
    func evaluate(model: LanguageModel, batches: Int, size: Int) throws -> Evaluation?
    /// Passes over the training data so far, fractional (TRL's `epoch`); nil when the data is
    /// not read in epochs.
    var epoch: Double? { get }
    var cursor: Cursor { get }
    /// Continues from a saved cursor; throws when it does not fit this objective's data.
    mutating func restore(_ cursor: Cursor) throws

    /// Parameters the objective trains beside the model's (heads of its own, as ILQL's), each
    /// stepped by an AdamW of the run's settings and clipped together with the model's.
    var ownParameters: [ParameterStore] { get }
    /// After each optimizer step, with the steps completed so far (ILQL's target-network sync).
    mutating func didStep(completedSteps: Int)
    /// Writes what training changed into `folder`: a checkpoint, or the run's final model/.
    func save(model: LanguageModel, to folder: URL) throws
    /// Restores what `save(model:to:)` wrote.
    mutating func restore(model: LanguageModel, from folder: URL) throws
}

extension TrainingObjective {
    public mutating func prepare(model: LanguageModel) throws {}

    public var epoch: Double? { nil }

    public var ownParameters: [ParameterStore] { [] }

    public mutating func didStep(completedSteps: Int) {}

    public func save(model: LanguageModel, to folder: URL) throws {
        try model.saveTrained(to: folder)
    }

    public mutating func restore(model: LanguageModel, from folder: URL) throws {
        try model.restoreTrained(from: folder)
    }
}

/// One micro-batch's loss (or one rank's part of it) and what the trainer logs about it.
public struct BatchLoss {
    /// The scalar loss, recorded on the step's tape.
    public var loss: Tensor
    /// Input positions the forward passes read.
    public var tokens: Int
    /// Per-batch statistics under their metrics.jsonl names, averaged over a step's micro-batches.
    /// A rank's part is weighted as its loss is, so the parts add up to the batch's statistics.
    public var metrics: [String: Double]

    public init(loss: Tensor, tokens: Int, metrics: [String: Double] = [:]) {
        self.loss = loss
        self.tokens = tokens
        self.metrics = metrics
    }

    /// A shard's part of a batch whose loss is a mean over its items: the shard's own mean
    /// `loss` and `metrics`, scaled by `share`, the shard's fraction of the batch's items.
    public init(part loss: Tensor, share: Double, tokens: Int, metrics: [String: Double] = [:]) {
        self.init(loss: share == 1 ? loss : loss * Float(share), tokens: tokens, metrics: metrics.mapValues { $0 * share })
    }
}

/// A held-out evaluation: logged as `eval_loss` and `eval_` + each metric's name.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double
    public var metrics: [String: Double]

    public init(loss: Double, metrics: [String: Double] = [:]) {
        self.loss = loss
        self.metrics = metrics
    }
}

/// Pretraining and supervised fine-tuning: mean cross-entropy of each target token.
public struct NextTokenPrediction<Data: TrainingData>: TrainingObjective {
    public private(set) var data: Data

    public init(data: Data) {
        self.data = data
    }

    /// The loss is a mean over the batch's predicted tokens, so a shard's share is its fraction
    /// of them (SFT rows predict different numbers of answer tokens).
    public mutating func loss(ofNextBatch size: Int, shard: BatchShard, model: LanguageModel, tape: Tape) throws -> BatchLoss {
        let whole = try data.nextBatch(size: size)
        let batch = shard == .whole ? whole : whole.rows(shard.rows(of: whole.input.batch))
        let share = whole.predictedTokens == 0 ? 0 : Double(batch.predictedTokens) / Double(whole.predictedTokens)
        return BatchLoss(part: try Self.loss(batch, model: model, tape: tape), share: share, tokens: batch.input.batch * batch.input.time)
    }

    /// Mean loss per predicted token over the held-out batches.
    public func evaluate(model: LanguageModel, batches: Int, size: Int) throws -> Evaluation? {
        var total = 0.0, count = 0
        for batch in try data.evaluationBatches(count: batches, size: size) where batch.predictedTokens > 0 {
            total += Double(try Self.loss(batch, model: model, tape: nil).item) * Double(batch.predictedTokens)
            count += batch.predictedTokens
        }
        return count == 0 ? nil : Evaluation(loss: total / Double(count))
    }

    static func loss(_ batch: LanguageModelBatch, model: LanguageModel, tape: Tape?) throws -> Tensor {
        let network = model.network
        return try network.crossEntropy(network.hiddenStates(batch.input, tape: tape), targets: batch.targets, tape: tape)
    }

    public var cursor: Data.Cursor { data.cursor }

    public mutating func restore(_ cursor: Data.Cursor) throws {
        try data.restore(cursor)
    }
}
