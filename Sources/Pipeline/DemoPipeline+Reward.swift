// The reward model: the SFT backbone with a scalar head, trained on the annotators' rankings
// (Plackett-Luce over each whole ranking), held out by prompt, then normalised so the SFT
// policy's own samples score mean 0, standard deviation 1.
import Evaluation
import Feedback
import FeedbackComparisons
import Foundation
import LanguageModeling
import RewardModeling
import TrainingRuns
import Transformer

extension DemoPipeline {
    func trainRewardModel(_ data: ReviewData, supervised: LanguageModel) async throws -> (model: RewardModel, accuracy: Double?) {
        let run = RunFolder(url("reward"))
        let summary = url("reward/evaluation.json")
        if let saved = RewardSummary.load(from: summary), let done = try? RewardModel.load(from: run.modelURL) {
            return (done, saved.accuracy)
        }
        let store = try FeedbackStore(path: url("feedback.sqlite").path)
        let comparisons = try await store.rankedComparisons().map(Comparison.init)
        var settings = RewardTrainingConfiguration()
        settings.epochs = configuration.rewardEpochs
        settings.optimization.batchSize = configuration.rewardBatchSize
        settings.optimization.learningRate = configuration.rewardLearningRate
        settings.optimization.minimumLearningRate = configuration.rewardLearningRate / 10
        settings.optimization.seed = configuration.seed
        let (training, heldOut) = HeldOutSplit(period: settings.heldOutPeriod).split(comparisons)
        let model = try RewardModel.fineTuning(LanguageModel.load(from: RunFolder(url("sft")).modelURL), seed: configuration.seed)
        let prompts = ReviewData.prompts(from: data.training, openingWords: configuration.openingWords, count: settings.normalizationSamples, seed: configuration.seed &+ 5)
        let samples = try PolicySamples.draw(
            from: supervised, prompts: prompts, count: settings.normalizationSamples,
            parameters: configuration.ppo.sampling,
            seed: configuration.seed &+ 6)
        let trainer = try RewardTrainer(model: model, configuration: settings, run: run)
        let evaluation = try trainer.train(on: training, heldOut: heldOut, normalizingOn: model.sequences(of: samples)) { events(.reward($0)) }
        let saved = RewardSummary(evaluation)
        try saved.write(to: summary)
        events(.note("reward model: " + RewardSummary.note(evaluation)))
        return (model, saved.accuracy)
    }
}
