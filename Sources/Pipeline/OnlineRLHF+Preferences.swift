// A round optimised by DPO instead of PPO: every pair the round's rankings imply, the policy
// fine-tuned from where the previous round left it, against log-probabilities of the round's
// reference. Each round learns from its own labels only, on the samples of the policy it
// improves (iterative DPO); the reward model still chooses which tasks the next round labels.
import Feedback
import Foundation
import LanguageModeling
import PreferenceOptimization
import RewardModeling
import TrainingRuns

extension OnlineRLHF {
    func optimizeWithDPO(round: Int, policyURL: URL, reference: LanguageModel) async throws -> LanguageModel {
        events(.stageStarted(index: 3, count: 3, name: "round \(round): DPO"))
        let run = policyRun(round)
        if let done = try? LanguageModel.load(from: run.modelURL) { return done }
        let policy = try LanguageModel.load(from: policyURL)
        var settings = configuration.dpo
        settings.optimization.seed = configuration.seed &+ UInt64(round)
        let rankings = try await labelledComparisons(rounds: round...round)
        // The loop samples every answer from the plain prompt, so DPO reads that prompt too.
        let data = try PreferenceData(
            PreferencePair.pairs(from: rankings.map(Comparison.init)), model: policy, heldOutPeriod: settings.heldOutPeriod,
            maximumPromptLength: settings.maximumPromptLength, readsChat: false)
        guard !data.training.isEmpty else {
            // Its labels are in and its tasks closed, so failing here would stop the run for good.
            events(.note("round \(round): its \(rankings.count) rankings give no preference pairs (all ties); the policy goes on unchanged"))
            try run.writeModel { try policy.save(to: $0) }
            return policy
        }
        events(.note("round \(round): DPO on \(data.training.count) pairs (\(data.heldOut.count) held out) from the round's rankings"))
        var objective = try DirectPreferenceOptimization(
            data: data, settings: settings.dpo, seed: settings.optimization.seed, referenceBatchSize: settings.optimization.batchSize)
        // A checkpoint holds the reference log-probabilities; only a fresh run computes them.
        if try run.latestCheckpoint() == nil { try objective.prepare(reference: reference.network) }
        let trainer = try DPOTrainer(model: policy, objective: objective, settings: settings.optimization, run: run)
        try trainer.resumeFromLatestCheckpoint()
        try trainer.train { events(.training(stage: "round \(round) DPO", $0)) }
        return policy
    }
}
