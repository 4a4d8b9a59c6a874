// Settings of iterated online RLHF (`rlhf iterate`): how many candidate tasks each round samples,
// how many labels it buys and how they are chosen, and each round's reward-model and PPO budget.
// The defaults suit the demo's quick-preset models (about two minutes a round on two cores).
import Feedback
import Finetuning
import PolicyOptimization
import PreferenceOptimization
import RewardModeling
import TrainingRuns

/// What moves the policy each round.
public enum RoundOptimizer: String, Codable, Sendable {
    /// PPO against the round's reward model.
    case ppo
    /// DPO on the round's own rankings; the reward model then only chooses the next round's tasks.
    case dpo
}

public struct OnlineRLHFConfiguration: Codable, Sendable, Equatable {
    /// Seeds the prompt choice, sampling, annotators and training. With the demo's seed and held-out
    /// fraction the held-out movies are the ones the demo's models never saw.
    public var seed: UInt64 = 0
    public var heldOutMovieFraction = 0.1
    public var openingWords = 3

    // MARK: Labels
    /// Comparison tasks sampled from the current policy each round; the selection policy decides
    /// which of them the labels go to.
    public var candidateTasks = 1600
    /// Samples of the current policy in each task.
    public var samplesPerTask = 4
    /// Also show one sample of the previous round's policy in each task (from round 2 on), so
    /// labels compare the policy with its predecessor as well as with itself.
    public var includePreviousPolicy = true
    /// Judgments bought each round (the label budget).
    public var judgmentsPerRound = 800
    /// How the queue orders tasks once a reward model exists (round 1 has no model, so uncertainty
    /// is unknown and only disagreement and the random share act).
    package var selection = TaskSelection(uncertaintyWeight: 1, disagreementWeight: 1, randomShare: 0.2)
    /// Simulated annotators: annotator i judges with human rater i's column of VADER's ratings.
    public var annotators = 10
    public var annotatorTemperature = 0.3
    public var annotatorTieMargin = 0.1
    /// Candidate samples' temperature and top-k (as the demo's feedback samples).
    public var samplingTemperature: Float = 0.7
    public var samplingTopK = 40

    // MARK: Training each round
    /// The reward model is retrained each round from the starting model's backbone on every label so far.
    public var reward: RewardTrainingConfiguration = {
        var c = RewardTrainingConfiguration()
        c.epochs = 3
        c.optimization.batchSize = 16
        c.optimization.learningRate = 3e-4
        c.optimization.minimumLearningRate = 3e-5
        c.normalizationSamples = 256
        return c
    }()
    /// What each round's KL penalty (PPO's) or reference policy (DPO's) is: the starting model (a
    /// leash that holds over every round), or the round's own starting policy (a trust region per
    /// round, so a later round is not pulled back towards what the earlier ones moved away from).
    public var leashToPreviousRound = true
    public var optimizer = RoundOptimizer.ppo
    /// DPO's settings when `optimizer` is `dpo`: the whole model is fine-tuned, as PPO does here,
    /// for about two passes over a round's pairs: 300 steps (five passes) ranked the rounds the
    /// same at three times the KL (docs/online-rlhf.md).
    public var dpo: PreferenceConfiguration = {
        var c = PreferenceConfiguration()
        c.optimization.steps = 100
        c.optimization.batchSize = 16
        c.optimization.learningRate = 5e-5
        c.optimization.minimumLearningRate = 5e-6
        c.optimization.evaluationInterval = 100
        c.optimization.checkpointInterval = 100
        return c
    }()
    /// PPO continues from the previous round's policy; `iterations` is per round.
    public var ppo: PPOConfiguration = {
        // The quick demo's PPO (the models the defaults suit), in shorter runs.
        var c = DemoConfiguration.quick.ppo
        c.iterations = 32
        c.checkpointInterval = 8
        return c
    }()

    // MARK: Evaluation
    /// Held-out prompts on which the population judge scores every round's policy.
    public var evaluationPrompts = 256
    /// Held-out prompts of the arena: one ranking task per prompt with one sample of every entrant.
    public var arenaPrompts = 128
    public var arenaJudgmentsPerTask = 3
    /// Bootstrap resamples behind the arena's intervals.
    public var arenaBootstrapRounds = 200

    public init() {}

    public func validate() throws {
        try validateSettings(under: "ppo") { try ppo.validate() }
        try validateSettings(under: "reward") { try reward.validate() }
        if optimizer == .dpo {
            try validateSettings(under: "dpo") { try dpo.validate() }
            if dpo.lora != nil { throw DemoConfigurationError("dpo.lora: the rounds fine-tune the whole model, as their PPO does; remove it") }
        }
        try DemoConfigurationError.check([
            (candidateTasks > 0, "candidateTasks", "a positive number"),
            (samplesPerTask >= 2, "samplesPerTask", "at least 2 (round 1 has no previous policy to add a second answer)"),
            (judgmentsPerRound > 0, "judgmentsPerRound", "a positive number"),
            (annotators > 0, "annotators", "a positive number"),
            ((0...1).contains(selection.randomShare), "selection.randomShare", "a share between 0 and 1"),
            (evaluationPrompts > 0, "evaluationPrompts", "a positive number"),
            (arenaPrompts > 0 && arenaJudgmentsPerTask > 0, "arenaPrompts", "positive numbers of prompts and judgments per task"),
            ((0..<1).contains(heldOutMovieFraction) && heldOutMovieFraction > 0, "heldOutMovieFraction", "a fraction in (0, 1)"),
        ])
    }
}
