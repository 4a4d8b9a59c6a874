// The training loop every language-model objective shares (pretraining, SFT, DPO): gradient
// accumulation over micro-batches, clipping, AdamW on a warmup + cosine schedule, held-out
// evaluation, metrics, checkpoints, and resuming exactly where a run stopped. Data-parallel
// ranks each take their rows of every batch and sum their gradients before the update, so every
// rank holds the same weights and optimizer moments; the root rank alone writes the run folder.
import Checkpoints
import DataParallel
import Foundation
import LanguageModelData
import LanguageModeling
import Optimization
import Randomness
import Reporting
import Tensors
import TrainingRuns

public enum TrainingEvent: Sendable {
    case started(firstStep: Int, totalSteps: Int)
    case stepped(StepReport)
    case evaluated(step: Int, loss: Double)
    case checkpointed(step: Int, folder: URL)
}

public struct StepReport: Sendable {
    /// Steps completed, this one included.
    public let step: Int
    public let loss: Double
    public let learningRate: Float
    public let gradientNorm: Float
    /// Input positions processed in the step.
    public let tokens: Int
    public let seconds: Double
    /// The objective's statistics, averaged over the step's micro-batches.
    public let metrics: [String: Double]
}

/// What a checkpoint records beside the weights and optimizer moments.
struct SavedProgress<Cursor: Codable>: Codable {
    var step: Int
    var cursor: Cursor
}

/// Pretraining and supervised fine-tuning: the trainer of next-token prediction on `Data`.
public typealias LanguageModelTrainer<Data: TrainingData> = ModelTrainer<NextTokenPrediction<Data>>

extension ModelTrainer {
    public convenience init<Data>(
        model: LanguageModel, data: Data, settings: OptimizationSettings, run: RunFolder, communicator: Communicator = .single
    ) throws where Objective == NextTokenPrediction<Data> {
        try self.init(model: model, objective: NextTokenPrediction(data: data), settings: settings, run: run, communicator: communicator)
    }
}

public final class ModelTrainer<Objective: TrainingObjective> {
    public let model: LanguageModel
    public private(set) var objective: Objective
    public let settings: OptimizationSettings
    public let run: RunFolder
    public let communicator: Communicator
    let optimizer: AdamW
    /// One per store of the objective's own parameters.
    let objectiveOptimizers: [AdamW]
    public private(set) var completedSteps = 0
    /// Nil on the ranks that do not write the run folder.
    private var metrics: MetricsLog?

    /// With a `communicator` of several ranks, each rank computes its rows of every batch; the
    /// root rank's starting weights are copied to the others.
    public init(
        model: LanguageModel, objective: Objective, settings: OptimizationSettings, run: RunFolder, communicator: Communicator = .single
    ) throws {
        try settings.validate()
        guard settings.batchSize >= communicator.size else {
            throw DataParallelError.unsplittable(reason: "a batch of \(settings.batchSize) rows cannot be shared by \(communicator.size) ranks")
        }
        self.model = model
        self.objective = objective
        self.settings = settings
        self.run = run
        self.communicator = communicator
        optimizer = try AdamW(parameters: model.network.trainableParameters, configuration: settings.optimizer)
        objectiveOptimizers = try objective.ownParameters.map { try AdamW(parameters: $0, configuration: settings.optimizer) }
        for store in trainedStores { try communicator.broadcast(store.allValues) }
        if communicator.isRoot {
            try run.prepare()
            metrics = try MetricsLog(url: run.metricsURL)
        }
    }

    private var trainedStores: [ParameterStore] { [model.network.trainableParameters] + objective.ownParameters }

    private static func objectiveStateFileName(_ index: Int) -> String { "objective-\(index)-state.bin" }

