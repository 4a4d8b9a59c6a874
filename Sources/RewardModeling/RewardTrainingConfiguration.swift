// The configuration of a reward-model run (`rlhf reward train --config`).
import Foundation
import TrainingRuns

public struct RewardTrainingConfiguration: Codable, Sendable, Equatable {
    /// Optimizer, schedule and logging. `steps` is derived from `epochs` (each step takes
    /// `batchSize` comparisons); checkpointing fields are unused: reward runs are short and
    /// restart rather than resume.
    public var optimization: OptimizationSettings = {
        var settings = OptimizationSettings()
        settings.batchSize = 16
        settings.learningRate = 2e-4
        settings.minimumLearningRate = 2e-5
        settings.warmupSteps = 20
        settings.weightDecay = 0
        settings.evaluationInterval = 100
        settings.logInterval = 10
        return settings
    }()
    /// Passes over the training comparisons.
    public var epochs = 1
    public var loss = PreferenceLossSettings()
    /// One prompt (or group) in this many is held out when no held-out set is given.
    public var heldOutPeriod = 10
    /// Loss weight per annotator name (1 for names not listed).
    public var annotatorWeights: [String: Float] = [:]
    /// Parameter-name prefixes of a fine-tuned backbone kept fixed during training (e.g. "wte",
    /// "wpe", "h.0."): fewer trainable weights overfit a small comparison set less.
    public var frozenParameters: [String] = []
    /// Seeds the new scalar head (of a fine-tuned model when it is made; of a frozen-backbone
    /// model at every training run).
    public var headSeed: UInt64 = 0
    /// Reference-policy samples the rewards are normalised on (0: no normalisation; without a
    /// policy, the training responses are the samples).
    public var normalizationSamples = 512
    /// Longest sampled response, in tokens, for normalisation.
    public var normalizationResponseTokens = 48

    public init() {}

    public func validate() throws {
        try validateSettings(under: "optimization") { try optimization.validate() }
        try validateSettings(under: "loss") { try loss.validate() }
        guard epochs > 0 else { throw RewardTrainingError.invalidSetting(field: "epochs", expected: "> 0") }
        guard heldOutPeriod >= 0 else { throw RewardTrainingError.invalidSetting(field: "heldOutPeriod", expected: "≥ 0") }
        if let bad = annotatorWeights.first(where: { !($0.value >= 0 && $0.value.isFinite) }) {
            throw RewardTrainingError.invalidSetting(field: "annotatorWeights.\(bad.key)", expected: "a finite value ≥ 0")
        }
        guard normalizationSamples >= 0, normalizationResponseTokens > 0 else {
            throw RewardTrainingError.invalidSetting(field: "normalizationSamples", expected: "≥ 0, with normalizationResponseTokens > 0")
        }
    }

    /// Optimizer steps for `count` training comparisons.
    public func steps(forComparisons count: Int) -> Int {
        max(1, epochs * ((count + optimization.batchSize - 1) / optimization.batchSize))
    }
}
