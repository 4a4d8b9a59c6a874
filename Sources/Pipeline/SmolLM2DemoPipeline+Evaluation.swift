// Each method against the starting model on held-out movies' prompts, judged by the population
// judge and by the critics' judge, with the guards beside the win rates; written to
// evaluation.json.
import Evaluation
import Foundation
import LanguageModeling
import PolicyOptimization
import RewardModeling

/// What the SmolLM2 demo measured.
public struct SmolLM2DemoOutcome: Codable, Sendable {
    public struct Method: Codable, Sendable {
        public var name: String
        /// The comparison by each judge (the sides' guards are the same in both; the scores differ).
        public var populationJudge: PolicyComparison
        public var criticJudge: PolicyComparison
        public var populationWinRateInterval: [Double]
        public var criticWinRateInterval: [Double]
        /// The reference's perplexity of the method's samples over its perplexity of the starting model's.
        public var perplexityRatio: Double
        /// Whether the KL is best-of-N's analytic upper bound, log N − (N−1)/N, rather than measured.
        public var analyticKL: Bool
        /// The goals for this method, when it has any, and whether they were met.
        public var goals: String?
        public var passed: Bool?
    }

    public struct Answer: Codable, Sendable {
        public var method: String
        public var text: String
        public var populationScore: Double
        public var criticScore: Double
    }

    public struct Example: Codable, Sendable {
        public var prompt: String
        public var answers: [Answer]
    }

    public var methods: [Method]
    /// Best-of-n for n = 1, 2, 4, … up to `bestOfNCandidates`, chosen by the reward model and by the population judge.
    public var bestOfNLadder: [BestOfNSelectionPoint]
    public var heldOutPrompts: Int
    public var bestOfNCandidates: Int
    public var bestOfNPrompts: Int
    public var examples: [Example]
    public var rewardModelAccuracy: Double?
    public var criticTrainingSnippets: Int
    public var criticAUC: Double?
    public var criticEvaluationSnippets: Int

    public static let requiredWinRate = 0.8
    public static let requiredLowerBound = 0.75
    public static let requiredDPOWinRate = 0.7
    public static let maximumKL = 6.0
    public static let maximumPerplexityRatio = 1.5
    public static let lengthTolerance = 0.3
}

extension SmolLM2DemoPipeline {
    func evaluate(
        _ prompts: ChatPrompts, model: LanguageModel, policies: [(name: String, model: LanguageModel)], bestOfN candidates: BestOfN.Candidates,
        critic: CriticJudge, rewardAccuracy: Double?
    ) throws -> SmolLM2DemoOutcome {
        // The policies draw from another generator than the starting model's (one seed for all of
        // them, since no two policies are compared): the same draws would couple a prompt's two
        // answers, and the win rate asks about independent ones.
        let sampling = evaluationSampling, batch = configuration.generationBatchSize
        let baselineSeed = configuration.seed &+ 17, policySeed = configuration.seed &+ 19
        let judges: [any ResponseScorer] = [try populationJudge(for: model), CriticJudge.scorer(critic.model, for: model)]
        let measure = { (policy: LanguageModel, prompts: ChatPrompts, samples: [[Int32]]) in
            // The fluency model is the starting model, the reference: its perplexity is the one the KL pass reads.
            try PolicyEvaluator.Measured(
                policy, reference: model.network, prompts: prompts.tokens, samples: samples, temperature: sampling.temperature,
                batchSize: 16, fluency: .reference)
        }
        // Each side (the starting model, every policy, best-of-N) samples, is read by the reference and judged.
        let sides = policies.count + 2
        var sidesDone = 0
        func sideDone() {
            sidesDone += 1
            events(.reading(what: "evaluation sides", done: sidesDone, total: sides, unit: "sides"))
        }
        let scored = { (side: PolicyEvaluator.Measured) in
            defer { sideDone() }
            return try judges.map { try $0.scores(prompts: side.prompts, responses: side.samples) }
        }
        events(.reading(what: "evaluation sides", done: 0, total: sides, unit: "sides"))
        let baselineSamples = try PolicyEvaluator.sample(model, prompts: prompts.tokens, sampling: sampling, seed: baselineSeed, batchSize: batch)
        let baseline = try measure(model, prompts, baselineSamples)
        let baselineScores = try scored(baseline)
        var methods: [SmolLM2DemoOutcome.Method] = []
        let bestOfN = candidates.choices(amongFirst: configuration.bestOfN)
        var answers = [[SmolLM2DemoOutcome.Answer]](repeating: [], count: min(8, prompts.texts.count, bestOfN.count))
        func record(
            _ name: String, _ side: PolicyEvaluator.Measured, _ scores: [[Double]], against base: PolicyEvaluator.Measured, _ baseScores: [[Double]],
            films: [String], analyticKL: Bool
        ) throws {
            let byJudge = try (0..<2).map {
                try PolicyComparison(policy: side, policyScores: scores[$0], baseline: base, baselineScores: baseScores[$0], groups: films)
            }
            methods.append(Self.method(name, population: byJudge[0], critic: byJudge[1], analyticKL: analyticKL))
            for row in answers.indices where row < side.texts.count {
                answers[row].append(.init(method: name, text: side.texts[row], populationScore: scores[0][row], criticScore: scores[1][row]))
            }
        }
        for row in answers.indices {
            answers[row].append(.init(method: "SmolLM2", text: baseline.texts[row], populationScore: baselineScores[0][row], criticScore: baselineScores[1][row]))
        }
        for (name, policy) in policies {
            let side = try measure(policy, prompts, PolicyEvaluator.sample(policy, prompts: prompts.tokens, sampling: sampling, seed: policySeed, batchSize: batch))
            try record(name, side, try scored(side), against: baseline, baselineScores, films: prompts.films, analyticKL: false)
        }
        let subset = prompts.prefix(bestOfN.count)
        let best = try BestOfNMeasures.side(
            bestOfN, candidates: configuration.bestOfN, model: model, prompts: subset.tokens, temperature: sampling.temperature, batchSize: 16,
            fluency: .reference)
        let subsetBaseline = try measure(model, subset, Array(baselineSamples.prefix(bestOfN.count)))
        let subsetBaselineScores = baselineScores.map { Array($0.prefix(bestOfN.count)) }
        let judged = try CandidateScores(
            judging: candidates, prompts: subset.tokens, population: judges[0], critic: judges[1], baselinePopulation: subsetBaselineScores[0],
            baselineCritic: subsetBaselineScores[1], films: subset.films
        ) { [events] done, total in events(.reading(what: "best-of-N candidates judged", done: done, total: total, unit: "judges")) }
        let chosen = judged.rewardModelChoices(amongFirst: configuration.bestOfN)
        try record("best-of-\(configuration.bestOfN)", best, [chosen.population, chosen.critic ?? []], against: subsetBaseline, subsetBaselineScores, films: subset.films, analyticKL: true)
        sideDone()

        let outcome = SmolLM2DemoOutcome(
            methods: methods, bestOfNLadder: try judged.ladder(), heldOutPrompts: prompts.texts.count, bestOfNCandidates: configuration.bestOfN, bestOfNPrompts: bestOfN.count,
            examples: answers.indices.map { SmolLM2DemoOutcome.Example(prompt: prompts.texts[$0], answers: answers[$0]) },
            rewardModelAccuracy: rewardAccuracy, criticTrainingSnippets: critic.summary.trainingSnippets, criticAUC: critic.summary.auc,
            criticEvaluationSnippets: critic.summary.evaluationSnippets)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(outcome).write(to: url("evaluation.json"), options: .atomic)
        return outcome
    }