    /// Restores weights, optimizer moments, step and the objective's cursor from the run's
    /// latest checkpoint; returns its step, or nil when the run has none.
    @discardableResult
    public func resumeFromLatestCheckpoint() throws -> Int? {
        guard let folder = try run.latestCheckpoint() else {
            // A run killed before its first checkpoint starts again at step 0: what it logged goes.
            try reopenMetrics(trimmedAfter: 0)
            return nil
        }
        try objective.restore(model: model, from: folder)
        let stateURL = folder.appendingPathComponent(RunFolder.stateFileName)
        let state = try TrainingStateFile.read(SavedProgress<Objective.Cursor>.self, from: stateURL)
        try optimizer.restore(AdamWState(stepCount: state.progress.step, firstMoments: state.firstMoments, secondMoments: state.secondMoments))
        for (index, own) in objectiveOptimizers.enumerated() {
            let saved = try TrainingStateFile.read(SavedProgress<Objective.Cursor>.self, from: folder.appendingPathComponent(Self.objectiveStateFileName(index)))
            try own.restore(AdamWState(stepCount: state.progress.step, firstMoments: saved.firstMoments, secondMoments: saved.secondMoments))
        }
        do {
            try objective.restore(state.progress.cursor)
        } catch let mismatch as SavedOrderMismatch {
            throw CheckpointError.invalidField(path: stateURL.path, field: "cursor", reason: "does not fit the data: \(mismatch)")
        }
        completedSteps = state.progress.step
        try reopenMetrics(trimmedAfter: completedSteps)
        return completedSteps
    }

    /// The trim replaces the file the old handle wrote to, so the log is opened again.
    private func reopenMetrics(trimmedAfter step: Int) throws {
        guard communicator.isRoot else { return }
        try run.trimMetrics(after: step)
        metrics = try MetricsLog(url: run.metricsURL)
    }

    /// Trains until `settings.steps`, then evaluates, checkpoints and saves the final model.
    /// With `pause`, stops after that many completed steps instead, as an interrupted run would
    /// (the run continues later through `resumeFromLatestCheckpoint`). Returns the last
    /// held-out loss (nil without held-out data or before any evaluation).
    @discardableResult
    public func train(pausingAfter pause: Int? = nil, events: (TrainingEvent) -> Void = { _ in }) throws -> Double? {
        try objective.prepare(model: model)
        events(.started(firstStep: completedSteps, totalSteps: settings.steps))
        var lastEvaluation: Double?
        while completedSteps < settings.steps {
            if let pause, completedSteps >= pause { return lastEvaluation }
            let report = try step()
            events(.stepped(report))
            if completedSteps % settings.logInterval == 0 || completedSteps == settings.steps {
                var record: [String: MetricValue] = [
                    "step": .integer(completedSteps), "loss": .number(report.loss), "learning_rate": .number(Double(report.learningRate)),
                    "grad_norm": .number(Double(report.gradientNorm)), "tokens_per_second": .number(Double(report.tokens) / report.seconds),
                ]
                for (name, value) in report.metrics { record[name] = .number(value) }
                if let epoch = objective.epoch { record["epoch"] = .number(epoch) }
                try metrics?.append(record)
            }
            let isLast = completedSteps == settings.steps
            // Every rank holds the same weights, so only the root, which logs it, evaluates.
            guard communicator.isRoot else { continue }
            if isLast || (settings.evaluationInterval > 0 && completedSteps % settings.evaluationInterval == 0) {
                let evaluation = try evaluate()
                lastEvaluation = evaluation?.loss
                if let evaluation {
                    var record: [String: MetricValue] = ["step": .integer(completedSteps), "eval_loss": .number(evaluation.loss)]
                    for (name, value) in evaluation.metrics { record["eval_" + name] = .number(value) }
                    try metrics?.append(record)
                    events(.evaluated(step: completedSteps, loss: evaluation.loss))
                }
            }
            if isLast || (settings.checkpointInterval > 0 && completedSteps % settings.checkpointInterval == 0) {
                events(.checkpointed(step: completedSteps, folder: try checkpoint()))
            }
        }
        if communicator.isRoot { try run.writeModel { try objective.save(model: model, to: $0) } }
        return lastEvaluation
    }

