// What each round is measured by: the population judge's score of the policy on held-out prompts
// (with the win rate against the starting model, KL and length beside it), and the arena where
// every round's checkpoint, the starting model and its base are ranked by the annotators.
import Evaluation
import Feedback
import Foundation
import LanguageModeling
import Ratings
import RewardModeling
import Transformer

/// One round's policy as the population judge sees it on held-out prompts.
public struct RoundSummary: Codable, Sendable {
    /// 0 is the starting model.
    public var round: Int
    /// Mean population-judge score of one sample per held-out prompt, with a 95% interval from
    /// resampling the prompts' films (±1.96 standard errors in rounds saved before 2493b93; nil
    /// under two films, whose spread says nothing).
    public var judgeScore: Double
    public var judgeScoreInterval: [Double]?
    /// Wins plus half the ties against the starting model on the same prompts, with its 95% interval
    /// from resampling the prompts' films.
    public var winRateVersusStart: Double
    public var winRateInterval: [Double]
    /// The films that interval resampled: nil in rounds saved before it did, whose intervals are
    /// Wilson's and whose answers were drawn with the start's own generator state.
    public var winRateFilms: Int?
    /// Nil when the samples were greedy (temperature 0).
    public var klToReference: Double?
    public var meanLength: Double
    /// Word repetition of the samples: praise repeated to please a lexicon judge shows here first.
    public var repetition: RepetitionStatistics?
    /// The same against the starting model's samples with each prompt's two answers cut to the
    /// shorter one's words, so answers that shrank do not look less repetitive for that alone.
    public var repetitionAtEqualLengths: LengthMatchedRepetition?
    /// Judgments collected in the round.
    public var labels: Int
    /// Held-out pairwise accuracy of the round's reward model on the annotators' rankings.
    public var rewardAccuracy: Double?
    /// The win rate against the starting model by the critics' judge, with its interval as above
    /// (nil when the run was given no critics' judge).
    public var criticWinRate: Double?
    public var criticWinRateInterval: [Double]?
    /// The wins, ties and losses behind the two win rates (nil in rounds saved before they were
    /// kept): a rate hides how many prompts were ties, which count half.
    public var versusStart: WinCount?
    public var criticVersusStart: WinCount?
    /// Wall-clock time of the round: labels, reward model, PPO and this evaluation.
    public var seconds: Double

    /// "0.149 [0.104, 0.195]", the judge's score with its interval, as printouts and reports show it.
    public var judgeScoreText: String {
        String(format: "%.3f", judgeScore)
            + (judgeScoreInterval.map { String(format: " [%.3f, %.3f]", $0[0], $0[1]) } ?? " (no interval under 2 films)")
    }
}

/// Every round and the arena.
public struct OnlineRLHFOutcome: Codable, Sendable {
    public var rounds: [RoundSummary]
    package var arena: FeedbackLeaderboard

    /// Whether the judge's score rose in every round.
    public var judgeRoseEveryRound: Bool { zip(rounds, rounds.dropFirst()).allSatisfy { $1.judgeScore > $0.judgeScore } }

    /// The rounds' Bradley-Terry ratings in round order (round 0 is the starting model).
    package var roundRatings: [(round: Int, rating: RatingInterval)] {
        rounds.compactMap { summary in
            arena.models.standings.first { $0.model == OnlineRLHF.entrantName(round: summary.round) }.map { (summary.round, $0.bradleyTerry) }
        }
    }

    /// Whether the arena rates every round above the one before it.
    public var arenaRanksRoundsInOrder: Bool { zip(roundRatings, roundRatings.dropFirst()).allSatisfy { $1.rating.rating > $0.rating.rating } }

    /// Whether the first and last rounds' intervals do not overlap.
    public var firstAndLastSeparated: Bool {
        let trained = roundRatings.filter { $0.round > 0 }
        guard let first = trained.first, let last = trained.last, first.round != last.round else { return false }
        return first.rating.upper < last.rating.lower
    }
}

struct RoundEvaluation {
    let prompts: [[Int32]]
    /// The film each prompt's opening comes from, which the win rates' intervals resample together.
    let films: [String]
    let judge: JudgeScorer
    /// A second hidden judge, from real critics' verdicts rather than the annotators' lexicon.
    let critic: (any ResponseScorer)?
    let sampling: Transformer.SamplingParameters
    let seed: UInt64

