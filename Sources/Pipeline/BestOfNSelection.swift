// Best-of-n chosen two ways among the same candidates: by the reward model, as the demo does, and
// by the population judge itself, as a reward model that had learned the annotators' mean taste
// perfectly would. The critics' judge reading both says how far following the annotators can
// carry a policy by real critics' verdicts: no reward model trained on their rankings can
// choose better for the annotators than the second way, so its critics' win rate at a given KL
// is what their taste is worth to the critics there.
import Evaluation
import Foundation
import PolicyOptimization

/// Best-of-n at one n, chosen by the reward model and by the population judge.
public struct BestOfNSelectionPoint: Codable, Sendable, Equatable {
    /// What one way of choosing gets: the mean scores of its choices and their wins over the
    /// starting model's own sample of each prompt by both judges.
    public struct Chosen: Codable, Sendable, Equatable {
        public var rewardScore: Double
        public var populationScore: Double
        public var criticScore: Double
        public var population: WinCount
        public var critic: WinCount
    }

    public var candidates: Int
    /// log n − (n−1)/n, the same for both ways of choosing.
    public var klToReference: Double
    public var byRewardModel: Chosen
    /// Chosen by the population judge: its own win rate is high by construction; the critics' is the measurement.
    public var byPopulationJudge: Chosen

    /// The reward model's choice as a point of the over-optimisation chart.
    var rewardModelPoint: BestOfNPoint {
        BestOfNPoint(candidates: candidates, klToReference: klToReference, rewardScore: byRewardModel.rewardScore, judgeScore: byRewardModel.populationScore)
    }
}

/// Every candidate's score by the reward model and both judges (`[prompt][candidate]`), and each
/// judge's score of the starting model's own sample of the prompt.
struct CandidateScores {
    var reward: [[Double]]
    var population: [[Double]]
    var critic: [[Double]]
    var baselinePopulation: [Double]
    var baselineCritic: [Double]

    /// n = 1, 2, 4, … up to the candidates drawn, each n choosing among the first n candidates.
    func ladder() -> [BestOfNSelectionPoint] {
        let drawn = reward.first?.count ?? 0
        return sequence(first: 1) { $0 * 2 }.prefix { $0 <= drawn }.map { n in
            BestOfNSelectionPoint(
                candidates: n, klToReference: BestOfNMeasures.analyticKL(candidates: n),
                byRewardModel: chosen(by: reward, amongFirst: n), byPopulationJudge: chosen(by: population, amongFirst: n))
        }
    }

    private func chosen(by selector: [[Double]], amongFirst n: Int) -> BestOfNSelectionPoint.Chosen {
        let picks = selector.map { BestOfN.Candidates.best(of: $0, amongFirst: n) }
        let picked = { (scores: [[Double]]) in zip(scores, picks).map { $0[$1] } }
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(max(values.count, 1)) }
        let population = picked(self.population), critic = picked(self.critic)
        return .init(
            rewardScore: mean(picked(reward)), populationScore: mean(population), criticScore: mean(critic),
            population: WinCount(population, against: baselinePopulation), critic: WinCount(critic, against: baselineCritic))
    }
}
