// The human-feedback stages with simulated people: SFT samples ranked by a panel of annotators
// (each judging with one real human rater's word ratings) through the same store a web page
// uses; and the leaderboard of the pretrained, SFT and PPO models judged the same way.
import Annotators
import Evaluation
import Feedback
import Foundation
import LanguageModeling
import SimulatedLabeling
import TrainingRuns
import Transformer

extension DemoPipeline {
    var lexiconURL: URL { dataFolder.appendingPathComponent("reward/vader_lexicon.txt") }

    func collectFeedback(_ data: ReviewData, model: LanguageModel) async throws {
        let path = url("feedback.sqlite")
        let prompts = ReviewData.prompts(from: data.training, openingWords: configuration.openingWords, count: configuration.feedbackPrompts, seed: configuration.seed)
        if let store = try? FeedbackStore(path: path.path), try await store.rankedComparisons().count
            >= feedbackRound.judgmentsMade(asked: prompts.count, tasks: prompts.count) {
            return
        }
        try? FileManager.default.removeItem(at: path)
        let store = try FeedbackStore(path: path.path)
        try await createTasks(store, prompts: prompts, models: [("sft", model, RunFolder(url("sft")).modelURL.path)], samplesPerModel: configuration.samplesPerPrompt)
        try await judge(store, tasks: prompts.count, judgmentsPerTask: 1, seed: configuration.seed)
        events(.note("\(prompts.count) ranking tasks of \(configuration.samplesPerPrompt) SFT samples judged by \(configuration.annotators) simulated annotators"))
    }

    var feedbackRound: FeedbackRound {
        FeedbackRound(
            sampling: Transformer.SamplingParameters(temperature: configuration.samplingTemperature, topK: configuration.samplingTopK, maxNewTokens: configuration.responseLength),
            annotators: configuration.annotators, annotatorTemperature: configuration.annotatorTemperature,
            annotatorTieMargin: configuration.annotatorTieMargin, lexiconURL: lexiconURL)
    }

    /// One task per prompt holding `samplesPerModel` samples of each model, with provenance.
    func createTasks(_ store: FeedbackStore, prompts: [String], models: [(name: String, model: LanguageModel, checkpoint: String)], samplesPerModel: Int) async throws {
        let encoded = prompts.map { models.first?.model.encode($0) ?? [] }
        try await feedbackRound.createTasks(
            store, prompts: prompts, encoded: encoded, models: models, samplesPerModel: samplesPerModel, seed: configuration.seed,
            progress: { [events] in events(.reading(what: "samples", done: $0, total: $1, unit: "samples")) })
    }

    func judge(_ store: FeedbackStore, tasks: Int, judgmentsPerTask: Int, seed: UInt64) async throws {
        try await feedbackRound.judge(store, tasks: tasks, judgmentsPerTask: judgmentsPerTask, seed: seed)
    }

    /// Elo and Bradley-Terry ratings of the given models from 3-way rankings by the panel (three
    /// judgments per task, so agreement between annotators is measured too).
    func rankModels(_ data: ReviewData, models: [(String, LanguageModel)]) async throws -> FeedbackLeaderboard {
        let path = url("leaderboard.sqlite")
        try? FileManager.default.removeItem(at: path)
        let store = try FeedbackStore(path: path.path)
        let prompts = data.heldOutPrompts(openingWords: configuration.openingWords, count: configuration.leaderboardPrompts, seed: configuration.seed &+ 7).texts
        try await createTasks(store, prompts: prompts, models: models.map { ($0.0, $0.1, $0.0) }, samplesPerModel: 1)
        try await judge(store, tasks: prompts.count, judgmentsPerTask: 3, seed: configuration.seed &+ 11)
        return try await store.leaderboard(bootstrapRounds: 200, seed: configuration.seed)
    }
}