    func summary(of policy: LanguageModel, round: Int, reference: LanguageModel, labels: Int, seconds: Double, rewardAccuracy: Double? = nil) throws -> RoundSummary {
        let (comparison, samples, startSamples) = try PolicyEvaluator.compare(
            policy: policy, baseline: reference, reference: reference.network, prompts: prompts, judge: judge, sampling: sampling, seed: seed,
            groups: films)
        let (mean, judgeInterval) = try Self.meanWithInterval(try judge.scores(prompts: prompts, responses: samples), films: films)
        let critics = try critic.map { critic in
            let scores = try critic.scores(prompts: prompts, responses: samples), startScores = try critic.scores(prompts: prompts, responses: startSamples)
            let outcomes = WinCount.outcomes(scores, against: startScores)
            return (count: WinCount(outcomes: outcomes), interval: try GroupedWinRateInterval.ifSpread(outcomes: outcomes, groups: films)?.range.bounds)
        }
        return RoundSummary(
            round: round, judgeScore: mean, judgeScoreInterval: judgeInterval, winRateVersusStart: comparison.winRate,
            winRateInterval: comparison.winRateInterval.bounds, winRateFilms: comparison.groupedInterval?.groupCount, klToReference: comparison.policy.klToReference,
            meanLength: comparison.policy.meanLength, repetition: comparison.policy.repetition,
            repetitionAtEqualLengths: comparison.lengthMatchedRepetition, labels: labels, rewardAccuracy: rewardAccuracy,
            criticWinRate: critics?.count.winRate, criticWinRateInterval: critics?.interval, versusStart: comparison.record,
            criticVersusStart: critics?.count, seconds: seconds)
    }

    /// The mean of `scores` and its 95% interval from resampling the prompts' films (`films`, one
    /// per score). One film has no spread between films to estimate an error from (the interval
    /// would have no width), so under two there is none.
    static func meanWithInterval(_ scores: [Double], films: [String]) throws -> (mean: Double, interval: [Double]?) {
        guard films.count == scores.count else { throw GroupedIntervalError.mismatchedCounts(outcomes: scores.count, groups: films.count) }
        let mean = scores.reduce(0, +) / Double(scores.count)
        let groups = PromptGroups(films)
        guard groups.members.count >= 2 else { return (mean, nil) }
        let interval = try groups.meanInterval(of: scores)
        return (mean, [interval.lower, interval.upper])
    }
}

extension OnlineRLHF {
    /// The arena's name for a round's policy (round 0 is the starting model).
    static func entrantName(round: Int) -> String { round == 0 ? "start" : "round-\(round)" }

    /// One ranking task per held-out prompt holding one sample of every entrant, judged by the
    /// annotators; Elo and Bradley-Terry with bootstrap intervals over every entrant.
    func runArena(data: ReviewData, rounds: Int) async throws -> FeedbackLeaderboard {
        events(.stageStarted(index: 1, count: 1, name: "arena"))
        var entrants: [(name: String, model: LanguageModel, checkpoint: String)] = []
        if let baseURL { entrants.append(("base", try LanguageModel.load(from: baseURL, trainable: false), baseURL.path)) }
        for round in 0...rounds {
            let modelURL = round == 0 ? startURL : policyRun(round).modelURL
            entrants.append((Self.entrantName(round: round), try LanguageModel.load(from: modelURL, trainable: false), modelURL.path))
        }
        let store: FeedbackStore
        switch labels {
        case .simulated:
            let path = url("arena.sqlite")
            try? FileManager.default.removeItem(at: path)
            store = try FeedbackStore(path: path.path)
        case let .people(location, _):
            store = try await FeedbackStore(opening: location)
        }
        let prompts = data.heldOutPrompts(openingWords: configuration.openingWords, count: configuration.arenaPrompts, seed: configuration.seed &+ 7).texts
        let start = entrants[baseURL == nil ? 0 : 1].model
        let batch = arenaBatchName(rounds: rounds)
        if try await store.taskIDs(inBatch: batch).isEmpty {
            try await feedbackRound.createTasks(
                store, prompts: prompts, encoded: prompts.map(start.encode), models: entrants, samplesPerModel: 1, seed: configuration.seed &+ 13, batch: batch)
        }
        _ = try await collecting(on: store, by: .coverageFirst) {
            try await collectJudgments(
                store, batch: batch, count: prompts.count * configuration.arenaJudgmentsPerTask, seed: configuration.seed &+ 11, purpose: "the arena")
        }
        try await store.closeTasks(inBatch: batch)
        let leaderboard = try await store.leaderboard(bootstrapRounds: configuration.arenaBootstrapRounds, seed: configuration.seed, batches: [batch])
        for standing in leaderboard.models.standings {
            let r = standing.bradleyTerry
            events(.note(String(format: "%-8@ Bradley-Terry %6.0f [%4.0f, %4.0f], Elo %4.0f", standing.model, r.rating, r.lower, r.upper, standing.elo)))
        }
        return leaderboard
    }

    /// Waits until the tasks of `batch` have `count` judgments: the simulated panel makes them at
    /// once, people make them in the labeling page. Returns how many they have.
    func collectJudgments(_ store: FeedbackStore, batch: String, count: Int, seed: UInt64, purpose: String) async throws -> Int {
        switch labels {
        case .simulated:
            // A simulated store holds this batch alone, made afresh by this run.
            try await feedbackRound.judge(store, judgments: count, seed: seed)
        case let .people(location, pollInterval):
            events(.note("waiting for \(count) judgments for \(purpose) in the labeling page of the server on \(location)"))
            var reported = try await store.judgmentCount(inBatch: batch)
            while reported < count {
                try await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
                let done = try await store.judgmentCount(inBatch: batch)
                if done != reported { events(.note("\(purpose): \(done)/\(count) judgments")) }
                reported = done
            }
        }
        return try await store.judgmentCount(inBatch: batch)
    }
}
