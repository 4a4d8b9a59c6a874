// Every setting of an RLHF policy-optimisation run, with the defaults the demo uses.
import Optimization
import TrainingRuns
import Transformer

public enum PolicyAlgorithm: String, Codable, Sendable {
    /// Several epochs over minibatches with the clipped surrogate and clipped value loss.
    case ppo
    /// Synchronous advantage actor-critic: one pass over each batch, no ratio, no clipping.
    case a2c
}

public enum ValueModelKind: String, Codable, Sendable {
    /// A separate network initialised from the reward model (InstructGPT, TRL): the value starts
    /// out predicting the kind of number it must predict, and its loss cannot disturb the policy.
    case separate
    /// A scalar head on the policy's own backbone: half the compute, shared representations.
    case policyHead
}

public struct PPOConfiguration: Codable, Sendable, Equatable {
    // MARK: Rollouts
    /// Optimisation iterations (each: rollouts, scoring, advantages, updates).
    public var iterations = 60
    /// Prompts (episodes) sampled per iteration.
    public var batchSize = 64
    /// New tokens per response at most.
    public var responseLength = 24
    /// Sampling temperature; log-probabilities use the same temperature.
    public var temperature: Float = 0.7
    /// Rollouts sample from the `topK` likeliest tokens; 0 samples the whole vocabulary.
    /// Log-probabilities, and so the ratio and the KL, are still the full softmax's, as TRL takes
    /// them under its generation settings. A policy judged on top-k samples trains on the answers
    /// it will be judged by, and its KL penalty reads the KL that evaluation measures: a sharpened
    /// policy's top-k keeps the tokens it prefers most over the reference. (On the SmolLM2 demo
    /// the policy then moved further in the same iterations; docs/rlhf.md has the run.)
    public var topK = 0
    /// Subtracted from the score of a response that never produced <|endoftext|>; 0 disables.
    public var missingEndPenalty: Double = 0
    /// Penalises responses far from the starting length; nil disables.
    public var lengthGuard: LengthGuard?

    // MARK: Rewards
    /// β, the KL coefficient (initial value when adaptive).
    public var klCoefficient: Double = 0.05
    /// Adapt β towards `klTarget` nats per response (lm-human-preferences); otherwise fixed.
    public var adaptiveKL = false
    public var klTarget: Double = 4
    public var klHorizon: Double = 10_000
    public var klEstimator: KLEstimator = .k1
    /// The reward model's scores are clipped to [−c, c] before the penalties; 0 disables.
    public var scoreClip: Double = 0
    /// Whiten the per-token rewards (without shifting their mean) before GAE.
    public var whitenRewards = false

    // MARK: Advantages
    public var gamma: Double = 1
    public var lambda: Double = 0.95

    // MARK: Optimisation
    public var algorithm: PolicyAlgorithm = .ppo
    public var valueModel: ValueModelKind = .separate
    /// Passes over each batch (PPO only; A2C makes one).
    public var epochs = 4
    /// Minibatches per epoch (PPO only).
    public var minibatches = 4
    public var learningRate: Float = 5e-5
    /// The value model's learning rate (separate value model).
    public var valueLearningRate: Float = 1e-4
    /// Anneal both learning rates linearly over the run, as CleanRL's `anneal_lr` and TRL's linear
    /// schedule do: the full rates in the first iteration, down by equal steps to rate / iterations
    /// in the last. (On the SmolLM2 demo it did not keep the late KL down; the README has the run.)
    public var annealLearningRate = false
    /// ε of the clipped surrogate.
    public var clipRange: Float = 0.2
    /// Clip of the value change; 0 uses the unclipped squared error.
    public var valueClipRange: Float = 0.2
    public var valueCoefficient: Float = 0.1
    /// Entropy bonus; 0 disables.
    public var entropyCoefficient: Float = 0
    public var maxGradientNorm: Float = 1
    /// Stop an iteration's remaining epochs once the approximate KL of an epoch exceeds this; 0 never stops.
    public var targetApproximateKL: Double = 0
    /// PPO-ptx: weight of a language-model loss on pretraining text; 0 disables.
    public var pretrainingCoefficient: Float = 0
    /// Pretraining rows per minibatch for PPO-ptx.
    public var pretrainingBatchSize = 8

    // MARK: Run
    public var seed: UInt64 = 0
    /// Iterations between checkpoints; 0 checkpoints at the end only.
    public var checkpointInterval = 20
    /// Samples written to samples.jsonl each iteration.
    public var loggedSamples = 3
    /// Watches for the reward rising while the hidden judge or fluency falls (off, warn or stop).
    public var overoptimizationGuard = OveroptimizationGuard.Configuration()

    public init() {}

    public var minibatchSize: Int { algorithm == .a2c ? batchSize : batchSize / minibatches }

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ expected: String) throws {
            if !ok { throw OptimizationError.invalidSetting(field: field, expected: expected) }
        }
        // Counts are bounded above too: a mistyped size is an error here rather than an
        // allocation the machine cannot make at the first rollout.
        let largest = OptimizationSettings.largestCount
        try check((1...largest).contains(iterations), "iterations", "between 1 and \(largest)")
        try check((1...largest).contains(batchSize), "batchSize", "between 1 and \(largest)")
        try check((1...largest).contains(responseLength), "responseLength", "between 1 and \(largest)")
        try check(temperature > 0, "temperature", "> 0 (log-probabilities are taken at this temperature)")
        try check(topK >= 0, "topK", "≥ 0 (0 samples the whole vocabulary)")
        try check(klCoefficient >= 0 && klTarget > 0 && klHorizon > 0, "klCoefficient", "≥ 0 with a positive target and horizon")
        // The controller multiplies β by 1 ± 0.2 · batchSize / horizon: from 0 it never moves, and
        // a horizon under a fifth of the batch would make β negative, a bonus for drifting away.
        try check(!adaptiveKL || klCoefficient > 0, "klCoefficient", "> 0 with adaptiveKL (the controller scales it)")
        try check(!adaptiveKL || klHorizon > 0.2 * Double(batchSize), "klHorizon", "> 0.2 × batchSize (\(batchSize)) with adaptiveKL, so β stays positive")
        try check(gamma > 0 && gamma <= 1 && lambda >= 0 && lambda <= 1, "gamma", "in (0, 1] with lambda in [0, 1]")
        try check((1...largest).contains(epochs), "epochs", "between 1 and \(largest)")
        try check(minibatches > 0 && batchSize % minibatches == 0, "minibatches", "> 0 and dividing batchSize (\(batchSize))")
        try check(learningRate > 0 && valueLearningRate > 0, "learningRate", "> 0")
        try check(clipRange > 0 && valueClipRange >= 0, "clipRange", "> 0 (valueClipRange ≥ 0)")
        try check(maxGradientNorm >= 0, "maxGradientNorm", "≥ 0")
        try check(pretrainingCoefficient >= 0 && (1...largest).contains(pretrainingBatchSize), "pretrainingCoefficient", "≥ 0 with pretrainingBatchSize between 1 and \(largest)")
        try check(checkpointInterval >= 0 && loggedSamples >= 0, "checkpointInterval", "≥ 0")
        try overoptimizationGuard.validate()
        try lengthGuard?.validate()
    }
}

extension PPOConfiguration {
    /// The sampler the rollouts draw with (stopping at the policy's stop tokens). The demos draw
    /// the reward model's normalisation samples and their evaluation with it too, so both read
    /// answers of the kind PPO trains on.
    public var sampling: SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, maxNewTokens: responseLength)
    }
}
