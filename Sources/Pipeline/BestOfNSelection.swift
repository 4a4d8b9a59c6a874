// Best-of-n chosen two ways among the same candidates: by the reward model, as the demos do, and
// by the population judge itself, as a reward model that had learned the annotators' mean taste
// perfectly would. The critics' judge reading both says how far following the annotators can
// carry a policy by real critics' verdicts: no reward model trained on their rankings can
// choose better for the annotators than the second way, so its critics' win rate at a given KL
// is what their taste is worth to the critics there.
import Evaluation
import Foundation
import PolicyOptimization
import RewardModeling

/// Best-of-n at one n, chosen by the reward model and by the population judge.
public struct BestOfNSelectionPoint: Codable, Sendable, Equatable {
    /// What one way of choosing gets: the mean scores of its choices and their wins over the
    /// starting model's own sample of each prompt by both judges (the critics' judge's are nil
    /// when the demo has none).
    public struct Chosen: Codable, Sendable, Equatable {
        public var rewardScore: Double
        public var populationScore: Double
        public var criticScore: Double?
        public var population: WinCount
        public var critic: WinCount?
        /// The win rates' intervals from resampling the prompts' films (nil without films, and in
        /// results saved before they were measured).
        public var populationInterval: GroupedWinRateInterval?
        public var criticInterval: GroupedWinRateInterval?

        /// Each judge's win rate with its interval, as the reports and the summary print them.
        public var populationText: String { PercentText.of(population, interval: populationInterval) }
        public var criticText: String? { critic.map { PercentText.of($0, interval: criticInterval) } }
    }

    public var candidates: Int
    /// log n − (n−1)/n, an upper bound on the KL rather than a measurement, the same for both ways of choosing.
    public var klToReference: Double
    public var byRewardModel: Chosen
    /// Chosen by the population judge: its own win rate is high by construction; the critics' is the measurement.
    public var byPopulationJudge: Chosen

    /// The reward model's choice as a point of the over-optimisation chart.
    var rewardModelPoint: BestOfNPoint {
        BestOfNPoint(candidates: candidates, klToReference: klToReference, rewardScore: byRewardModel.rewardScore, judgeScore: byRewardModel.populationScore)
    }
}

/// Every candidate's score by the reward model and the judges (`[prompt][candidate]`), and each
/// judge's score of the starting model's own sample of the prompt. Each candidate is judged once:
/// every n's choices, and the best-of-N side itself, read their scores from here.
struct CandidateScores {
    var reward: [[Double]]
    var population: [[Double]]
    var critic: [[Double]]?
    var baselinePopulation: [Double]
    var baselineCritic: [Double]?
    /// Each prompt's film, which the win rates' intervals resample together (nil: none).
    var films: [String]?

    /// The judges' scores of the reward model's choice among each prompt's first n candidates:
    /// `BestOfN.Candidates.choices(amongFirst:)` picks the same ones.
    func rewardModelChoices(amongFirst n: Int) -> (population: [Double], critic: [Double]?) {
        let picks = reward.map { BestOfN.Candidates.best(of: $0, amongFirst: n) }
        return (Self.picked(population, picks), critic.map { Self.picked($0, picks) })
    }

    /// n = 1, 2, 4, … up to the candidates drawn, each n choosing among the first n candidates.
    func ladder() throws -> [BestOfNSelectionPoint] {
        let drawn = reward.first?.count ?? 0
        return try sequence(first: 1) { $0 * 2 }.prefix { $0 <= drawn }.map { n in
            BestOfNSelectionPoint(
                candidates: n, klToReference: BestOfNMeasures.analyticKL(candidates: n),
                byRewardModel: try chosen(by: reward, amongFirst: n), byPopulationJudge: try chosen(by: population, amongFirst: n))
        }
    }

    private func chosen(by selector: [[Double]], amongFirst n: Int) throws -> BestOfNSelectionPoint.Chosen {
        let picks = selector.map { BestOfN.Candidates.best(of: $0, amongFirst: n) }
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(max(values.count, 1)) }
        let population = Self.picked(self.population, picks), critic = self.critic.map { Self.picked($0, picks) }
        // Each judge's outcomes once: counted, and resampled by film when there are films.
        let judged = { (scores: [Double], baseline: [Double]) throws -> (count: WinCount, interval: GroupedWinRateInterval?) in
            let outcomes = WinCount.outcomes(scores, against: baseline)
            return (WinCount(outcomes: outcomes), try films.flatMap { try GroupedWinRateInterval.ifSpread(outcomes: outcomes, groups: $0) })
        }
        let byPopulation = try judged(population, baselinePopulation)
        var byCritic: (count: WinCount, interval: GroupedWinRateInterval?)?
        if let critic, let baselineCritic { byCritic = try judged(critic, baselineCritic) }
        return .init(
            rewardScore: mean(Self.picked(reward, picks)), populationScore: mean(population), criticScore: critic.map(mean),
            population: byPopulation.count, critic: byCritic?.count, populationInterval: byPopulation.interval, criticInterval: byCritic?.interval)
    }

    private static func picked(_ scores: [[Double]], _ picks: [Int]) -> [Double] { zip(scores, picks).map { $0[$1] } }
}

extension CandidateScores {
    /// `candidates` judged by the population judge and, when there is one, the critics' judge;
    /// `progress(done, total)` counts judges.
    init(
        judging candidates: BestOfN.Candidates, prompts: [[Int32]], population: any ResponseScorer, critic: (any ResponseScorer)?,
        baselinePopulation: [Double], baselineCritic: [Double]?, films: [String]? = nil, progress: (Int, Int) -> Void = { _, _ in }
    ) throws {
        let rows = zip(prompts, candidates.responses).flatMap { prompt, responses in Array(repeating: prompt, count: responses.count) }
        let perPrompt = max(candidates.responses.first?.count ?? 0, 1)
        let judges = [population] + (critic.map { [$0] } ?? [])
        progress(0, judges.count)
        let scores = try judges.enumerated().map { index, judge in
            defer { progress(index + 1, judges.count) }
            let flat = try judge.scores(prompts: rows, responses: candidates.responses.flatMap { $0 })
            return stride(from: 0, to: flat.count, by: perPrompt).map { Array(flat[$0..<($0 + perPrompt)]) }
        }
        self.init(
            reward: candidates.scores, population: scores[0], critic: critic == nil ? nil : scores[1],
            baselinePopulation: baselinePopulation, baselineCritic: critic == nil ? nil : baselineCritic, films: films)
    }
}
