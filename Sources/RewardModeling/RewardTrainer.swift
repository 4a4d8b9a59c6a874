// Trains a reward model on judgments, whichever its backbone: shuffled epochs of comparison
// batches, the preference loss on raw rewards, clipping, AdamW on a warmup + cosine schedule,
// held-out evaluation, metrics.jsonl, then normalisation (the reference policy's samples score
// mean 0, standard deviation 1) and the saved model. Runs are short (minutes), so they restart
// rather than resume: there are no checkpoints. Data-parallel ranks each take their comparisons
// of every batch (and their batches of a frozen backbone's features) and sum the gradients; the
// root rank alone evaluates, normalises and writes the run folder.
import DataParallel
import Foundation
import Optimization
import Randomness
import Reporting
import Tensors
import TrainingRuns

public enum RewardTrainingEvent: Sendable {
    case started(totalSteps: Int, comparisons: Int)
    case stepped(RewardStepReport)
    case evaluated(step: Int, PreferenceEvaluation)
    case normalized(gain: Float, bias: Float)
}

public struct RewardStepReport: Sendable, Equatable {
    /// Steps completed, this one included.
    public var step: Int
    public var loss: Double
    /// Fraction of the batch's strict pairs ordered as judged (before the update).
    public var accuracy: Double
    public var learningRate: Float
    public var gradientNorm: Float
    public var comparisons: Int
    public var seconds: Double
}

public final class RewardTrainer {
    public let rewardModel: RewardModel
    public let configuration: RewardTrainingConfiguration
    public let run: RunFolder
    public let communicator: Communicator
    public private(set) var completedSteps = 0

    /// Freezes the backbone parameters the configuration names (in `model`'s store, for good).
    /// A frozen-backbone model's head starts afresh from `headSeed`; a fine-tuned one continues
    /// from its head.
    public init(model: RewardModel, configuration: RewardTrainingConfiguration, run: RunFolder, communicator: Communicator = .single) throws {
        try configuration.validate()
        guard configuration.optimization.batchSize >= communicator.size else {
            throw DataParallelError.unsplittable(
                reason: "a batch of \(configuration.optimization.batchSize) comparisons cannot be shared by \(communicator.size) ranks")
        }
        if !model.isFrozen {
            let frozen = configuration.frozenParameters
            if !frozen.isEmpty {
                model.backbone.network.trainableParameters.freeze { entry in frozen.contains { entry.name.hasPrefix($0) } }
            }
        }
        // A model loaded for inference has no gradient memory and would silently never learn.
        guard model.trainableStores.allSatisfy({ $0.allGradients != nil && !$0.trainableEntries.isEmpty }) else {
            throw RewardTrainingError.invalidSetting(field: "model", expected: "trainable parameters: load the backbone (or reward model) with trainable: true")
        }
        rewardModel = model
        self.configuration = configuration
        self.run = run
        self.communicator = communicator
    }

    /// Trains on `training`, evaluating on `heldOut` every `evaluationInterval` steps and at the
    /// end; then, unless `normalizationSamples` is 0, normalises on `samples` (token sequences as
    /// `RewardModel.sequences(of:)` makes them: the reference policy's responses to training
    /// prompts), or on the training responses when there are none; saves the model in the run's
    /// model folder. Returns the final held-out evaluation (nil without held-out comparisons).
    @discardableResult
    public func train(
        on training: [Comparison], heldOut: [Comparison], normalizingOn samples: [[Int32]]? = nil,
        events: (RewardTrainingEvent) -> Void = { _ in }
    ) throws -> PreferenceEvaluation? {
        guard !training.isEmpty else { throw RewardDataError.empty(source: "the training comparisons") }
        var metrics: MetricsLog?
        if communicator.isRoot {
            try FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
            // Without checkpoints a run always starts at step 0, so an earlier (killed) attempt's records go.
            try run.trimMetrics(after: 0)
            metrics = try MetricsLog(url: run.metricsURL)
        }
        var table = SequenceTable()
        let trainingRows = try index(training, into: &table), heldOutRows = try index(heldOut, into: &table)
        let normalizing = configuration.normalizationSamples > 0
        let normalizationRows = normalizing ? (samples ?? trainingRows.flatMap { $0.rows.map { table.sequences[$0] } }).map { table.add($0) } : []
        var batches: any RewardBatches = rewardModel.isFrozen
            ? try FrozenBatches(
                model: rewardModel, table: table, trainingRows: Set(trainingRows.flatMap(\.rows)), seed: configuration.headSeed,
                communicator: communicator)
            : FineTunedBatches(model: rewardModel, table: table, batchSize: 4 * configuration.optimization.batchSize)
        let optimizers = try batches.stores.map { try AdamW(parameters: $0, configuration: configuration.optimization.optimizer) }
        for store in batches.stores { try communicator.broadcast(store.allValues) }

        var settings = configuration.optimization
        settings.steps = configuration.steps(forComparisons: trainingRows.count)
        events(.started(totalSteps: settings.steps, comparisons: trainingRows.count))
        var generator = RandomGenerator(seed: settings.seed)
        var order: [Int] = []
        var evaluation: PreferenceEvaluation?
        while completedSteps < settings.steps {
            if order.isEmpty { order = generator.permutation(trainingRows.count) }
            let batch = order.prefix(settings.batchSize).map { trainingRows[$0] }
            order.removeFirst(batch.count)
            let report = try step(batch, batches, optimizers: optimizers, settings: settings)
            events(.stepped(report))
            // Every rank holds the same weights, so only the root, which logs, evaluates.
            guard let metrics else { continue }
            if completedSteps % settings.logInterval == 0 || completedSteps == settings.steps {
                try metrics.append([
                    "step": .integer(completedSteps), "loss": .number(report.loss), "accuracy": .number(report.accuracy),
                    "learning_rate": .number(Double(report.learningRate)), "grad_norm": .number(Double(report.gradientNorm)),
                    "comparisons_per_second": .number(Double(report.comparisons) / report.seconds),
                ])
            }
            let isLast = completedSteps == settings.steps
            if !heldOutRows.isEmpty, isLast || (settings.evaluationInterval > 0 && completedSteps % settings.evaluationInterval == 0) {
                let result = try Self.evaluate(heldOutRows, batches, settings: configuration.loss)
                try metrics.append(Self.record(result, step: completedSteps))
                events(.evaluated(step: completedSteps, result))
                evaluation = result
            }
        }
        batches.finish()
        guard let metrics else { return nil }
        if normalizing {
            try rewardModel.normalize(rawScores: batches.scores(rows: normalizationRows).map(Float.init))
            try metrics.append(["step": .integer(completedSteps), "reward_gain": .number(Double(rewardModel.gain)), "reward_bias": .number(Double(rewardModel.bias))])
            events(.normalized(gain: rewardModel.gain, bias: rewardModel.bias))
        }
        try rewardModel.save(to: run.modelURL)
        return evaluation
    }

