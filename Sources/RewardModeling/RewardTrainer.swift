// Trains a reward model on judgments: shuffled epochs of comparison batches, the preference
// loss on raw rewards, clipping, AdamW on a warmup + cosine schedule, held-out evaluation,
// metrics.jsonl, then normalisation on reference-policy samples and the saved model. Runs are
// short (minutes), so they restart rather than resume: there are no checkpoints.
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
    public private(set) var completedSteps = 0
    private let optimizer: AdamW

    /// Freezes the parameters the configuration names (in `model`'s store, for good).
    public init(model: RewardModel, configuration: RewardTrainingConfiguration, run: RunFolder) throws {
        try configuration.validate()
        self.rewardModel = model
        self.configuration = configuration
        self.run = run
        let frozen = configuration.frozenParameters
        if !frozen.isEmpty {
            model.network.parameters.freeze { entry in frozen.contains { entry.name.hasPrefix($0) } }
        }
        optimizer = try AdamW(parameters: model.network.parameters, configuration: configuration.optimization.optimizer)
    }

    /// Trains on `training`, evaluating on `heldOut` every `evaluationInterval` steps and at
    /// the end; then normalises on `samples` (when given) and saves the model to the run's
    /// model folder. Returns the final held-out evaluation (nil without held-out comparisons).
    @discardableResult
    public func train(
        on training: [Comparison], heldOut: [Comparison], normalizingOn samples: PolicySamples? = nil,
        events: (RewardTrainingEvent) -> Void = { _ in }
    ) throws -> PreferenceEvaluation? {
        guard !training.isEmpty else { throw RewardDataError.empty(source: "the training comparisons") }
        try FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
        // Without checkpoints a run always starts at step 0, so an earlier (killed) attempt's records go.
        try run.trimMetrics(after: 0)
        let metrics = try MetricsLog(url: run.metricsURL)
        let weights = configuration.annotatorWeights
        let data = try EncodedComparison.encode(training, model: rewardModel, annotatorWeights: weights)
        let evaluationData = try EncodedComparison.encode(heldOut, model: rewardModel, annotatorWeights: weights)
        var settings = configuration.optimization
        settings.steps = configuration.steps(forComparisons: data.count)
        events(.started(totalSteps: settings.steps, comparisons: data.count))
        var generator = RandomGenerator(seed: settings.seed)
        var order: [Int] = []
        var evaluation: PreferenceEvaluation?
        while completedSteps < settings.steps {
            if order.isEmpty { order = generator.permutation(data.count) }
            let batch = order.prefix(settings.batchSize).map { data[$0] }
            order.removeFirst(batch.count)
            let report = try step(batch, settings: settings)
            events(.stepped(report))
            if completedSteps % settings.logInterval == 0 || completedSteps == settings.steps {
                try metrics.append([
                    "step": .integer(completedSteps), "loss": .number(report.loss), "accuracy": .number(report.accuracy),
                    "lr": .number(Double(report.learningRate)), "grad_norm": .number(Double(report.gradientNorm)),
                    "comparisons_per_second": .number(Double(report.comparisons) / report.seconds),
                ])
            }
            let isLast = completedSteps == settings.steps
            if !evaluationData.isEmpty, isLast || (settings.evaluationInterval > 0 && completedSteps % settings.evaluationInterval == 0) {
                let result = try Self.evaluate(rewardModel, evaluationData, settings: configuration.loss, batchSize: 4 * settings.batchSize)
                try metrics.append(Self.record(result, step: completedSteps))
                events(.evaluated(step: completedSteps, result))
                evaluation = result
            }
        }
        if let samples, configuration.normalizationSamples > 0 {
            try rewardModel.normalize(onSamples: samples.prompts, responses: samples.responses)
            try metrics.append(["step": .integer(completedSteps), "reward_gain": .number(Double(rewardModel.gain)), "reward_bias": .number(Double(rewardModel.bias))])
            events(.normalized(gain: rewardModel.gain, bias: rewardModel.bias))
        }
        try rewardModel.save(to: run.modelURL)
        return evaluation
    }

    /// One optimizer step on a batch of comparisons.
    func step(_ batch: [EncodedComparison], settings: OptimizationSettings) throws -> RewardStepReport {
        let start = Date()
        let parameters = rewardModel.network.parameters
        parameters.zeroGradients()
        let (sequences, rankings) = EncodedComparison.flatten(batch)
        let tape = Tape()
        let rewards = try rewardModel.rewards(sequences, tape: tape, normalized: false)
        let report = try PreferenceStep.apply(
            rewards: rewards, rankings: rankings, tape: tape, parameters: parameters, optimizer: optimizer,
            settings: settings, loss: configuration.loss, completed: completedSteps, started: start)
        completedSteps += 1
        return report
    }

    /// The held-out evaluation of `model` on comparisons, in raw reward units.
    public static func evaluate(
        _ model: RewardModel, _ comparisons: [Comparison], settings: PreferenceLossSettings, batchSize: Int = 64
    ) throws -> PreferenceEvaluation {
        try evaluate(model, EncodedComparison.encode(comparisons, model: model, annotatorWeights: [:]), settings: settings, batchSize: batchSize)
    }

    static func evaluate(_ model: RewardModel, _ data: [EncodedComparison], settings: PreferenceLossSettings, batchSize: Int) throws -> PreferenceEvaluation {
        let (sequences, rankings) = EncodedComparison.flatten(data)
        let scores = try model.scores(sequences: sequences, batchSize: batchSize, normalized: false)
        return PreferenceEvaluation(scores: scores.map(Double.init), rankings: rankings, settings: settings)
    }

    static func record(_ evaluation: PreferenceEvaluation, step: Int) -> [String: MetricValue] {
        [
            "step": .integer(step), "eval_loss": .number(evaluation.loss), "eval_accuracy": .number(evaluation.accuracy),
            "eval_mean_margin": .number(evaluation.meanMargin), "eval_ece": .number(evaluation.expectedCalibrationError),
            "eval_pairs": .integer(evaluation.pairs),
        ]
    }
}