    /// The method's row with the goals: PPO-LoRA ≥ 80% by both judges (lower end ≥ 75%),
    /// KL ≤ 6 (an unmeasured KL, of greedy samples, does not meet it), reference perplexity ≤ 1.5×,
    /// length within ±30%, repetition no higher (at equal lengths); DPO-LoRA ≥ 70%.
    static func method(_ name: String, population: PolicyComparison, critic: PolicyComparison, analyticKL: Bool) -> SmolLM2DemoOutcome.Method {
        let intervals = [population, critic].map(\.winRateInterval.bounds)
        let ratio = population.policy.referencePerplexity / max(population.baseline.referencePerplexity, .leastNormalMagnitude)
        var goals: String?, passed: Bool?
        let judges = [population, critic]
        if name.hasPrefix("PPO") {
            goals = "win ≥ 80% by both judges (95% lower end ≥ 75%), KL ≤ 6, perplexity ≤ 1.5×, length ±30%, repeated 3-grams at equal lengths no more"
            // At equal lengths, since shorter answers repeat less for their length alone. Unmeasured
            // repetition does not meet the goal, as an unmeasured KL does not.
            let repetition = population.lengthMatchedRepetition.map { $0.policy.repeatedTrigramShare <= $0.baseline.repeatedTrigramShare } ?? false
            passed = judges.allSatisfy { $0.winRate >= SmolLM2DemoOutcome.requiredWinRate } && intervals.allSatisfy { $0[0] >= SmolLM2DemoOutcome.requiredLowerBound }
                && (population.policy.klToReference.map { $0 <= SmolLM2DemoOutcome.maximumKL } ?? false)
                && ratio <= SmolLM2DemoOutcome.maximumPerplexityRatio
                && abs(population.lengthRatio - 1) <= SmolLM2DemoOutcome.lengthTolerance && repetition
        } else if name.hasPrefix("DPO") {
            goals = "win ≥ 70% by both judges"
            passed = judges.allSatisfy { $0.winRate >= SmolLM2DemoOutcome.requiredDPOWinRate }
        }
        return SmolLM2DemoOutcome.Method(
            name: name, populationJudge: population, criticJudge: critic, populationWinRateInterval: intervals[0], criticWinRateInterval: intervals[1],
            perplexityRatio: ratio, analyticKL: analyticKL, goals: goals, passed: passed)
    }
}