    private func index(_ comparisons: [Comparison], into table: inout SequenceTable) throws -> [SequenceTable.Comparison] {
        try comparisons.enumerated().map { index, comparison in
            try comparison.validate(index: index)
            let scale = comparison.annotator.flatMap { configuration.annotatorWeights[$0] } ?? 1
            let rows = try comparison.responses.map { table.add(try rewardModel.sequence(prompt: comparison.prompt, response: $0)) }
            return SequenceTable.Comparison(rows: rows, tiers: comparison.tiers, weight: comparison.weight * scale)
        }
    }

    /// One optimizer step on a batch of comparisons, of which this rank reads its shard.
    private func step(_ batch: [SequenceTable.Comparison], _ batches: any RewardBatches, optimizers: [AdamW], settings: OptimizationSettings) throws -> RewardStepReport {
        let start = Date()
        for store in batches.stores { store.zeroGradients() }
        var rows: [Int] = [], rankings: [ScoredRanking] = []
        for comparison in BatchShard(communicator).slice(batch) {
            rankings.append(ScoredRanking(offset: rows.count, tiers: comparison.tiers, weight: comparison.weight))
            rows += comparison.rows
        }
        let tape = Tape()
        let rewards = rows.isEmpty ? nil : try batches.rewards(rows: rows, tape: tape)
        let report = try PreferenceStep.apply(
            rewards: rewards, rankings: rankings, share: PreferenceStep.share(of: rankings, in: batch.map(\.weight)), tape: tape,
            stores: batches.stores, optimizers: optimizers, settings: settings, loss: configuration.loss, completed: completedSteps,
            started: start, communicator: communicator)
        completedSteps += 1
        return report
    }

    private static func evaluate(_ comparisons: [SequenceTable.Comparison], _ batches: any RewardBatches, settings: PreferenceLossSettings) throws -> PreferenceEvaluation {
        var rows: [Int] = [], rankings: [ScoredRanking] = []
        for comparison in comparisons {
            rankings.append(ScoredRanking(offset: rows.count, tiers: comparison.tiers, weight: comparison.weight))
            rows += comparison.rows
        }
        return PreferenceEvaluation(scores: try batches.scores(rows: rows), rankings: rankings, settings: settings)
    }

    /// The held-out evaluation of `model`'s raw rewards on comparisons (each distinct response scored once).
    public static func evaluate(_ model: RewardModel, _ comparisons: [Comparison], settings: PreferenceLossSettings, batchSize: Int = 64) throws -> PreferenceEvaluation {
        try PreferenceEvaluation.of(model, on: comparisons, settings: settings, batchSize: batchSize)
    }

    static func record(_ evaluation: PreferenceEvaluation, step: Int) -> [String: MetricValue] {
        [
            "step": .integer(step), "eval_loss": .number(evaluation.loss), "eval_accuracy": .number(evaluation.accuracy),
            "eval_mean_margin": .number(evaluation.meanMargin), "eval_ece": .number(evaluation.expectedCalibrationError),
            "eval_pairs": .integer(evaluation.pairs),
        ]
    }
}
