// One RLHF iteration as named phases: collect rollouts → score → rewards with the KL penalty →
// advantages → optimise → metrics; and the loop around it with checkpoints and resume.
// Data-parallel ranks each collect the same rollouts (sampling as one process samples), then
// split every minibatch's rows and sum their gradients; the root rank alone writes the run folder.
import DataParallel
import Foundation
import LanguageModelData
import Optimization
import Randomness
import Reporting
import RewardModeling
import Tensors
import TrainingRuns
import Transformer

public enum PPOEvent: Sendable {
    case started(firstIteration: Int, iterations: Int)
    case iterated(IterationReport)
    /// The reward rose while the hidden judge or fluency fell (the guard's finding names them).
    case overoptimizing(OveroptimizationGuard.Finding, stopping: Bool)
    case checkpointed(iteration: Int, folder: URL)
}

public struct IterationReport: Sendable {
    public let iteration: Int
    /// TRL's metric names: objective/kl, objective/scores, policy/clipfrac_avg, ...
    public let metrics: [String: Double]
    public let samples: [Sample]
    public let times: PhaseTimes
    /// What the over-optimisation guard made of the run so far.
    public let overoptimization: OveroptimizationGuard.Decision

    public struct Sample: Sendable, Codable {
        public let prompt: String
        public let response: String
        public let score: Double
    }
}

public final class PPOTrainer {
    public let models: PolicyModels
    public let scorer: any ResponseScorer
    /// The scorer's reward model when its frozen backbone is the policy's base: read in the
    /// reference pass rather than by a pass of its own.
    let rewardOnBase: RewardModel?
    public var readsRewardInReferencePass: Bool { rewardOnBase != nil }
    /// A judge the training never sees, scored on every rollout for the metrics only
    /// (`eval/judge_score`): how the true objective moves while the reward model's score rises.
    public let monitor: (any ResponseScorer)?
    public let configuration: PPOConfiguration
    public let run: RunFolder
    public let communicator: Communicator
    let prompts: [[Int32]]
    var pretraining: PretrainingData?
    let policyOptimizer: AdamW
    /// One per store the value loss trains (the head, and a separate value network's weights).
    let valueOptimizers: [AdamW]
    public internal(set) var klController: KLController
    public internal(set) var overoptimizationGuard: OveroptimizationGuard
    public internal(set) var completedIterations = 0
    /// The length guard's anchor, fixed on the first iteration unless configured.
    public internal(set) var lengthAnchor: Double?
    var generator: RandomGenerator
    var promptOrder: [Int]
    var promptCursor = 0
    /// Nil on the ranks that do not write the run folder.
    var metrics: MetricsLog?
    var samplesLog: MetricsLog?