    /// One optimizer step over `gradientAccumulation` micro-batches.
    func step() throws -> StepReport {
        let start = Date()
        let stores = trainedStores
        stores.forEach { $0.zeroGradients() }
        model.network.adapters?.startStep(completedSteps, rank: communicator.rank)
        var lossTotal = 0.0, tokens = 0
        var metricTotals: [String: Double] = [:]
        let scale = 1 / Float(settings.gradientAccumulation)
        let shard = BatchShard(communicator)
        for _ in 0..<settings.gradientAccumulation {
            let tape = Tape()
            let batch = try objective.loss(ofNextBatch: settings.batchSize, shard: shard, model: model, tape: tape)
            try tape.backward(from: settings.gradientAccumulation == 1 ? batch.loss : batch.loss * scale)
            lossTotal += Double(batch.loss.item)
            tokens += batch.tokens
            metricTotals.merge(batch.metrics, uniquingKeysWith: +)
        }
        if communicator.size > 1 {
            try sumOverRanks(stores, loss: &lossTotal, tokens: &tokens, metrics: &metricTotals)
        }
        let count = Double(settings.gradientAccumulation)
        let meanLoss = lossTotal / count
        guard meanLoss.isFinite else { throw TrainingError.nonFinite(step: completedSteps + 1, quantity: "training loss") }
        let norm = settings.gradientClip > 0
            ? GradientClipping.clip(stores, maxNorm: settings.gradientClip) : GradientClipping.globalNorm(of: stores)
        guard norm.isFinite else { throw TrainingError.nonFinite(step: completedSteps + 1, quantity: "gradient norm") }
        let rate = settings.schedule.rate(at: completedSteps)
        for optimizer in [optimizer] + objectiveOptimizers { optimizer.step(learningRate: rate) }
        completedSteps += 1
        objective.didStep(completedSteps: completedSteps)
        return StepReport(
            step: completedSteps, loss: meanLoss, learningRate: rate, gradientNorm: norm, tokens: tokens,
            seconds: Date().timeIntervalSince(start), metrics: metricTotals.mapValues { $0 / count })
    }

    /// Every rank's gradients, loss parts, token counts and metric parts summed, on every rank.
    /// The gradients go as one buffer per store: on one machine a message's start-up cost is
    /// microseconds, and the reduction is a few percent of a step (docs/data-parallel.md), so
    /// finer buckets overlapping the backward pass would not pay here.
    private func sumOverRanks(_ stores: [ParameterStore], loss: inout Double, tokens: inout Int, metrics: inout [String: Double]) throws {
        for store in stores {
            if let gradients = store.allGradients { try communicator.sum(gradients) }
        }
        let names = metrics.keys.sorted()
        var totals = [loss, Double(tokens)] + names.map { metrics[$0]! }
        try communicator.sum(&totals)
        loss = totals[0]
        tokens = Int(totals[1])
        for (index, name) in names.enumerated() { metrics[name] = totals[index + 2] }
    }

    /// The objective's held-out loss and metrics; nil without held-out data.
    public func evaluate() throws -> Evaluation? {
        try objective.prepare(model: model)
        return try objective.evaluate(model: model, batches: settings.evaluationBatches, size: settings.batchSize)
    }

    /// Saves what the objective trained (adapters, or the whole model with its tokenizer, and its
    /// own parameters), every optimizer's moments, the step and the objective's cursor.
    func checkpoint() throws -> URL {
        let progress = SavedProgress(step: completedSteps, cursor: objective.cursor)
        return try run.commitCheckpoint(step: completedSteps, kept: settings.checkpointsKept) { folder in
            try objective.save(model: model, to: folder)
            let files = [(optimizer, RunFolder.stateFileName)] + objectiveOptimizers.enumerated().map { ($1, Self.objectiveStateFileName($0)) }
            for (optimizer, name) in files {
                try TrainingStateFile.write(
                    progress: progress, firstMoments: UnsafeBufferPointer(optimizer.firstMoments.buffer),
                    secondMoments: UnsafeBufferPointer(optimizer.secondMoments.buffer), to: folder.appendingPathComponent(name))
            }
        }
    }
}
