// Properties of the ratings that hold whatever the data: symmetry, ties as halves, determinism.

import Randomness
import Testing
@testable import Ratings

private func battles(_ a: String, _ b: String, _ outcome: BattleOutcome, times: Int) -> [Battle] {
    Array(repeating: Battle(modelA: a, modelB: b, outcome: outcome), count: times)
}

@Test func evenRecordsGiveEqualRatingsAroundTheMean() {
    let log = battles("x", "y", .winA, times: 3) + battles("x", "y", .winB, times: 3)
        + battles("y", "z", .tie, times: 4) + battles("x", "z", .bothBad, times: 2)
    let fit = BradleyTerry().fit(log)
    for model in ["x", "y", "z"] {
        #expect(abs(fit.ratings[model]! - 1000) < 1e-9)
    }
}

@Test func aTieCountsAsHalfAWinForEachSide() {
    let withTies = battles("x", "y", .winA, times: 6) + battles("x", "y", .tie, times: 4) + battles("x", "y", .winB, times: 2)
    let withoutTies = battles("x", "y", .winA, times: 8) + battles("x", "y", .winB, times: 4)
    let a = BradleyTerry().fit(withTies).ratings
    let b = BradleyTerry().fit(withoutTies).ratings
    #expect(abs(a["x"]! - b["x"]!) < 1e-9)
    // Two-to-one odds: the gap is 400·log10(2) rating points.
    #expect(abs((a["x"]! - a["y"]!) - 400 * 0.301_029_995_663_981_2) < 1e-9)
}

@Test func anUnbeatenModelFallsBackToAPenalisedFiniteFit() {
    let log = battles("champion", "x", .winA, times: 5) + battles("x", "y", .winA, times: 3) + battles("x", "y", .winB, times: 2)
    let fit = BradleyTerry().fit(log)
    #expect(fit.isRegularized)
    #expect(fit.ratings.values.allSatisfy { $0.isFinite })
    #expect(fit.ratings["champion"]! > fit.ratings["x"]! && fit.ratings["x"]! > fit.ratings["y"]!)
}

@Test func onlineEloIsZeroSumAndOrderDependent() {
    let log = battles("x", "y", .winA, times: 5) + battles("x", "y", .winB, times: 5)
    let forward = OnlineElo().ratings(for: log)
    let backward = OnlineElo().ratings(for: log.reversed())
    #expect(abs(forward["x"]! + forward["y"]! - 2000) < 1e-9)
    #expect(forward["x"]! < 1000 && backward["x"]! > 1000)
}

@Test func bootstrapIsDeterministicGivenASeedAndBracketsTheFit() {
    var generator = RandomGenerator(seed: 1)
    let log = (0..<300).map { _ in
        Battle(modelA: "strong", modelB: "weak", outcome: generator.uniformDouble() < 0.7 ? .winA : .winB)
    }
    let leaderboardA = ModelLeaderboard(battles: log, seed: 42)
    let leaderboardB = ModelLeaderboard(battles: log, seed: 42)
    let leaderboardC = ModelLeaderboard(battles: log, seed: 43)
    #expect(leaderboardA == leaderboardB)
    #expect(leaderboardA != leaderboardC)
    let strong = leaderboardA.standings[0]
    #expect(strong.model == "strong" && strong.battles == 300 && strong.wins + strong.losses == 300)
    #expect(strong.bradleyTerry.lower < strong.bradleyTerry.rating && strong.bradleyTerry.rating < strong.bradleyTerry.upper)
}

@Test func bootstrapDrawsWholeJudgmentsSoCorrelatedBattlesDoNotNarrowTheInterval() {
    var generator = RandomGenerator(seed: 2)
    let votes = (0..<200).map { _ in
        Battle(modelA: "strong", modelB: "weak", outcome: generator.uniformDouble() < 0.65 ? .winA : .winB)
    }
    // Four copies of one verdict carry no more evidence than the verdict: the fit is the same, and
    // so must be the interval when a judgment's battles are drawn together.
    let repeated = votes.map { Array(repeating: $0, count: 4) }
    let single = ModelLeaderboard(battles: votes, seed: 42).standings[0].bradleyTerry
    let grouped = ModelLeaderboard(judgments: repeated, seed: 42).standings[0].bradleyTerry
    let scattered = ModelLeaderboard(battles: repeated.flatMap { $0 }, seed: 42).standings[0].bradleyTerry
    #expect(abs(grouped.rating - single.rating) < 1e-3)
    #expect(abs(grouped.lower - single.lower) < 1e-3 && abs(grouped.upper - single.upper) < 1e-3)
    #expect(scattered.upper - scattered.lower < 0.7 * (grouped.upper - grouped.lower))
}

@Test func bootstrapDrawsWholeClustersWhenSeveralJudgesReadOneTask() {
    var generator = RandomGenerator(seed: 3)
    // 150 tasks, each judged by three annotators who mostly agree: the task, not the judgment, is
    // the independent draw.
    var judgments: [[Battle]] = [], tasks: [Int64] = []
    for task in 0..<150 {
        let better = generator.uniformDouble() < 0.6
        for _ in 0..<3 {
            let agrees = generator.uniformDouble() < 0.9
            judgments.append([Battle(modelA: "a", modelB: "b", outcome: better == agrees ? .winA : .winB)])
            tasks.append(Int64(task))
        }
    }
    let clustered = ModelLeaderboard(judgments: judgments, clusters: tasks, seed: 7)
    let merged = ModelLeaderboard(judgments: ModelLeaderboard.grouping(judgments, by: tasks), seed: 7)
    let unclustered = ModelLeaderboard(judgments: judgments, seed: 7)
    #expect(clustered.standings.map(\.bradleyTerry) == merged.standings.map(\.bradleyTerry))
    #expect(clustered.standings[0].elo == unclustered.standings[0].elo)
    let width = { (board: ModelLeaderboard) in board.standings[0].bradleyTerry.upper - board.standings[0].bradleyTerry.lower }
    #expect(clustered.standings[0].bradleyTerry.rating == unclustered.standings[0].bradleyTerry.rating)
    #expect(width(clustered) > 1.3 * width(unclustered))
    // Tasks interleaved in time still group by key, in order of first appearance.
    let interleaved = ModelLeaderboard.grouping([[judgments[0][0]], [judgments[3][0]], [judgments[1][0]]], by: [5, 9, 5])
    #expect(interleaved == [[judgments[0][0], judgments[1][0]], [judgments[3][0]]])
}

@Test func quantilesInterpolateLikeNumpy() {
    let values = [1.0, 2, 4, 8]
    #expect(quantile(sorted: values, 0) == 1)
    #expect(quantile(sorted: values, 1) == 8)
    #expect(abs(quantile(sorted: values, 0.5) - 3) < 1e-12)
    #expect(abs(quantile(sorted: values, 0.025) - 1.075) < 1e-12)
}

@Test func agreementIsOneWhenEveryoneAgreesAndUndefinedWithoutPairs() {
    #expect(KrippendorffAlpha.alpha(units: [[1, 1], [0, 0, 0], [1, 1]], metric: .nominal) == 1)
    #expect(KrippendorffAlpha.alpha(units: [[1], [0]], metric: .nominal) == nil)
    #expect(KrippendorffAlpha.alpha(units: [[1, 1], [1, 1]], metric: .nominal) == nil)
    let disagreeing = KrippendorffAlpha.alpha(units: [[1, 0], [0, 1], [1, 0]], metric: .nominal)!
    #expect(disagreeing < 0)
}
