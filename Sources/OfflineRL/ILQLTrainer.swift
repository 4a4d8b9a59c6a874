// Offline ILQL training as trlX's AccelerateILQLTrainer runs it: shuffled batches of stored
// samples, the ILQL loss through the model and its heads, joint gradient clipping, AdamW on the
// warmup + cosine schedule for the model and for the heads, and a Polyak sync of the target
// Q-heads every `targetSyncInterval` steps; metrics under trlX's names, checkpoints, exact resume.
import Foundation
import Optimization
import Reporting
import Tensors
import TrainingRuns

public enum ILQLEvent: Sendable {
    case started(firstStep: Int, totalSteps: Int)
    case stepped(ILQLStepReport)
    case evaluated(step: Int, loss: Double)
    case checkpointed(step: Int, folder: URL)
}

public struct ILQLStepReport: Sendable {
    /// Steps completed, this one included.
    public let step: Int
    /// trlX's statistics averaged over the step's micro-batches: losses/loss, losses/loss_q, …
    public let statistics: [String: Double]
    public let learningRate: Float
    public let gradientNorm: Float
    /// Input positions processed in the step.
    public let tokens: Int
    public let seconds: Double

    public var loss: Double { statistics["losses/loss"] ?? .nan }
}

public final class ILQLTrainer {
    public let policy: ILQLPolicy
    public internal(set) var data: ILQLData
    public let configuration: ILQLConfiguration
    public let run: RunFolder
    let loss: ILQLLoss
    let modelOptimizer: AdamW
    let headOptimizer: AdamW
    public internal(set) var completedSteps = 0
    var metrics: MetricsLog

    public init(policy: ILQLPolicy, data: ILQLData, configuration: ILQLConfiguration, run: RunFolder) throws {
        try configuration.validate()
        guard policy.heads.qCount == configuration.qHeadCount else {
            throw OptimizationError.invalidSetting(field: "twoQs", expected: "the policy's number of Q-heads (\(policy.heads.qCount))")
        }
        let trained = policy.model.network.trainableParameters
        guard trained.allGradients != nil, !trained.trainableEntries.isEmpty else {
            throw OptimizationError.invalidSetting(field: "model", expected: "trainable parameters (load it with trainable: true, or attach adapters)")
        }
        try run.prepare()
        self.policy = policy
        self.data = data
        self.configuration = configuration
        self.run = run
        loss = ILQLLoss(configuration)
        modelOptimizer = try AdamW(parameters: trained, configuration: configuration.optimization.optimizer)
        headOptimizer = try AdamW(parameters: policy.heads.parameters, configuration: configuration.optimization.optimizer)
        metrics = try MetricsLog(url: run.metricsURL)
    }

    var settings: OptimizationSettings { configuration.optimization }

    /// Trains until `settings.steps`, evaluating, checkpointing, and saving the policy in the
    /// run folder's model/. With `pause`, stops after that many completed steps instead, as an
    /// interrupted run would. Returns the last held-out loss (nil without held-out samples).
    @discardableResult
    public func train(pausingAfter pause: Int? = nil, events: (ILQLEvent) -> Void = { _ in }) throws -> Double? {
        events(.started(firstStep: completedSteps, totalSteps: settings.steps))
        var lastEvaluation: Double?
        while completedSteps < settings.steps {
            if let pause, completedSteps >= pause { return lastEvaluation }
            let report = try step()
            events(.stepped(report))
            let isLast = completedSteps == settings.steps
            if completedSteps % settings.logInterval == 0 || isLast {
                var record: [String: MetricValue] = [
                    "step": .integer(completedSteps), "learning_rate": .number(Double(report.learningRate)),
                    "grad_norm": .number(Double(report.gradientNorm)), "tokens_per_second": .number(Double(report.tokens) / report.seconds),
                ]
                for (name, value) in report.statistics { record[name] = .number(value) }
                try metrics.append(record)
            }
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
        try policy.save(to: run.modelURL)
        return lastEvaluation
    }

    /// One optimizer step over `gradientAccumulation` micro-batches, then the target sync when due.
    func step() throws -> ILQLStepReport {
        let start = Date()
        let stores = [policy.model.network.trainableParameters, policy.heads.parameters]
        stores.forEach { $0.zeroGradients() }
        policy.model.network.adapters?.startStep(completedSteps)
        var statistics: [String: Double] = [:]
        var tokens = 0
        let micro = settings.gradientAccumulation
        for _ in 0..<micro {
            let batch = try data.nextBatch(size: settings.batchSize)
            let tape = Tape()
            let output = try objective(batch, tape: tape)
            try tape.backward(from: micro == 1 ? output.loss : output.loss * (1 / Float(micro)))
            for (name, value) in output.statistics { statistics[name, default: 0] += value / Double(micro) }
            tokens += batch.sequences.input.batch * batch.sequences.input.time
        }
        guard statistics["losses/loss"]?.isFinite == true else { throw TrainingError.nonFinite(step: completedSteps + 1, quantity: "ILQL loss") }
        let norm = settings.gradientClip > 0
            ? GradientClipping.clip(stores, maxNorm: settings.gradientClip) : GradientClipping.globalNorm(of: stores)
        guard norm.isFinite else { throw TrainingError.nonFinite(step: completedSteps + 1, quantity: "gradient norm") }
        let rate = settings.schedule.rate(at: completedSteps)
        modelOptimizer.step(learningRate: rate)
        headOptimizer.step(learningRate: rate)
        completedSteps += 1
        if completedSteps % configuration.targetSyncInterval == 0 { policy.heads.syncTargets(alpha: configuration.alpha) }
        return ILQLStepReport(
            step: completedSteps, statistics: statistics, learningRate: rate, gradientNorm: norm, tokens: tokens,
            seconds: Date().timeIntervalSince(start))
    }

    func objective(_ batch: ILQLBatch, tape: Tape?) throws -> ILQLLossOutput {
        let outputs = try policy.outputs(batch, tape: tape)
        return try loss(
            logits: outputs.logits, qValues: outputs.qValues, targetQValues: outputs.targetQValues, values: outputs.values,
            targets: batch.targets)
    }

    /// The ILQL loss averaged over the held-out batches (each weighted by its action count);
    /// nil when nothing is held out.
    public func evaluate() throws -> Double? {
        var total = 0.0, count = 0.0
        for batch in try data.evaluationBatches(count: settings.evaluationBatches, size: settings.batchSize) {
            let actions = Double(batch.sequences.responseLengths.reduce(0, +))
            total += try objective(batch, tape: nil).terms.loss * actions
            count += actions
        }
        return count == 0 ? nil : total / count
    }
}
