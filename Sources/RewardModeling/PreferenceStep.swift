// The optimizer step of reward training: the preference loss of a batch's raw rewards,
// backward, the gradients summed over data-parallel ranks, clipping over every trained store
// together, the scheduled AdamW updates, and the step's report.
import DataParallel
import Foundation
import Optimization
import Tensors
import TrainingRuns

enum PreferenceStep {
    /// The fraction of a batch's loss that `rankings` carry: the loss is a weighted mean over
    /// the batch's judgments, whose weights are `batchWeights`.
    static func share(of rankings: [ScoredRanking], in batchWeights: [Float]) -> Double {
        let total = batchWeights.reduce(0) { $0 + Double($1) }
        return total > 0 ? rankings.reduce(0) { $0 + Double($1.weight) } / total : 0
    }

    /// Updates `stores` (each by its optimizer, their gradients zeroed by the caller) from
    /// `rewards` [N] (recorded on `tape`) judged by `rankings`, which carry `share` of the batch's
    /// loss (the rest is on the other ranks of `communicator`); `completed` steps came before this
    /// one. A rank whose shard of a short last batch is empty passes nil and still takes part in
    /// the sums. Throws on a non-finite loss or gradient norm, before any update.
    static func apply(
        rewards: Tensor?, rankings: [ScoredRanking], share: Double, tape: Tape, stores: [ParameterStore], optimizers: [AdamW],
        settings: OptimizationSettings, loss lossSettings: PreferenceLossSettings, completed: Int, started: Date,
        communicator: Communicator
    ) throws -> RewardStepReport {
        // Summed over the ranks: the loss parts, the ordered strict pairs and their count.
        var totals = [0.0, 0, 0, Double(rankings.count)]
        if let rewards {
            let ownLoss = try rewards.preferenceLoss(rankings, settings: lossSettings)
            let evaluation = PreferenceEvaluation(scores: rewards.scalars.map(Double.init), rankings: rankings, settings: lossSettings)
            try tape.backward(from: share == 1 ? ownLoss : ownLoss * Float(share))
            totals[0] = Double(ownLoss.item) * share
            totals[1] = evaluation.accuracy * Double(evaluation.pairs)
            totals[2] = Double(evaluation.pairs)
        }
        if communicator.size > 1 {
            for store in stores {
                if let gradients = store.allGradients { try communicator.sum(gradients) }
            }
            try communicator.sum(&totals)
        }
        let loss = totals[0]
        let accuracy = totals[2] > 0 ? totals[1] / totals[2] : 0
        guard loss.isFinite else { throw RewardTrainingError.nonFinite(step: completed + 1, quantity: "training loss") }
        let norm = settings.gradientClip > 0
            ? GradientClipping.clip(stores, maxNorm: settings.gradientClip) : GradientClipping.globalNorm(of: stores)
        guard norm.isFinite else { throw RewardTrainingError.nonFinite(step: completed + 1, quantity: "gradient norm") }
        let rate = settings.schedule.rate(at: completed)
        for optimizer in optimizers { optimizer.step(learningRate: rate) }
        return RewardStepReport(
            step: completed + 1, loss: loss, accuracy: accuracy, learningRate: rate, gradientNorm: norm,
            comparisons: Int(totals[3]), seconds: Date().timeIntervalSince(started))
    }
}