    /// - Parameters:
    ///   - prompts: the training prompts (token ids), visited in shuffled passes.
    ///   - pretraining: text for PPO-ptx, required when `pretrainingCoefficient` > 0.
    ///   - communicator: the data-parallel ranks; the root's starting weights are copied to the others.
    public init(
        models: PolicyModels, scorer: any ResponseScorer, prompts: [[Int32]], configuration: PPOConfiguration,
        run: RunFolder, pretraining: PretrainingData? = nil, monitor: (any ResponseScorer)? = nil, communicator: Communicator = .single
    ) throws {
        try configuration.validate()
        guard !prompts.isEmpty, prompts.allSatisfy({ !$0.isEmpty }) else {
            throw OptimizationError.invalidSetting(field: "prompts", expected: "at least one non-empty prompt")
        }
        guard configuration.pretrainingCoefficient == 0 || pretraining != nil else {
            throw OptimizationError.invalidSetting(field: "pretrainingCoefficient", expected: "0, or pretraining text to mix in (PPO-ptx)")
        }
        guard configuration.minibatchSize >= communicator.size else {
            throw DataParallelError.unsplittable(reason: "a minibatch of \(configuration.minibatchSize) rollouts cannot be shared by \(communicator.size) ranks")
        }
        guard configuration.pretrainingCoefficient == 0 || configuration.pretrainingBatchSize >= communicator.size else {
            throw DataParallelError.unsplittable(
                reason: "a PPO-ptx batch of \(configuration.pretrainingBatchSize) windows cannot be shared by \(communicator.size) ranks")
        }
        self.models = models
        self.scorer = scorer
        rewardOnBase = (scorer as? RewardScorer).map(\.model).flatMap { models.referenceSharesBase && $0.sharesBackbone(with: models.policy) ? $0 : nil }
        self.monitor = monitor
        self.configuration = configuration
        self.run = run
        self.communicator = communicator
        self.prompts = prompts
        self.pretraining = pretraining
        var adam = AdamWConfiguration(learningRate: configuration.learningRate, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0)
        policyOptimizer = try AdamW(parameters: models.policyParameters, configuration: adam)
        adam.learningRate = configuration.valueLearningRate
        valueOptimizers = try models.value.trainableStores.map { try AdamW(parameters: $0, configuration: adam) }
        klController = KLController(
            coefficient: configuration.klCoefficient, target: configuration.adaptiveKL ? configuration.klTarget : nil,
            horizon: configuration.klHorizon)
        overoptimizationGuard = try OveroptimizationGuard(configuration: configuration.overoptimizationGuard)
        generator = RandomGenerator(seed: configuration.seed)
        promptOrder = generator.permutation(prompts.count)
        for optimizer in [policyOptimizer] + valueOptimizers { try communicator.broadcast(optimizer.parameters.allValues) }
        if communicator.isRoot {
            try run.prepare()
            metrics = try MetricsLog(url: run.metricsURL)
            samplesLog = try MetricsLog(url: run.url.appendingPathComponent("samples.jsonl"))
        }
    }

    /// Runs iterations until `configuration.iterations` (or `pause`), checkpointing on the way,
    /// and saves the final policy in the run folder's model/. A guard set to stop ends the run
    /// early, checkpointed, with the policy of that iteration saved.
    public func train(pausingAfter pause: Int? = nil, events: (PPOEvent) -> Void = { _ in }) throws {
        events(.started(firstIteration: completedIterations, iterations: configuration.iterations))
        while completedIterations < configuration.iterations {
            if let pause, completedIterations >= pause { return }
            let report = try iterate()
            events(.iterated(report))
            var stopping = false
            switch report.overoptimization {
            case .proceed: break
            case let .warn(finding): events(.overoptimizing(finding, stopping: false))
            case let .stop(finding):
                events(.overoptimizing(finding, stopping: true))
                stopping = true
            }
            let interval = configuration.checkpointInterval
            let checkpointing = stopping || completedIterations == configuration.iterations || (interval > 0 && completedIterations % interval == 0)
            if checkpointing && communicator.isRoot {
                events(.checkpointed(iteration: completedIterations, folder: try checkpoint()))
            }
            if stopping { break }
        }
        if communicator.isRoot { try run.writeModel { try models.policy.saveTrained(to: $0) } }
    }

    /// One iteration: every phase, timed, then metrics and samples logged.
    public func iterate() throws -> IterationReport {
        var times = PhaseTimes()
        var rollouts = try models.collectRollouts(
            prompts: nextPrompts(), configuration: configuration, generator: &generator, times: &times, communicator: communicator,
            reward: rewardOnBase)
        var clock = PhaseClock()
        rollouts.scores = try score(rollouts)
        times.scoring = clock.lap()
        let shaped = shapeRewards(rollouts)
        let (advantages, returns) = RLHFMath.advantages(
            rewards: shaped.rewards, values: rollouts.values, mask: rollouts.mask, gamma: configuration.gamma, lambda: configuration.lambda)
        let optimization = try optimize(rollouts, advantages: advantages, returns: returns)
        times.optimization = clock.lap()
        let meanKL = shaped.kl.rowSums.reduce(0, +) / Double(rollouts.count)
        let coefficient = klController.coefficient
        klController.update(kl: meanKL, samples: rollouts.count)
        var metrics = iterationMetrics(rollouts, shaped: shaped, optimization: optimization, coefficient: coefficient, times: times)
        if let monitor {
            let judged = try monitor.scores(prompts: rollouts.prompts, responses: rollouts.responses)
            metrics["eval/judge_score"] = judged.reduce(0, +) / Double(judged.count)
        }
        let decision = overoptimizationGuard.observe(metrics, iteration: completedIterations + 1)
        if decision != .proceed { metrics["guard/overoptimization"] = 1 }
        completedIterations += 1
        let report = IterationReport(
            iteration: completedIterations, metrics: metrics, samples: try loggedSamples(rollouts), times: times,
            overoptimization: decision)
        try log(report)
        return report
    }

