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
        if let store = try? FeedbackStore(path: path.path), try await store.rankedComparisons().count >= configuration.feedbackPrompts {
            return
        }
        try? FileManager.default.removeItem(at: path)
        let store = try FeedbackStore(path: path.path)
        let prompts = ReviewData.prompts(from: data.training, openingWords: configuration.openingWords, count: configuration.feedbackPrompts, seed: configuration.seed)
        try await createTasks(store, prompts: prompts, models: [("sft", model, RunFolder(url("sft")).modelURL.path)], samplesPerModel: configuration.samplesPerPrompt)
        try await judge(store, tasks: prompts.count, judgmentsPerTask: 1, seed: configuration.seed)
        events(.note("\(prompts.count) ranking tasks of \(configuration.samplesPerPrompt) SFT samples judged by \(configuration.annotators) simulated annotators"))
    }

    /// One task per prompt holding `samplesPerModel` samples of each model, with provenance.
    func createTasks(_ store: FeedbackStore, prompts: [String], models: [(name: String, model: LanguageModel, checkpoint: String)], samplesPerModel: Int) async throws {
        let sampling = SamplingParameters(temperature: configuration.samplingTemperature, topK: configuration.samplingTopK, maxNewTokens: configuration.responseLength)
        var completions = Array(repeating: [NewCompletion](), count: prompts.count)
        for (index, entry) in models.enumerated() {
            for k in 0..<samplesPerModel {
                let seed = configuration.seed &+ UInt64(1000 * index + k)
                let ids = prompts.map { entry.model.encode($0) }
                let samples = try PolicyEvaluator.sample(entry.model, prompts: ids, sampling: sampling, seed: seed, batchSize: 64)
                let recorded = Feedback.SamplingParameters(temperature: Double(sampling.temperature), topK: sampling.topK, maxNewTokens: sampling.maxNewTokens)
                for (row, sample) in samples.enumerated() {
                    let text = try entry.model.decode(sample.filter { $0 != entry.model.endOfText })
                    completions[row].append(NewCompletion(text: text, provenance: Provenance(model: entry.name, checkpoint: entry.checkpoint, sampling: recorded, seed: seed)))
                }
            }
        }
        for (prompt, list) in zip(prompts, completions) {
            _ = try await store.createTask(prompt: prompt, completions: list)
        }
    }

    /// The panel takes turns until each task has `judgmentsPerTask` judgments.
    func judge(_ store: FeedbackStore, tasks: Int, judgmentsPerTask: Int, seed: UInt64) async throws {
        let lexicon = try RaterLexicon(contentsOf: lexiconURL)
        var panel = try LabelingSimulation(
            lexicon: lexicon, count: configuration.annotators, temperature: configuration.annotatorTemperature,
            tieMargin: configuration.annotatorTieMargin, seed: seed, namePrefix: "rater")
        for member in panel.members { _ = try await store.annotator(named: member.name) }
        let perAnnotator = (tasks * judgmentsPerTask + configuration.annotators - 1) / configuration.annotators
        _ = try await panel.run(on: store, judgmentsPerAnnotator: perAnnotator)
    }

    /// Elo and Bradley-Terry ratings of the given models from 3-way rankings by the panel (three
    /// judgments per task, so agreement between annotators is measured too).
    func rankModels(_ data: ReviewData, models: [(String, LanguageModel)]) async throws -> FeedbackLeaderboard {
        let path = url("leaderboard.sqlite")
        try? FileManager.default.removeItem(at: path)
        let store = try FeedbackStore(path: path.path)
        let prompts = ReviewData.prompts(from: data.heldOut, openingWords: configuration.openingWords, count: configuration.leaderboardPrompts, seed: configuration.seed &+ 7)
        try await createTasks(store, prompts: prompts, models: models.map { ($0.0, $0.1, $0.0) }, samplesPerModel: 1)
        try await judge(store, tasks: prompts.count, judgmentsPerTask: 3, seed: configuration.seed &+ 11)
        return try await store.leaderboard(bootstrapRounds: 200, seed: configuration.seed)
    }
}
