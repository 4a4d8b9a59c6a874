// The stages that turn judgments into scorers: the annotators' rankings of the starting model's
// reviews, the reward head learned from them (normalised on those same samples, the starting
// policy's), and the second hidden judge: a head learned from real critics' fresh ≻ rotten
// verdicts on training movies only, which no policy and no reward model ever reads.
import Corpora
import Feedback
import FeedbackComparisons
import Foundation
import LanguageModeling
import Randomness
import RewardModeling
import TrainingRuns
import Transformer

extension SmolLM2DemoPipeline {
    var feedbackRound: FeedbackRound {
        FeedbackRound(
            sampling: Transformer.SamplingParameters(temperature: configuration.samplingTemperature, topK: configuration.samplingTopK, maxNewTokens: configuration.responseLength),
            annotators: configuration.annotators, annotatorTemperature: configuration.annotatorTemperature,
            annotatorTieMargin: configuration.annotatorTieMargin, lexiconURL: lexiconURL, batchSize: configuration.generationBatchSize)
    }

    func collectFeedback(_ data: ReviewData, model: LanguageModel) async throws {
        let path = url("feedback.sqlite")
        if let store = try? FeedbackStore(path: path.path), try await store.rankedComparisons().count >= configuration.feedbackPrompts * configuration.judgmentsPerPrompt {
            return
        }
        try? FileManager.default.removeItem(at: path)
        let store = try FeedbackStore(path: path.path)
        let prompts = try encodedPrompts(data.training, count: configuration.feedbackPrompts, seed: configuration.seed, model: model)
        try await feedbackRound.createTasks(
            store, prompts: prompts.texts, encoded: prompts.tokens, models: [("smollm2", model, modelURL.path)],
            samplesPerModel: configuration.samplesPerPrompt, seed: configuration.seed)
        try await feedbackRound.judge(store, tasks: prompts.texts.count, judgmentsPerTask: configuration.judgmentsPerPrompt, seed: configuration.seed)
        events(.note("\(prompts.texts.count) ranking tasks of \(configuration.samplesPerPrompt) SmolLM2 reviews, each ranked by \(configuration.judgmentsPerPrompt) of \(configuration.annotators) simulated annotators"))
    }

    /// The reward head on the starting model's frozen backbone, trained on the rankings (held
    /// out by prompt) and normalised on every sample the annotators saw.
    func trainRewardModel(_ model: LanguageModel) async throws -> (model: RewardModel, accuracy: Double?) {
        let run = RunFolder(url("reward"))
        let summary = url("reward/evaluation.json")
        if let done = try? RewardModel.load(from: run.modelURL) {
            return (done, try? JSONDecoder().decode(RewardSummary.self, from: Data(contentsOf: summary)).accuracy)
        }
        let comparisons = try await ComparisonSource.store(at: url("feedback.sqlite").path)
        let (training, heldOut) = HeldOutSplit(period: configuration.reward.heldOutPeriod).split(comparisons)
        let reward = try RewardModel.frozen(model, readout: configuration.rewardReadout)
        reward.featureCache = try reward.openFeatureCache(at: url("reward/backbone-features.safetensors"))
        reward.featureProgress = { [events] in events(.reading(what: "reward features", done: $0, total: $1)) }
        let samples = comparisons.flatMap { c in c.responses.map { (prompt: c.prompt, response: $0) } }
        let trainer = try RewardTrainer(model: reward, configuration: configuration.reward, run: run)
        let evaluation = try trainer.train(on: training, heldOut: heldOut, normalizingOn: reward.sequences(of: samples), events: { events(.reward($0)) })
        // Scoring the policies' answers later reads each once; caching them would only grow the
        // file, and a bar per scoring batch would only flicker.
        reward.featureCache = nil
        reward.featureProgress = { _, _ in }
        if let evaluation {
            try JSONEncoder().encode(RewardSummary(accuracy: evaluation.accuracy)).write(to: summary, options: .atomic)
            events(.note(String(format: "reward model: held-out pairwise accuracy %.1f%% on %d pairs", 100 * evaluation.accuracy, evaluation.pairs)))
        }
        return (reward, evaluation?.accuracy)
    }

