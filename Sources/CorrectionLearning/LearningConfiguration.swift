// The run configuration of `rlhf learn`: the adapters, and the two stages (SFT on the corrections,
// then DPO on the pairs) each with its optimisation settings and a floor in passes over the data.
import PreferenceOptimization
import TrainingRuns
import Transformer

/// One training stage: its settings, and how many passes over the data it makes at least.
public struct LearningStage: Codable, Sendable, Equatable {
    /// Steps, rate and schedule; `batchSize` is capped at the number of examples (one correction
    /// is one row, not a batch of copies), and `steps` is a floor that `minimumEpochs` may raise.
    public var optimization: OptimizationSettings
    /// Passes over the examples at least: as corrections accumulate, the stage grows with them.
    public var minimumEpochs: Double
    /// The most steps `minimumEpochs` may raise the stage to (nil: no limit). Every round learns
    /// from the whole history, and a server learns while it answers, so a round's length must
    /// not grow with it for ever, nor with one user's many corrections of one conversation.
    public var maximumSteps: Int?

    public init(optimization: OptimizationSettings, minimumEpochs: Double, maximumSteps: Int? = nil) {
        self.optimization = optimization
        self.minimumEpochs = minimumEpochs
        self.maximumSteps = maximumSteps
    }

    /// The settings for `count` examples.
    public func settings(examples count: Int) -> OptimizationSettings {
        var settings = optimization
        settings.batchSize = max(1, min(settings.batchSize, count))
        let epochSteps = (minimumEpochs * Double(count) / Double(settings.batchSize)).rounded(.up)
        settings.steps = max(settings.steps, min(Int(epochSteps), maximumSteps ?? Int.max))
        return settings
    }

    /// A short run with no held-out evaluation and one final checkpoint.
    static func quick(steps: Int, batchSize: Int, learningRate: Float) -> LearningStage {
        var settings = OptimizationSettings()
        (settings.steps, settings.batchSize, settings.learningRate, settings.minimumLearningRate) = (steps, batchSize, learningRate, learningRate / 10)
        (settings.warmupSteps, settings.weightDecay, settings.evaluationInterval, settings.checkpointInterval) = (0, 0, 0, 0)
        (settings.checkpointsKept, settings.logInterval) = (1, 1)
        return LearningStage(optimization: settings, minimumEpochs: 3, maximumSteps: 300)
    }
}

public struct LearningConfiguration: Codable, Sendable, Equatable {
    /// Fresh adapters when no starting adapter is given; nil: rank 8, alpha 16 on every linear
    /// layer of the model's family.
    public var lora: LoRAConfiguration?
    /// Seed of the adapters' initialisation and of both stages' data order.
    public var seed: UInt64 = 0
    /// Supervised fine-tuning on the corrections (loss on the answers only).
    public var sft = LearningStage.quick(steps: 10, batchSize: 8, learningRate: 1e-3)
    /// DPO on the pairs, against the model as SFT left it.
    public var dpo = LearningStage.quick(steps: 8, batchSize: 8, learningRate: 1e-5)
    /// The DPO loss (β, sigmoid or IPO, label smoothing).
    public var dpoLoss = DPOLossSettings()
    /// Prompt tokens DPO keeps (the last ones); nil keeps half the context.
    public var maximumPromptLength: Int?
    /// Corrected conversations whose greedy answer is checked after training (the first ones).
    public var checkedCorrections = 16
    /// Prompts unrelated to the corrections, on which the round reports its drift: the mean
    /// KL(learned ‖ start) per token along the starting model's greedy answers.
    public var heldOutPrompts = [
        "What is the capital of France?", "Name three colors.", "Write one sentence about the sea.", "How many legs does a spider have?",
    ]
    /// Longest greedy answer to a held-out prompt, in tokens.
    public var heldOutAnswerTokens = 32

    public init() {}

    public func validate() throws {
        try validateSettings(under: "sft.optimization") { try sft.optimization.validate() }
        try validateSettings(under: "dpo.optimization") { try dpo.optimization.validate() }
        try validateSettings(under: "dpoLoss") { try dpoLoss.validate() }
        try lora?.validate(source: "learn configuration")
        for (name, stage) in [("sft", sft), ("dpo", dpo)] where !(stage.minimumEpochs >= 0 && stage.minimumEpochs.isFinite) {
            throw LearningError.invalidSetting(field: "\(name).minimumEpochs", expected: "a finite value ≥ 0")
        }
        for (name, stage) in [("sft", sft), ("dpo", dpo)] where (stage.maximumSteps ?? 1) < 1 {
            throw LearningError.invalidSetting(field: "\(name).maximumSteps", expected: "≥ 1, or absent for no limit")
        }
        guard checkedCorrections >= 0 else { throw LearningError.invalidSetting(field: "checkedCorrections", expected: "≥ 0") }
        guard heldOutAnswerTokens > 0 else { throw LearningError.invalidSetting(field: "heldOutAnswerTokens", expected: "> 0") }
    }
}

public enum LearningError: Error, Equatable, CustomStringConvertible {
    case invalidSetting(field: String, expected: String)
    /// The store holds no correction to learn from.
    case nothingToLearn(source: String)

    public var description: String {
        switch self {
        case let .invalidSetting(field, expected): "learn configuration: \(field) must be \(expected)"
        case let .nothingToLearn(source): "\(source) holds no corrections of model answers to learn from: correct an answer in the chat first"
        }
    }
}

extension LearningError: SettingError {
    public func nested(under prefix: String) -> LearningError {
        guard case let .invalidSetting(field, expected) = self else { return self }
        return .invalidSetting(field: "\(prefix).\(field)", expected: expected)
    }
}
