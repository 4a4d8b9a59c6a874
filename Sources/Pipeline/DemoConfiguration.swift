// The end-to-end demo's settings: every stage's size, with the standard preset (about 13
// minutes on two cores) and a quick one for CI (about 3 minutes).
import Finetuning
import PolicyOptimization
import RewardModeling
import TrainingRuns

public struct DemoConfiguration: Codable, Sendable, Equatable {
    /// Seeds the data split, tokenizer-independent choices, sampling and annotators.
    public var seed: UInt64 = 0
    public var vocabularySize = 4096
    public var model = ModelShape()
    public var pretrainSteps = 500
    public var supervisedSteps = 600
    /// Words of a critic's snippet given as the prompt; the model writes the rest.
    public var openingWords = 3
    public var heldOutMovieFraction = 0.1

    // MARK: Feedback
    /// Prompts whose samples the simulated annotators rank.
    public var feedbackPrompts = 3000
    /// SFT samples per prompt in each ranking task.
    public var samplesPerPrompt = 4
    /// The feedback samples' temperature and top-k: SFT text at temperature 1 is too garbled for
    /// any judge to tell much apart.
    public var samplingTemperature: Float = 0.7
    public var samplingTopK = 40
    public var responseLength = 24
    /// Simulated annotators; annotator i judges with human rater i's column of VADER's ratings.
    public var annotators = 10
    /// Annotator noise in judge-score units (Bradley-Terry temperature).
    public var annotatorTemperature = 0.3
    /// Answers whose hidden scores differ by less than this are ranked as ties (as people say
    /// "equally good" rather than flip a coin between two neutral answers).
    public var annotatorTieMargin = 0.1

    // MARK: Reward model
    public var rewardEpochs = 3
    public var rewardBatchSize = 16
    public var rewardLearningRate: Float = 3e-4

    // MARK: Policy optimisation
    public var ppo: PPOConfiguration = {
        var c = PPOConfiguration()
        c.iterations = 60
        c.batchSize = 64
        c.minibatches = 4
        c.epochs = 2
        c.responseLength = 24
        c.temperature = 0.7
        c.learningRate = 5e-5
        c.valueLearningRate = 1e-4
        // Scores clipped at 2 (the SFT policy's normalised scores have mean 0 and standard
        // deviation 1) with a fixed β: no answer can score more than the clip, so more KL stops
        // paying and KL levels off (near 4 nats from the 20th iteration on) instead of depending
        // on when training stops. The adaptive controller (lm-human-preferences' horizon of
        // 10,000 episodes) could move β by at most 8% in this run's 3,840 episodes.
        c.klCoefficient = 0.15
        c.adaptiveKL = false
        c.scoreClip = 2
        c.checkpointInterval = 20
        return c
    }()
    /// One PPO run per seed; the outcome is reported for each.
    public var ppoSeeds: [UInt64] = [0, 1, 2]

    // MARK: Evaluation
    /// Held-out prompts (from movies never trained on) for the win rate.
    public var evaluationPrompts = 400
    /// Held-out prompts for the pretrained/SFT/PPO leaderboard judged by the simulated annotators.
    public var leaderboardPrompts = 80
    /// Best-of-N with the reward model: candidates per prompt, on the first this many evaluation
    /// prompts; the over-optimisation chart also shows n = 1, 2, 4, … up to `bestOfN`.
    public var bestOfN = 16
    public var bestOfNPrompts = 128
    /// The second hidden judge (a head on frozen SmolLM2 learned from real critics' fresh ≻
    /// rotten verdicts, as in the SmolLM2 demo): training movies' snippets it learns from, and
    /// held-out movies' snippets its ROC AUC is measured on.
    public var criticSnippets = 2000
    public var criticEvaluationSnippets = 500
    public var critic: RewardTrainingConfiguration = SmolLM2DemoConfiguration.headTraining(epochs: 8, batchSize: 64)

    public init() {}

    public static let standard = DemoConfiguration()

    /// About three minutes: the whole pipeline at a small scale, one PPO seed; for CI and a first
    /// look. Its reward model is too weak to capture sentiment, so PPO mostly learns what the
    /// reward model does see (longer answers): the goals are for the standard preset.
    public static let quick: DemoConfiguration = {
        var c = DemoConfiguration()
        c.vocabularySize = 2048
        c.model.width = 128
        c.model.layers = 4
        c.model.heads = 4
        c.model.contextLength = 64
        c.pretrainSteps = 500
        c.supervisedSteps = 400
        c.feedbackPrompts = 2000
        c.rewardEpochs = 3
        c.responseLength = 16
        c.ppo.iterations = 64
        c.ppo.learningRate = 1e-4
        c.ppo.responseLength = 16
        c.ppoSeeds = [0]
        c.evaluationPrompts = 128
        c.leaderboardPrompts = 24
        c.bestOfNPrompts = 64
        c.criticSnippets = 300
        c.criticEvaluationSnippets = 100
        c.critic.epochs = 2
        return c
    }()

    public func validate() throws {
        try validateSettings(under: "ppo") { try ppo.validate() }
        try validateSettings(under: "critic") { try critic.validate() }
        try DemoConfigurationError.check(DemoConfigurationError.sizeChecks(
            ppoSeeds: ppoSeeds, samplesPerPrompt: samplesPerPrompt, annotators: annotators, feedbackPrompts: feedbackPrompts,
            evaluationPrompts: evaluationPrompts, bestOfN: bestOfN, bestOfNPrompts: bestOfNPrompts, criticSnippets: criticSnippets)
            + [(criticEvaluationSnippets > 0, "criticEvaluationSnippets", "a positive number")])
        guard responseLength + 16 <= model.contextLength else {
            throw DemoConfigurationError("responseLength \(responseLength) leaves no room for prompts in a context of \(model.contextLength)")
        }
    }
}

/// A configuration problem stated in words.
public struct DemoConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// The sizes both demos' configurations share.
    static func sizeChecks(
        ppoSeeds: [UInt64], samplesPerPrompt: Int, annotators: Int, feedbackPrompts: Int, evaluationPrompts: Int, bestOfN: Int, bestOfNPrompts: Int,
        criticSnippets: Int
    ) -> [(passed: Bool, field: String, expected: String)] {
        [
            (!ppoSeeds.isEmpty, "ppoSeeds", "at least one seed"),
            (samplesPerPrompt >= 2, "samplesPerPrompt", "at least 2 (annotators rank a prompt's samples)"),
            (annotators > 0, "annotators", "a positive number"),
            (feedbackPrompts > 0, "feedbackPrompts", "a positive number"),
            (evaluationPrompts > 0, "evaluationPrompts", "a positive number"),
            (bestOfN > 0, "bestOfN", "a positive number"),
            (bestOfNPrompts > 0, "bestOfNPrompts", "a positive number"),
            (criticSnippets > 1, "criticSnippets", "at least 2"),
        ]
    }

    /// Throws for the first check that fails, naming its field and what it needs.
    static func check(_ checks: [(passed: Bool, field: String, expected: String)]) throws {
        if let failed = checks.first(where: { !$0.passed }) {
            throw DemoConfigurationError("\(failed.field): expected \(failed.expected)")
        }
    }
}
