// The stages that turn judgments into scorers: the annotators' rankings of the starting model's
// reviews, the reward head learned from them (normalised on those same samples, the starting
// policy's), and the second hidden judge: a head learned from real critics' fresh ≻ rotten
// verdicts on training movies only, which no policy and no reward model ever reads.
import Feedback
import FeedbackComparisons
import Foundation
import LanguageModeling
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
        let prompts = try encodedPrompts(data.training, count: configuration.feedbackPrompts, seed: configuration.seed, model: model)
        let tasks = prompts.texts.count
        if let store = try? FeedbackStore(path: path.path), try await store.rankedComparisons().count
            >= feedbackRound.judgmentsMade(asked: tasks * configuration.judgmentsPerPrompt, tasks: tasks) {
            return
        }
        try? FileManager.default.removeItem(at: path)
        let store = try FeedbackStore(path: path.path)
        try await feedbackRound.createTasks(
            store, prompts: prompts.texts, encoded: prompts.tokens, models: [("smollm2", model, modelURL.path)],
            samplesPerModel: configuration.samplesPerPrompt, seed: configuration.seed,
            progress: { [events] in events(.reading(what: "reviews sampled", done: $0, total: $1, unit: "samples")) })
        try await feedbackRound.judge(store, tasks: prompts.texts.count, judgmentsPerTask: configuration.judgmentsPerPrompt, seed: configuration.seed)
        events(.note("\(prompts.texts.count) ranking tasks of \(configuration.samplesPerPrompt) SmolLM2 reviews, each ranked by \(configuration.judgmentsPerPrompt) of \(configuration.annotators) simulated annotators"))
    }

    /// The reward head on the starting model's frozen backbone, trained on the rankings (held
    /// out by prompt) and normalised on every sample the annotators saw.
    func trainRewardModel(_ model: LanguageModel) async throws -> (model: RewardModel, accuracy: Double?) {
        let run = RunFolder(url("reward"))
        let summary = url("reward/evaluation.json")
        if let saved = RewardSummary.load(from: summary), let done = try? RewardModel.load(from: run.modelURL) {
            return (done, saved.accuracy)
        }
        let comparisons = try await ComparisonSource.store(at: url("feedback.sqlite").path)
        let (training, heldOut) = HeldOutSplit(period: configuration.reward.heldOutPeriod).split(comparisons)
        let reward = try RewardModel.frozen(model, readout: configuration.rewardReadout, chatPrompts: configuration.rewardReadsChat)
        reward.featureCache = try reward.openFeatureCache(at: url("reward/backbone-features.safetensors"))
        reward.featureProgress = { [events] in events(.reading(what: "reward features", done: $0, total: $1)) }
        let samples = comparisons.flatMap { c in c.responses.map { (prompt: c.prompt, response: $0) } }
        let trainer = try RewardTrainer(model: reward, configuration: configuration.reward, run: run)
        let evaluation = try trainer.train(on: training, heldOut: heldOut, normalizingOn: reward.sequences(of: samples), events: { events(.reward($0)) })
        // Scoring the policies' answers later reads each once; caching them would only grow the
        // file, and a bar per scoring batch would only flicker.
        reward.featureCache = nil
        reward.featureProgress = { _, _ in }
        let saved = RewardSummary(evaluation)
        try saved.write(to: summary)
        events(.note("reward model: " + RewardSummary.note(evaluation)))
        return (reward, saved.accuracy)
    }

    /// The critics' judge on the starting model's frozen backbone, in critic/.
    func trainCriticJudge(_ data: ReviewData, model: LanguageModel) throws -> CriticJudge {
        try CriticJudge.trainOrLoad(
            in: RunFolder(url("critic")), data: data, backbone: model, snippets: configuration.criticSnippets,
            evaluationSnippets: configuration.criticEvaluationSnippets, configuration: configuration.critic, seed: configuration.seed, events: events)
    }
}
