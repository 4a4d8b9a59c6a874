// The optimizer step of reward training: the preference loss of a batch's raw rewards,
// backward, clipping over every trained store together, the scheduled AdamW updates, and the
// step's report.
import Foundation
import Optimization
import Tensors
import TrainingRuns

enum PreferenceStep {
    /// Updates `stores` (each by its optimizer) from `rewards` [N] (recorded on `tape`) judged by
    /// `rankings`; `completed` steps came before this one. Throws on a non-finite loss or
    /// gradient norm, before any update.
    static func apply(
        rewards: Tensor, rankings: [ScoredRanking], tape: Tape, stores: [ParameterStore], optimizers: [AdamW],
        settings: OptimizationSettings, loss lossSettings: PreferenceLossSettings, completed: Int, started: Date
    ) throws -> RewardStepReport {
        let loss = try rewards.preferenceLoss(rankings, settings: lossSettings)
        let accuracy = PreferenceEvaluation(scores: rewards.scalars.map(Double.init), rankings: rankings, settings: lossSettings).accuracy
        try tape.backward(from: loss)
        guard loss.item.isFinite else { throw RewardTrainingError.nonFinite(step: completed + 1, quantity: "training loss") }
        let norm = settings.gradientClip > 0
            ? GradientClipping.clip(stores, maxNorm: settings.gradientClip) : GradientClipping.globalNorm(of: stores)
        guard norm.isFinite else { throw RewardTrainingError.nonFinite(step: completed + 1, quantity: "gradient norm") }
        let rate = settings.schedule.rate(at: completed)
        for optimizer in optimizers { optimizer.step(learningRate: rate) }
        return RewardStepReport(
            step: completed + 1, loss: Double(loss.item), accuracy: accuracy, learningRate: rate, gradientNorm: norm,
            comparisons: rankings.count, seconds: Date().timeIntervalSince(started))
    }
}
