// Iterated online RLHF (`rlhf iterate`): each round samples comparison tasks from the current
// policy, lets the selection policy route the round's label budget to the tasks worth most,
// collects the labels (simulated annotators, or people in the labeling page), retrains the reward
// model on every label so far, continues PPO (or DPO on the round's rankings) from the current
// policy, and scores the new policy with the population judge no model sees. After the last round
// every checkpoint meets the others in an arena judged on held-out prompts.
import AtomicFiles
import Annotators
import Checkpoints
import Corpora
import Evaluation
import Feedback
import Foundation
import LanguageModeling
import PolicyOptimization
import RewardModeling
import TrainingRuns
import Transformer

/// Where a round's labels come from.
public enum LabelSource: Sendable {
    /// A panel of simulated annotators judging through a store of the round's own.
    case simulated
    /// People in the labeling page of `rlhf serve` on this store: the loop waits for them.
    case people(location: String, pollInterval: Double)
}

public final class OnlineRLHF {
    let configuration: OnlineRLHFConfiguration
    let folder: URL
    let dataFolder: URL
    /// The starting model: the first round's policy and every round's KL reference and reward backbone.
    let startURL: URL
    /// A further arena entrant (the pretrained model the starting model was fine-tuned from).
    let baseURL: URL?
    /// A reward model judging every round beside the population judge (a demo's critics' judge,
    /// critic/model, trained on real critics' verdicts).
    let criticURL: URL?
    let labels: LabelSource
    let events: (DemoEvent) -> Void

    public init(
        configuration: OnlineRLHFConfiguration, folder: URL, dataFolder: URL, start: URL, base: URL?, critic: URL? = nil, labels: LabelSource,
        events: @escaping (DemoEvent) -> Void
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.folder = folder
        self.dataFolder = dataFolder
        startURL = start
        baseURL = base
        criticURL = critic
        self.labels = labels
        self.events = events
    }

    func url(_ path: String) -> URL { folder.appendingPathComponent(path) }
    func roundFolder(_ round: Int) -> URL { url("round-\(round)") }
    func policyRun(_ round: Int) -> RunFolder { RunFolder(roundFolder(round).appendingPathComponent("policy")) }
    var lexiconURL: URL { dataFolder.appendingPathComponent("reward/vader_lexicon.txt") }

    /// Runs rounds until `rounds` are done (finished rounds are read back, an unfinished one is
    /// redone), then the arena. Returns every round's summary and the arena.
    public func run(rounds: Int) async throws -> OnlineRLHFOutcome {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if case let .people(location, _) = labels {
            try await tidySharedStore(try await FeedbackStore(opening: location), rounds: rounds)
        }
        let snippets = try RottenTomatoes.snippets(at: dataFolder.appendingPathComponent("reward/rotten_tomatoes_corpus_full.csv"))
        let data = ReviewData(snippets: snippets, heldOutFraction: configuration.heldOutMovieFraction, seed: configuration.seed)
        let start = try LanguageModel.load(from: startURL, trainable: false)
        let evaluationPrompts = data.heldOutPrompts(openingWords: configuration.openingWords, count: configuration.evaluationPrompts, seed: configuration.seed &+ 3)
        guard !evaluationPrompts.texts.isEmpty else {
            throw DemoConfigurationError("the held-out movies (heldOutMovieFraction \(configuration.heldOutMovieFraction)) give no prompts to evaluate the rounds on")
        }
        let evaluation = try RoundEvaluation(
            prompts: evaluationPrompts.texts.map(start.encode), films: evaluationPrompts.films,
            judge: JudgeScorer(judge: HiddenJudge.population(RaterLexicon(contentsOf: lexiconURL)), model: start),
            // The critics read whole snippets, so the judge reads the opening words with the answer.
            critic: try criticURL.map { CriticJudge.snippetScorer(try RewardModel.load(from: $0), for: start) },
            sampling: configuration.ppo.sampling,
            seed: configuration.seed &+ 17)
        // Once the models have loaded: a mistyped path fails above instead of being recorded.
        try checkInputs()
        var summaries = [try evaluation.summary(of: start, round: 0, reference: start, labels: 0, seconds: 0)]
        for round in 1...rounds {
            let file = roundFolder(round).appendingPathComponent("round.json")
            if let done = try? JSONDecoder().decode(RoundSummary.self, from: Data(contentsOf: file)) {
                summaries.append(done)
                events(.note(String(format: "round %d: already done (judge %.3f)", round, done.judgeScore)))
                continue
            }
            let began = Date()
            let policyURL = round == 1 ? startURL : policyRun(round - 1).modelURL
            let previousReward = round == 1 ? nil : try RewardModel.load(from: RunFolder(roundFolder(round - 1).appendingPathComponent("reward")).modelURL)
            let labelled = try await labelsOnce(round: round) {
                try await gatherLabels(round: round, data: data, store: try await roundStore(round), policyURL: policyURL, previousReward: previousReward)
            }
            let reward = try await trainRewardModel(round: round, data: data, policyURL: policyURL)
            let reference = configuration.leashToPreviousRound && round > 1 ? try LanguageModel.load(from: policyURL, trainable: false) : start
            let policy = switch configuration.optimizer {
            case .ppo: try optimize(round: round, data: data, policyURL: policyURL, reward: reward.model, reference: reference)
            case .dpo: try await optimizeWithDPO(round: round, policyURL: policyURL, reference: reference)
            }
            let summary = try evaluation.summary(
                of: policy, round: round, reference: start, labels: labelled, seconds: Date().timeIntervalSince(began),
                rewardAccuracy: reward.accuracy)
            try AtomicFile.write(try JSONEncoder.pretty.encode(summary), to: file)
            summaries.append(summary)
            events(.note(String(format: "round %d: judge %.3f (was %.3f), KL %@, %d labels, %.0f s",
                                round, summary.judgeScore, summaries[summaries.count - 2].judgeScore, FigureText.kl(summary.klToReference), labelled, summary.seconds)))
        }
        let arena = try await runArena(data: data, rounds: rounds)
        let outcome = OnlineRLHFOutcome(rounds: summaries, arena: arena)
        try AtomicFile.write(try JSONEncoder.pretty.encode(outcome), to: url("iterate.json"))
        try OnlineRLHFReport(configuration: configuration, outcome: outcome).write(to: folder)
        return outcome
    }

