// Offline ILQL training as trlX's AccelerateILQLTrainer runs it, as one objective of the training
// loop SFT and DPO share: shuffled batches of stored samples, the ILQL loss through the model and
// its heads (trained beside the model, clipped with it, on the same warmup + cosine schedule), a
// Polyak sync of the target Q-heads every `targetSyncInterval` steps, metrics under trlX's names,
// checkpoints that hold the heads and their targets, exact resume.
import DataParallel
import Finetuning
import Foundation
import LanguageModeling
import Optimization
import Tensors
import TrainingRuns

public struct ILQLObjective: TrainingObjective {
    public let policy: ILQLPolicy
    public private(set) var data: ILQLData
    let loss: ILQLLoss
    let targetSyncInterval: Int
    let alpha: Float

    public init(policy: ILQLPolicy, data: ILQLData, configuration: ILQLConfiguration) throws {
        try configuration.validate()
        guard policy.heads.qCount == configuration.qHeadCount else {
            throw OptimizationError.invalidSetting(field: "twoQs", expected: "the policy's number of Q-heads (\(policy.heads.qCount))")
        }
        let trained = policy.model.network.trainableParameters
        guard trained.allGradients != nil, !trained.trainableEntries.isEmpty else {
            throw OptimizationError.invalidSetting(field: "model", expected: "trainable parameters (load it with trainable: true, or attach adapters)")
        }
        self.policy = policy
        self.data = data
        loss = ILQLLoss(configuration)
        targetSyncInterval = configuration.targetSyncInterval
        alpha = configuration.alpha
    }

    func output(_ batch: ILQLBatch, tape: Tape?) throws -> ILQLLossOutput {
        let outputs = try policy.outputs(batch, tape: tape)
        return try loss(
            logits: outputs.logits, qValues: outputs.qValues, targetQValues: outputs.targetQValues, values: outputs.values,
            targets: batch.targets)
    }

    public mutating func loss(ofNextBatch size: Int, shard: BatchShard, model: LanguageModel, tape: Tape) throws -> BatchLoss {
        // ILQL's terms are normalised over different sets (actions, states, the CQL logits), so a
        // shard's part is not one share of the batch's loss; it trains as one process.
        guard shard == .whole else { throw DataParallelError.unsplittable(reason: "ILQL trains in one process") }
        let batch = try data.nextBatch(size: size)
        let output = try output(batch, tape: tape)
        return BatchLoss(loss: output.loss, tokens: batch.sequences.input.batch * batch.sequences.input.time, metrics: output.statistics)
    }

    /// The ILQL loss averaged over the held-out batches, each weighted by its action count.
    public func evaluate(model: LanguageModel, batches: Int, size: Int) throws -> Evaluation? {
        var total = 0.0, count = 0.0
        for batch in try data.evaluationBatches(count: batches, size: size) {
            let actions = Double(batch.sequences.responseLengths.reduce(0, +))
            total += try output(batch, tape: nil).terms.loss * actions
            count += actions
        }
        return count == 0 ? nil : Evaluation(loss: total / count)
    }

    public var ownParameters: [ParameterStore] { [policy.heads.parameters] }

    public mutating func didStep(completedSteps: Int) {
        if completedSteps % targetSyncInterval == 0 { policy.heads.syncTargets(alpha: alpha) }
    }

    /// The policy folder: the model or its adapters, the heads with their targets, ilql.json.
    public func save(model: LanguageModel, to folder: URL) throws {
        try policy.save(to: folder)
    }

    public mutating func restore(model: LanguageModel, from folder: URL) throws {
        try policy.model.restoreTrained(from: folder)
        try policy.heads.load(from: folder.appendingPathComponent(ILQLHeads.fileName))
    }

    public var cursor: ShuffledEpochs { data.cursor }

    public mutating func restore(_ cursor: ShuffledEpochs) throws {
        try data.restore(cursor)
    }
}

/// ILQL on the shared training loop.
public typealias ILQLTrainer = ModelTrainer<ILQLObjective>

extension ModelTrainer where Objective == ILQLObjective {
    public convenience init(policy: ILQLPolicy, data: ILQLData, configuration: ILQLConfiguration, run: RunFolder) throws {
        try self.init(
            model: policy.model, objective: ILQLObjective(policy: policy, data: data, configuration: configuration),
            settings: configuration.optimization, run: run)
    }

    public var policy: ILQLPolicy { objective.policy }
}