    /// The next `batchSize` prompts of the shuffled pass (reshuffled after each full pass).
    func nextPrompts() -> [[Int32]] {
        (0..<configuration.batchSize).map { _ in
            if promptCursor == promptOrder.count {
                promptOrder = generator.permutation(prompts.count)
                promptCursor = 0
            }
            defer { promptCursor += 1 }
            return prompts[promptOrder[promptCursor]]
        }
    }

    /// Reward-model scores (read in the reference pass, or each rank scoring its share of the
    /// rows), clipped, then less the missing-end and length penalties: the clip bounds what the
    /// reward model can pay, and a penalty applied before it would vanish on a score already at
    /// the lower bound.
    func score(_ rollouts: Rollouts) throws -> [Double] {
        var raw: [Double]
        if let read = rollouts.rewardScores {
            raw = read
        } else {
            let mine = BatchShard(communicator).rows(of: rollouts.count)
            raw = [Double](repeating: 0, count: rollouts.count)
            raw.replaceSubrange(mine, with: try scorer.scores(prompts: Array(rollouts.prompts[mine]), responses: Array(rollouts.responses[mine])))
            try communicator.sum(&raw)
        }
        let lengthPenalties = lengthPenalties(rollouts)
        return raw.indices.map { row in
            let limit = configuration.scoreClip
            let clipped = limit > 0 ? min(max(raw[row], -limit), limit) : raw[row]
            return clipped - (rollouts.stopped[row] ? 0 : configuration.missingEndPenalty) - lengthPenalties[row]
        }
    }

    /// Each response's length-guard penalty (zeros without a guard); fixes the anchor on first use.
    func lengthPenalties(_ rollouts: Rollouts) -> [Double] {
        guard let lengthGuard = configuration.lengthGuard else { return Array(repeating: 0, count: rollouts.count) }
        let lengths = rollouts.responses.map(\.count)
        let anchor = lengthAnchor ?? lengthGuard.referenceLength ?? Double(lengths.reduce(0, +)) / Double(max(lengths.count, 1))
        lengthAnchor = anchor
        return lengths.map { lengthGuard.penalty(length: $0, anchor: anchor) }
    }

    struct ShapedRewards {
        let kl: Matrix
        let nonScore: Matrix
        let rewards: Matrix
    }

    /// Per-token KL, the −β·KL rewards with each score on its response's last token, optionally whitened.
    func shapeRewards(_ rollouts: Rollouts) -> ShapedRewards {
        let kl = RLHFMath.kl(
            logProbabilities: rollouts.logProbabilities, referenceLogProbabilities: rollouts.referenceLogProbabilities,
            mask: rollouts.mask, estimator: configuration.klEstimator)
        let (rewards, nonScore) = RLHFMath.rewards(scores: rollouts.scores, kl: kl, coefficient: klController.coefficient, mask: rollouts.mask)
        return ShapedRewards(
            kl: kl, nonScore: nonScore,
            rewards: configuration.whitenRewards ? RLHFMath.whiten(rewards, mask: rollouts.mask, shiftMean: false) : rewards)
    }
}
