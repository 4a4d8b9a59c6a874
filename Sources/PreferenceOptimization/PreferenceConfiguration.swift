// The run configuration of `rlhf dpo`: the shared optimisation settings, the loss, the held-out
// share, truncation, and the adapters to train instead of the whole model.
import Transformer
import TrainingRuns

public struct PreferenceConfiguration: Codable, Sendable, Equatable {
    public var optimization: OptimizationSettings = {
        var settings = OptimizationSettings()
        settings.steps = 200
        settings.batchSize = 8
        settings.learningRate = 5e-5
        settings.minimumLearningRate = 5e-6
        settings.warmupSteps = 10
        settings.weightDecay = 0
        settings.evaluationInterval = 50
        settings.checkpointInterval = 50
        return settings
    }()
    public var dpo = DPOLossSettings()
    /// One pair in this many (chosen by prompt, so a prompt is never on both sides) is held out.
    public var heldOutPeriod = 20
    /// Prompt tokens kept (the last ones); nil keeps half the context, the rest being the answers'.
    public var maximumPromptLength: Int?
    /// Low-rank adapters to train instead of the whole model (nil: full fine-tuning).
    public var lora: LoRAConfiguration?
    /// Seed of the adapters' initialisation and dropout.
    public var loraSeed: UInt64 = 0

    public init() {}

    public func validate() throws {
        try validateSettings(under: "optimization") { try optimization.validate() }
        try validateSettings(under: "dpo") { try dpo.validate() }
        guard heldOutPeriod >= 0 else { throw PreferenceOptimizationError.invalidSetting(field: "heldOutPeriod", expected: "≥ 0") }
    }
}
