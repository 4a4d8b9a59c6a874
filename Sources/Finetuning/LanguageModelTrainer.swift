// The training loop for pretraining and supervised fine-tuning: gradient accumulation over
// micro-batches, clipping, AdamW on a warmup + cosine schedule, held-out evaluation, metrics,
// checkpoints, and resuming exactly where a run stopped.
import Checkpoints
import Foundation
import LanguageModelData
import LanguageModeling
import Optimization
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
}

/// What a checkpoint records beside the weights and optimizer moments.
struct SavedProgress<Cursor: Codable>: Codable {
    var step: Int
    var cursor: Cursor
}

public final class LanguageModelTrainer<Data: TrainingData> {
    public let model: LanguageModel
    public private(set) var data: Data
    public let settings: OptimizationSettings
    public let run: RunFolder
    let optimizer: AdamW
    public private(set) var completedSteps = 0
    private var metrics: MetricsLog

    public init(model: LanguageModel, data: Data, settings: OptimizationSettings, run: RunFolder) throws {
        try settings.validate()
        try run.prepare()
        self.model = model
        self.data = data
        self.settings = settings
        self.run = run
        optimizer = try AdamW(parameters: model.network.trainableParameters, configuration: settings.optimizer)
        metrics = try MetricsLog(url: run.metricsURL)
    }

    /// Restores weights, optimizer moments, step and data position from the run's latest
    /// checkpoint; returns its step, or nil when the run has none.
    @discardableResult
    public func resumeFromLatestCheckpoint() throws -> Int? {
        guard let folder = try run.latestCheckpoint() else { return nil }
        try model.restoreTrained(from: folder)
        let state = try TrainingStateFile.read(SavedProgress<Data.Cursor>.self, from: folder.appendingPathComponent(RunFolder.stateFileName))
        try optimizer.restore(AdamWState(stepCount: state.progress.step, firstMoments: state.firstMoments, secondMoments: state.secondMoments))
        data.restore(state.progress.cursor)
        completedSteps = state.progress.step
        try run.trimMetrics(after: completedSteps)
        metrics = try MetricsLog(url: run.metricsURL)  // the trim replaced the file the old handle wrote to
        return completedSteps
    }

    /// Trains until `settings.steps`, then evaluates, checkpoints and saves the final model.
    /// With `pause`, stops after that many completed steps instead, as an interrupted run would
    /// (the run continues later through `resumeFromLatestCheckpoint`). Returns the last
    /// held-out loss (nil without held-out data or before any evaluation).
    @discardableResult
    public func train(pausingAfter pause: Int? = nil, events: (TrainingEvent) -> Void = { _ in }) throws -> Double? {
        events(.started(firstStep: completedSteps, totalSteps: settings.steps))
        var lastEvaluation: Double?
        while completedSteps < settings.steps {
            if let pause, completedSteps >= pause { return lastEvaluation }
            let report = try step()
            events(.stepped(report))
            if completedSteps % settings.logInterval == 0 || completedSteps == settings.steps {
                try metrics.append([
                    "step": .integer(completedSteps), "loss": .number(report.loss), "lr": .number(Double(report.learningRate)),
                    "grad_norm": .number(Double(report.gradientNorm)), "tokens_per_second": .number(Double(report.tokens) / report.seconds),
                ])
            }
            let isLast = completedSteps == settings.steps
            if isLast || (settings.evaluationInterval > 0 && completedSteps % settings.evaluationInterval == 0) {
                lastEvaluation = try evaluate()
                if let loss = lastEvaluation {
                    try metrics.append(["step": .integer(completedSteps), "eval_loss": .number(loss)])
                    events(.evaluated(step: completedSteps, loss: loss))
                }
            }
            if isLast || (settings.checkpointInterval > 0 && completedSteps % settings.checkpointInterval == 0) {
                events(.checkpointed(step: completedSteps, folder: try checkpoint()))
            }
        }
        try model.saveTrained(to: run.modelURL)
        return lastEvaluation
    }

    /// One optimizer step over `gradientAccumulation` micro-batches.
    func step() throws -> StepReport {
        let start = Date()
        let parameters = model.network.trainableParameters
        parameters.zeroGradients()
        model.network.adapters?.startStep(completedSteps)
        var lossTotal = 0.0, tokens = 0
        let scale = 1 / Float(settings.gradientAccumulation)
        for _ in 0..<settings.gradientAccumulation {
            let batch = try data.nextBatch(size: settings.batchSize)
            let tape = Tape()
            let loss = try loss(batch, tape: tape)
            try tape.backward(from: settings.gradientAccumulation == 1 ? loss : loss * scale)
            lossTotal += Double(loss.item)
            tokens += batch.input.batch * batch.input.time
        }
        let meanLoss = lossTotal / Double(settings.gradientAccumulation)
        guard meanLoss.isFinite else { throw TrainingError.nonFinite(step: completedSteps + 1, quantity: "training loss") }
        let norm = settings.gradientClip > 0
            ? GradientClipping.clip(parameters, maxNorm: settings.gradientClip) : GradientClipping.globalNorm(of: parameters)
        guard norm.isFinite else { throw TrainingError.nonFinite(step: completedSteps + 1, quantity: "gradient norm") }
        let rate = settings.schedule.rate(at: completedSteps)
        optimizer.step(learningRate: rate)
        completedSteps += 1
        return StepReport(step: completedSteps, loss: meanLoss, learningRate: rate, gradientNorm: norm, tokens: tokens, seconds: Date().timeIntervalSince(start))
    }

    func loss(_ batch: LanguageModelBatch, tape: Tape?) throws -> Tensor {
        let network = model.network
        return try network.logits(network.hiddenStates(batch.input, tape: tape), tape: tape).crossEntropy(targets: batch.targets)
    }

    /// Mean loss per predicted token over the held-out batches; nil when there are none.
    public func evaluate() throws -> Double? {
        let batches = try data.evaluationBatches(count: settings.evaluationBatches, size: settings.batchSize)
        var total = 0.0, count = 0
        for batch in batches where batch.predictedTokens > 0 {
            total += Double(try loss(batch, tape: nil).item) * Double(batch.predictedTokens)
            count += batch.predictedTokens
        }
        return count == 0 ? nil : total / Double(count)
    }

    /// Saves the trained weights (adapters, or the whole model with its tokenizer), optimizer
    /// moments, step and data position.
    func checkpoint() throws -> URL {
        try run.commitCheckpoint(step: completedSteps, kept: settings.checkpointsKept) { folder in
            try model.saveTrained(to: folder)
            try TrainingStateFile.write(
                progress: SavedProgress(step: completedSteps, cursor: data.cursor),
                firstMoments: UnsafeBufferPointer(optimizer.firstMoments.buffer),
                secondMoments: UnsafeBufferPointer(optimizer.secondMoments.buffer),
                to: folder.appendingPathComponent(RunFolder.stateFileName))
        }
    }
}
