// Best-of-n's candidates judged once: every n's choices by the reward model and by the
// population judge, and the best-of-N side's own scores, read from the same table.
import Evaluation
import Foundation
import PolicyOptimization
import RewardModeling
import Testing
@testable import Pipeline

/// A judge whose score of a one-token response is looked up by that token.
struct TableJudge: ResponseScorer {
    let table: [Int32: Double]
    func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] { responses.map { table[$0[0]]! } }
}

@Suite struct CandidateScoresTests {
    // Two prompts, four candidates each (tokens 1…8). The reward model prefers later candidates on
    // the first prompt and the first one on the second; the population judge disagrees.
    let candidates = BestOfN.Candidates(
        responses: [[[1], [2], [3], [4]], [[5], [6], [7], [8]]], scores: [[0.1, 0.2, 0.3, 0.4], [0.9, 0.1, 0.2, 0.3]])
    let population = TableJudge(table: [1: 0.5, 2: 0.9, 3: 0.1, 4: 0.3, 5: 0.2, 6: 0.8, 7: 0.4, 8: 0.6])
    let critic = TableJudge(table: [1: 1, 2: -1, 3: 2, 4: 0, 5: 3, 6: 1, 7: -2, 8: 5])

    func judged(withCritic: Bool, films: [String]? = nil) throws -> CandidateScores {
        try CandidateScores(
            judging: candidates, prompts: [[0], [0]], population: population, critic: withCritic ? critic : nil,
            baselinePopulation: [0.4, 0.4], baselineCritic: [0.5, 3], films: films)
    }

    @Test func theRewardModelsChoicesAreTheChosenResponsesScores() throws {
        let scores = try judged(withCritic: true)
        for n in [1, 2, 4] {
            let responses = candidates.choices(amongFirst: n).map(\.response)
            let chosen = scores.rewardModelChoices(amongFirst: n)
            #expect(chosen.population == (try population.scores(prompts: [[0], [0]], responses: responses)))
            #expect(chosen.critic == (try critic.scores(prompts: [[0], [0]], responses: responses)))
        }
    }

    @Test func theLadderChoosesAmongTheFirstNByEachSelector() throws {
        let ladder = try judged(withCritic: true).ladder()
        #expect(ladder.map(\.candidates) == [1, 2, 4])
        #expect(ladder[0].klToReference == 0 && abs(ladder[2].klToReference - (log(4) - 0.75)) < 1e-12)
        #expect(ladder[0].byRewardModel == ladder[0].byPopulationJudge, "among one candidate both choose the first")
        // n = 4: the reward model picks tokens 4 and 5, the population judge tokens 2 and 6.
        let byReward = ladder[2].byRewardModel, byJudge = ladder[2].byPopulationJudge
        #expect(abs(byReward.rewardScore - 0.65) < 1e-12 && abs(byReward.populationScore - 0.25) < 1e-12 && byReward.criticScore == 1.5)
        #expect(byReward.population == WinCount(wins: 0, ties: 0, losses: 2) && byReward.critic == WinCount(wins: 0, ties: 1, losses: 1))
        #expect(abs(byJudge.rewardScore - 0.15) < 1e-12 && abs(byJudge.populationScore - 0.85) < 1e-12 && byJudge.criticScore == 0)
        #expect(byJudge.population == WinCount(wins: 2, ties: 0, losses: 0) && byJudge.critic == WinCount(wins: 0, ties: 0, losses: 2))
        for point in ladder {
            #expect(point.byPopulationJudge.populationScore >= point.byRewardModel.populationScore)
        }
    }

    @Test func withFilmsEachRungsIntervalsResampleThem() throws {
        let ladder = try judged(withCritic: true, films: ["a", "b"]).ladder()
        for point in ladder {
            for chosen in [point.byRewardModel, point.byPopulationJudge] {
                let population = try #require(chosen.populationInterval), critic = try #require(chosen.criticInterval)
                #expect(population.groupCount == 2 && critic.groupCount == 2)
                #expect(chosen.populationText == PercentText.of(chosen.population.winRate, between: population.lowerBound, and: population.upperBound))
            }
        }
        // n = 4 by the population judge wins both prompts by it, so every resample does.
        #expect(ladder[2].byPopulationJudge.populationInterval?.range == 1...1)
        // One film for both prompts: every resample would draw it whole, an interval of no width,
        // so there is none, and the rate is shown as without films.
        for point in try judged(withCritic: true, films: ["a", "a"]).ladder() {
            let chosen = point.byRewardModel
            #expect(chosen.populationInterval == nil && chosen.criticInterval == nil && chosen.populationText == PercentText.of(chosen.population))
        }
        let plain = try judged(withCritic: true).ladder()
        #expect(plain.allSatisfy { $0.byRewardModel.populationInterval == nil && $0.byRewardModel.populationText == PercentText.of($0.byRewardModel.population) })
    }

    @Test func withoutACriticsJudgeOnlyThePopulationIsCounted() throws {
        var judges = 0
        let scores = try CandidateScores(
            judging: candidates, prompts: [[0], [0]], population: population, critic: nil, baselinePopulation: [0.4, 0.4], baselineCritic: [0.5, 3]
        ) { _, total in judges = total }
        #expect(judges == 1 && scores.critic == nil && scores.baselineCritic == nil)
        #expect(scores.rewardModelChoices(amongFirst: 4).critic == nil)
        for point in try scores.ladder() {
            #expect(point.byRewardModel.critic == nil && point.byRewardModel.criticScore == nil && point.byPopulationJudge.critic == nil)
        }
    }
}