    /// The round's judgment count, gathering them unless an earlier attempt finished doing so.
    /// The round's rankings are kept beside the count, as they stand once its labels are in.
    func labelsOnce(round: Int, gather: () async throws -> Int) async throws -> Int {
        let file = roundFolder(round).appendingPathComponent("labels.json")
        if let saved = try? JSONDecoder().decode([String: Int].self, from: Data(contentsOf: file)), let count = saved["judgments"] {
            return count
        }
        try? FileManager.default.removeItem(at: rankingsURL(round))
        let count = try await gather()
        // People label a shared store, so nothing else has made the round's folder yet.
        try FileManager.default.createDirectory(at: roundFolder(round), withIntermediateDirectories: true)
        _ = try await rankings(ofRound: round)
        try AtomicFile.write(try JSONEncoder.pretty.encode(["judgments": count]), to: file)
        return count
    }

    func rankingsURL(_ round: Int) -> URL { roundFolder(round).appendingPathComponent("rankings.json") }

    /// The store a simulated round labels.
    func simulatedStoreURL(_ round: Int) -> URL { roundFolder(round).appendingPathComponent("feedback.sqlite") }

    /// Round `round`'s rankings as they stood when its labels were in. People may still revise,
    /// delete or exclude a judgment in the shared store after that; a resumed reward model or DPO
    /// run must read the data its checkpoints were written for.
    func rankings(ofRound round: Int) async throws -> [RankedComparison] {
        if let data = try? Data(contentsOf: rankingsURL(round)), let kept = try? JSONDecoder().decode([RankedComparison].self, from: data) {
            return kept
        }
        let rankings = switch labels {
        case .simulated:
            try await FeedbackStore(path: simulatedStoreURL(round).path).rankedComparisons()
        case let .people(location, _):
            try await FeedbackStore(opening: location).rankedComparisons(batches: [batchName(round: round)])
        }
        try AtomicFile.write(try JSONEncoder().encode(rankings), to: rankingsURL(round))
        return rankings
    }

    /// Simulated rounds each label a store of their own (so a killed round is redone from nothing);
    /// people label the one store their server serves.
    func roundStore(_ round: Int) async throws -> FeedbackStore {
        switch labels {
        case .simulated:
            let path = simulatedStoreURL(round)
            try FileManager.default.createDirectory(at: roundFolder(round), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: path)
            return try FeedbackStore(path: path.path)
        case let .people(location, _):
            return try await FeedbackStore(opening: location)
        }
    }

    /// The rankings of `rounds` (the reward model learns from rounds 1 through its own, DPO from
    /// its round's alone). A shared store's other tasks (an arena's held-out prompts among them)
    /// are not read.
    func labelledComparisons(rounds: ClosedRange<Int>) async throws -> [RankedComparison] {
        var comparisons: [RankedComparison] = []
        for round in rounds { comparisons += try await rankings(ofRound: round) }
        return comparisons
    }

    /// The store's name for round `round`'s tasks: the run folder's, so two runs labelled in one
    /// store keep apart.
    func batchName(round: Int) -> String { "\(folder.standardizedFileURL.path) round \(round)" }

    /// The store's name for the tasks of the arena held after `rounds` rounds.
    func arenaBatchName(rounds: Int) -> String { arenaBatchPrefix + "\(rounds)" }
    var arenaBatchPrefix: String { "\(folder.standardizedFileURL.path) arena after round " }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}
