// PPO checkpoints: the policy (a model folder other commands load, or its adapters), the value
// function's weights, every optimizer's moments, β, the random generator and the prompt order, so a resumed run
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
    var overoptimizationGuard: OveroptimizationGuard
    var lengthAnchor: Double?
}

extension PPOTrainer {
    static let policyFolder = "policy", policyState = "policy-state.bin"

    /// The value function's stores, each with its weights file and optimizer state file.
    private var valueFiles: [(optimizer: AdamW, weights: String, state: String)] {
        valueOptimizers.enumerated().map { index, optimizer in (optimizer, "value-\(index).safetensors", "value-\(index)-state.bin") }
    }

    var progress: PPOProgress {
        PPOProgress(
            iteration: completedIterations, klController: klController, generator: generator, promptOrder: promptOrder,
            promptCursor: promptCursor, pretraining: pretraining?.cursor, policySteps: policyOptimizer.stepCount,
            valueSteps: valueOptimizers.first?.stepCount ?? 0, overoptimizationGuard: overoptimizationGuard,
            lengthAnchor: lengthAnchor)
    }

    /// The policy as other commands load it (a model folder, or PEFT adapters when it trains
    /// LoRA), the value function's weights, every optimizer's moments, and the run's progress.
    func checkpoint() throws -> URL {
        try run.commitCheckpoint(step: completedIterations, kept: 2) { folder in
            try models.policy.saveTrained(to: folder.appendingPathComponent(Self.policyFolder))
            try write(policyOptimizer, progress: progress, to: folder.appendingPathComponent(Self.policyState))
            for file in valueFiles {
                try file.optimizer.parameters.write(to: folder.appendingPathComponent(file.weights))
                try write(file.optimizer, progress: progress, to: folder.appendingPathComponent(file.state))
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

    /// Restores `optimizer`'s moments and its step count (read from the progress) from `url`.
    private func restore(_ optimizer: AdamW, from url: URL, steps: (PPOProgress) -> Int) throws -> PPOProgress {
        let state = try TrainingStateFile.read(PPOProgress.self, from: url)
        try optimizer.restore(AdamWState(stepCount: steps(state.progress), firstMoments: state.firstMoments, secondMoments: state.secondMoments))
        return state.progress
    }

    /// Restores everything from the run's latest checkpoint; returns its iteration, or nil when
    /// the run has none.
    @discardableResult
    public func resumeFromLatestCheckpoint() throws -> Int? {
        guard let folder = try run.latestCheckpoint(stateFile: Self.policyState) else {
            // A run killed before its first checkpoint starts again at iteration 0: what it logged goes.
            try trimLogs(after: 0)
            return nil
        }
        try models.policy.restoreTrained(from: folder.appendingPathComponent(Self.policyFolder))
        let progress = try restore(policyOptimizer, from: folder.appendingPathComponent(Self.policyState), steps: \.policySteps)
        for file in valueFiles {
            let url = folder.appendingPathComponent(file.weights)
            try file.optimizer.parameters.load(try SafeTensors.read(url).tensors, from: url)
            _ = try restore(file.optimizer, from: folder.appendingPathComponent(file.state), steps: \.valueSteps)
        }
        (completedIterations, klController, generator) = (progress.iteration, progress.klController, progress.generator)
        overoptimizationGuard = progress.overoptimizationGuard
        lengthAnchor = progress.lengthAnchor
        do {
            try RandomGenerator.checkSavedOrder(progress.promptOrder, position: progress.promptCursor, count: prompts.count)
        } catch {
            let path = folder.appendingPathComponent(Self.policyState).path
            throw CheckpointError.invalidField(path: path, field: "promptOrder", reason: "does not fit the prompts: \(error)")
        }
        (promptOrder, promptCursor) = (progress.promptOrder, progress.promptCursor)
        if let cursor = progress.pretraining { pretraining?.restore(cursor) }
        try trimLogs(after: completedIterations)
        return completedIterations
    }

    /// Drops the metrics and samples logged after `iteration`, and reopens both logs (on the
    /// rank that writes them).
    private func trimLogs(after iteration: Int) throws {
        guard communicator.isRoot else { return }
        let samples = run.url.appendingPathComponent("samples.jsonl")
        try run.trimMetrics(after: iteration, key: "iteration")
        try run.trimMetrics(after: iteration, key: "iteration", file: samples)
        metrics = try MetricsLog(url: run.metricsURL)
        samplesLog = try MetricsLog(url: samples)
    }
}
