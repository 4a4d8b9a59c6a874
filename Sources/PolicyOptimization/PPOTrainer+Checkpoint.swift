// PPO checkpoints: the policy (a model folder other commands load), the value network, both
// optimizers' moments, β, the random generator and the prompt order, so a resumed run
// continues exactly where it stopped.
import Checkpoints
import Foundation
import LanguageModelData
import LanguageModeling
import Optimization
import Randomness
import Reporting
import TrainingRuns
import Transformer

struct PPOProgress: Codable {
    var iteration: Int
    var klController: KLController
    var generator: RandomGenerator
    var promptOrder: [Int]
    var promptCursor: Int
    var pretraining: PretrainingData.Cursor?
    var policySteps: Int
    var valueSteps: Int
}

extension PPOTrainer {
    static let policyFolder = "policy", valueFolder = "value"
    static let policyState = "policy-state.bin", valueState = "value-state.bin"

    var progress: PPOProgress {
        PPOProgress(
            iteration: completedIterations, klController: klController, generator: generator, promptOrder: promptOrder,
            promptCursor: promptCursor, pretraining: pretraining?.cursor, policySteps: policyOptimizer.stepCount,
            valueSteps: valueOptimizer?.stepCount ?? 0)
    }

    func checkpoint() throws -> URL {
        try run.commitCheckpoint(step: completedIterations, kept: 2) { folder in
            try models.policy.save(to: folder.appendingPathComponent(Self.policyFolder))
            try write(policyOptimizer, progress: progress, to: folder.appendingPathComponent(Self.policyState))
            if let value = models.value, let valueOptimizer {
                try value.save(to: folder.appendingPathComponent(Self.valueFolder))
                try write(valueOptimizer, progress: progress, to: folder.appendingPathComponent(Self.valueState))
            }
        }
    }

    private func write(_ optimizer: AdamW, progress: PPOProgress, to url: URL) throws {
        let state = optimizer.state
        try state.firstMoments.withUnsafeBufferPointer { m in
            try state.secondMoments.withUnsafeBufferPointer { v in
                try TrainingStateFile.write(progress: progress, firstMoments: m, secondMoments: v, to: url)
            }
        }
    }

    /// Restores everything from the run's latest checkpoint; returns its iteration, or nil when
    /// the run has none.
    @discardableResult
    public func resumeFromLatestCheckpoint() throws -> Int? {
        guard let folder = try run.latestCheckpoint(stateFile: Self.policyState) else { return nil }
        let policy = try GPT.load(from: folder.appendingPathComponent(Self.policyFolder))
        try models.policy.network.parameters.copyValues(from: policy.parameters)
        let state = try TrainingStateFile.read(PPOProgress.self, from: folder.appendingPathComponent(Self.policyState))
        try policyOptimizer.restore(AdamWState(stepCount: state.progress.policySteps, firstMoments: state.firstMoments, secondMoments: state.secondMoments))
        if let value = models.value, let valueOptimizer {
            try value.parameters.copyValues(from: GPT.load(from: folder.appendingPathComponent(Self.valueFolder)).parameters)
            let valueState = try TrainingStateFile.read(PPOProgress.self, from: folder.appendingPathComponent(Self.valueState))
            try valueOptimizer.restore(AdamWState(stepCount: state.progress.valueSteps, firstMoments: valueState.firstMoments, secondMoments: valueState.secondMoments))
        }
        let progress = state.progress
        (completedIterations, klController, generator) = (progress.iteration, progress.klController, progress.generator)
        (promptOrder, promptCursor) = (progress.promptOrder, progress.promptCursor)
        if let cursor = progress.pretraining { pretraining?.restore(cursor) }
        try run.trimMetrics(after: completedIterations, key: "iteration")
        try run.trimMetrics(after: completedIterations, key: "iteration", file: run.url.appendingPathComponent("samples.jsonl"))
        metrics = try MetricsLog(url: run.metricsURL)
        samplesLog = try MetricsLog(url: run.url.appendingPathComponent("samples.jsonl"))
        return completedIterations
    }
}
