// The settings every language-model training run shares: length, batch, optimizer, schedule,
// and how often to evaluate and checkpoint.
import Optimization

public struct OptimizationSettings: Codable, Sendable, Equatable {
    /// Optimizer steps in the whole run.
    public var steps = 1000
    /// Rows per micro-batch.
    public var batchSize = 16
    /// Micro-batches whose gradients are summed before each optimizer step.
    public var gradientAccumulation = 1
    /// Peak learning rate, reached after the warmup.
    public var learningRate: Float = 3e-4
    /// The rate the cosine decays to at the last step.
    public var minimumLearningRate: Float = 3e-5
    /// Steps of linear warmup.
    public var warmupSteps = 100
    /// AdamW's decoupled weight decay, for matrices only.
    public var weightDecay: Float = 0.1
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    /// Global gradient-norm limit; 0 disables clipping.
    public var gradientClip: Float = 1
    /// Steps between held-out evaluations; 0 evaluates only at the end.
    public var evaluationInterval = 100
    /// Held-out batches per evaluation.
    public var evaluationBatches = 8
    /// Steps between checkpoints; 0 checkpoints only at the end.
    public var checkpointInterval = 500
    /// Checkpoints kept in the run folder (older ones are deleted).
    public var checkpointsKept = 2
    /// Steps between metrics lines.
    public var logInterval = 10
    /// Seeds data order and sampling.
    public var seed: UInt64 = 0

    public init() {}

    /// Rows in a batch, batches accumulated or evaluated, at most.
    public static let largestCount = 1 << 20

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ expected: String) throws {
            if !ok { throw OptimizationError.invalidSetting(field: field, expected: expected) }
        }
        // The upper bounds keep a mistyped size from overflowing a row count or an allocation.
        try check(steps > 0, "steps", "> 0")
        try check((1...Self.largestCount).contains(batchSize), "batchSize", "between 1 and \(Self.largestCount)")
        try check((1...Self.largestCount).contains(gradientAccumulation), "gradientAccumulation", "between 1 and \(Self.largestCount)")
        try check(learningRate > 0 && learningRate.isFinite, "learningRate", "a finite value > 0")
        try check(minimumLearningRate >= 0 && minimumLearningRate <= learningRate, "minimumLearningRate", "between 0 and learningRate")
        try check(warmupSteps >= 0, "warmupSteps", "≥ 0")
        try check(gradientClip >= 0, "gradientClip", "≥ 0")
        try check(evaluationInterval >= 0, "evaluationInterval", "≥ 0")
        try check((0...Self.largestCount).contains(evaluationBatches), "evaluationBatches", "between 0 and \(Self.largestCount)")
        try check(checkpointInterval >= 0, "checkpointInterval", "≥ 0")
        try check(checkpointsKept > 0, "checkpointsKept", "> 0")
        try check(logInterval > 0, "logInterval", "> 0")
        try optimizer.validate()
    }

    public var optimizer: AdamWConfiguration {
        AdamWConfiguration(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: 1e-8, weightDecay: weightDecay)
    }

    public var schedule: LearningRateSchedule {
        LearningRateSchedule(peak: learningRate, warmupSteps: warmupSteps, totalSteps: steps, minimum: minimumLearningRate)
    }
}