    /// The critics' judge: fresh ≻ rotten pairs within training movies (whole movies, in a seeded
    /// order, until `criticSnippets` snippets); its ROC AUC is measured on held-out movies' snippets.
    func trainCriticJudge(_ data: ReviewData, model: LanguageModel) throws -> CriticJudge {
        let run = RunFolder(url("critic"))
        let summary = url("critic/evaluation.json")
        if let done = try? RewardModel.load(from: run.modelURL),
           let measured = try? JSONDecoder().decode(CriticJudge.Summary.self, from: Data(contentsOf: summary)) {
            return CriticJudge(model: done, summary: measured)
        }
        let training = Self.wholeMovies(data.training, upTo: configuration.criticSnippets, seed: configuration.seed &+ 21)
        let evaluation = Self.wholeMovies(data.heldOut, upTo: configuration.criticEvaluationSnippets, seed: configuration.seed &+ 22)
        let pairs = RottenTomatoesData(snippets: training, split: HeldOutSplit(period: 0), seed: configuration.seed).trainingPairs
        let (fit, heldOut) = HeldOutSplit(period: configuration.critic.heldOutPeriod).split(pairs)
        let critic = try RewardModel.frozen(model)
        let cache = try critic.openFeatureCache(at: url("critic/backbone-features.safetensors"))
        critic.featureCache = cache
        critic.featureProgress = { [events] in events(.reading(what: "critic features", done: $0, total: $1)) }
        let trainer = try RewardTrainer(model: critic, configuration: configuration.critic, run: run)
        let texts = training.map { (prompt: "", response: $0.text) }
        try trainer.train(on: fit, heldOut: heldOut, normalizingOn: critic.sequences(of: texts), events: { events(.reward($0)) })
        let scores = try critic.scores(prompts: evaluation.map { _ in "" }, responses: evaluation.map(\.text)).map(Double.init)
        try cache.save()
        // Judging the policies' answers later reads each once; caching them would only grow the
        // file, and a bar per judging batch would only flicker.
        critic.featureCache = nil
        critic.featureProgress = { _, _ in }
        let auc = ReceiverOperatingCharacteristic.area(scores: scores, labels: evaluation.map { $0.verdict == .fresh })
        let measured = CriticJudge.Summary(trainingSnippets: training.count, auc: auc, evaluationSnippets: evaluation.count)
        try JSONEncoder().encode(measured).write(to: summary, options: .atomic)
        events(.note(String(format: "critics' judge: %d training snippets, ROC AUC %.3f on %d held-out movies' snippets", training.count, auc ?? .nan, evaluation.count)))
        return CriticJudge(model: critic, summary: measured)
    }

    /// Snippets of whole movies, taken in a seeded order of the movies until `limit` is reached.
    static func wholeMovies(_ snippets: [ReviewSnippet], upTo limit: Int, seed: UInt64) -> [ReviewSnippet] {
        let byMovie = Dictionary(grouping: snippets, by: \.movie)
        let movies = byMovie.keys.sorted()
        var generator = RandomGenerator(seed: seed)
        var chosen: [ReviewSnippet] = []
        for index in generator.permutation(movies.count) where chosen.count < limit {
            chosen += byMovie[movies[index], default: []].prefix(limit - chosen.count)
        }
        return chosen
    }
}

/// The second hidden judge: a head on the frozen backbone scoring a review's text alone (an
/// empty prompt, as the critics' snippets were read) by how fresh a critic would call it.
struct CriticJudge {
    /// What it was trained on and how well it separates held-out movies' verdicts (critic/evaluation.json).
    struct Summary: Codable {
        var trainingSnippets: Int
        var auc: Double?
        var evaluationSnippets: Int
    }

    let model: RewardModel
    let summary: Summary

    func scorer(for policy: LanguageModel) -> DecodedResponseScorer {
        DecodedResponseScorer(reward: model, model: policy, batchSize: 32, promptText: { _ in "" })
    }
}

/// The reward model's held-out accuracy (reward/evaluation.json), read back exactly on resume.
struct RewardSummary: Codable {
    var accuracy: Double
}
