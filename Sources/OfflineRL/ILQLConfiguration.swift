// The settings of an ILQL run, with trlX's names and defaults (ILQLConfig in
// trlx/models/modeling_ilql.py, default_ilql_config in trlx/data/default_configs.py), and how
// a trained ILQL policy decodes.
import Optimization
import TrainingRuns
import Transformer

public struct ILQLConfiguration: Codable, Sendable, Equatable {
    /// Expectile of the value regression on the target Q: 0.5 is the mean, → 1 the maximum.
    public var tau: Float = 0.7
    /// Discount per token.
    public var gamma: Float = 0.99
    /// Weight of the conservative (CQL) term: cross-entropy of the Q-values as logits.
    public var cqlScale: Float = 0.1
    /// Weight of the advantage-weighted (AWAC) language-model cross-entropy.
    public var awacScale: Float = 1
    /// Polyak rate of the target Q-heads: target ← α·Q + (1 − α)·target.
    public var alpha: Float = 0.001
    /// trlX's `beta` in the loss: the AWAC weight is exp(awacBeta·(Q̂ − V)); 0 weighs every
    /// token 1 (plain cross-entropy on the data).
    public var awacBeta: Float = 0
    /// Optimizer steps between target syncs (trlX's steps_for_target_q_sync).
    public var targetSyncInterval = 5
    /// Two Q-heads whose minimum is used (trlX's two_qs), or one.
    public var twoQs = true
    /// Hidden width of every head's MLP; 0 is trlX's 2 × the model's hidden size.
    public var headWidth = 0
    /// Seeds the heads' initialisation.
    public var headSeed: UInt64 = 0
    /// Seeds the initialisation and dropout of adapters, when the command attaches them.
    public var loraSeed: UInt64 = 0
    /// Responses longer than this lose tokens from the end (their end token included); prompts
    /// keep at most the context length minus this, from the end. 0: half the context.
    public var maximumResponseTokens = 0
    /// One prompt in this many (by a stable hash of the prompt text) is held out for the
    /// evaluation loss; 0 holds out nothing.
    public var heldOutPeriod = 20
    /// trlX's defaults: AdamW (0.9, 0.95) at a constant 5e-5, weight decay 1e-6.
    public var optimization: OptimizationSettings = {
        var settings = OptimizationSettings()
        settings.steps = 500
        settings.batchSize = 16
        settings.learningRate = 5e-5
        settings.minimumLearningRate = 5e-5
        settings.warmupSteps = 0
        settings.weightDecay = 1e-6
        settings.evaluationInterval = 100
        settings.checkpointInterval = 100
        return settings
    }()
    /// How the trained policy decodes by default (trlX's gen_kwargs).
    public var decoding = ILQLDecoding()

    public init() {}

    public var qHeadCount: Int { twoQs ? 2 : 1 }

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ expected: String) throws {
            if !ok { throw OptimizationError.invalidSetting(field: field, expected: expected) }
        }
        try check(tau > 0 && tau < 1, "tau", "a value in (0, 1)")
        try check(gamma >= 0 && gamma <= 1, "gamma", "a value in [0, 1]")
        try check(cqlScale >= 0 && cqlScale.isFinite, "cqlScale", "a finite value ≥ 0")
        try check(awacScale >= 0 && awacScale.isFinite, "awacScale", "a finite value ≥ 0")
        try check(alpha > 0 && alpha <= 1, "alpha", "a value in (0, 1]")
        try check(awacBeta.isFinite, "awacBeta", "a finite value")
        try check(targetSyncInterval > 0, "targetSyncInterval", "> 0")
        try check(headWidth >= 0, "headWidth", "≥ 0")
        try check(maximumResponseTokens >= 0, "maximumResponseTokens", "≥ 0")
        try check(heldOutPeriod >= 0, "heldOutPeriod", "≥ 0")
        try validateSettings(under: "optimization") { try optimization.validate() }
        try decoding.validate()
    }
}

/// Sampling from an ILQL policy: softmax((logits + β·(min target Q − V)) / temperature) over
/// the top k, as trlX's AutoModelForCausalLMWithILQLHeads.generate.
public struct ILQLDecoding: Codable, Sendable, Equatable {
    /// Weight of the advantages; 0 samples the language model alone.
    public var beta: Float = 1
    public var temperature: Float = 1
    /// Keep only the k most likely tokens; 0 keeps all.
    public var topK = 20
    public var maxNewTokens = 56

    public init(beta: Float = 1, temperature: Float = 1, topK: Int = 20, maxNewTokens: Int = 56) {
        self.beta = beta
        self.temperature = temperature
        self.topK = topK
        self.maxNewTokens = maxNewTokens
    }

    public func validate() throws {
        guard beta.isFinite else { throw OptimizationError.invalidSetting(field: "decoding.beta", expected: "a finite value") }
        try sampling(stopTokens: []).validate()
    }

    func sampling(stopTokens: [Int32]) -> SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, maxNewTokens: maxNewTokens, stopTokens: stopTokens)
    }
}
