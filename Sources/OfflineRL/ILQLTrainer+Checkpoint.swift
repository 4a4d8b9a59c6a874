// ILQL checkpoints: the policy folder (model or adapters, heads with their targets), both
// optimizers' moments, the step and the data position, so a resumed run continues bit-exactly.
import Checkpoints
import Foundation
import Optimization
import Reporting
import TrainingRuns

struct ILQLProgress: Codable {
    var step: Int
    var cursor: ILQLData.Cursor
}

extension ILQLTrainer {
    /// Beside RunFolder.stateFileName (the model optimizer's), the heads' optimizer state.
    static let headStateFileName = "heads-state.bin"

    func checkpoint() throws -> URL {
        let progress = ILQLProgress(step: completedSteps, cursor: data.cursor)
        return try run.commitCheckpoint(step: completedSteps, kept: settings.checkpointsKept) { folder in
            try policy.save(to: folder)
            try write(modelOptimizer, progress, to: folder.appendingPathComponent(RunFolder.stateFileName))
            try write(headOptimizer, progress, to: folder.appendingPathComponent(Self.headStateFileName))
        }
    }

    private func write(_ optimizer: AdamW, _ progress: ILQLProgress, to url: URL) throws {
        try TrainingStateFile.write(
            progress: progress, firstMoments: UnsafeBufferPointer(optimizer.firstMoments.buffer),
            secondMoments: UnsafeBufferPointer(optimizer.secondMoments.buffer), to: url)
    }

    /// Restores weights, heads, optimizer moments, step and data position from the run's latest
    /// checkpoint; returns its step, or nil when the run has none.
    @discardableResult
    public func resumeFromLatestCheckpoint() throws -> Int? {
        guard let folder = try run.latestCheckpoint() else { return nil }
        try policy.model.restoreTrained(from: folder)
        try policy.heads.load(from: folder.appendingPathComponent(ILQLHeads.fileName))
        let state = try TrainingStateFile.read(ILQLProgress.self, from: folder.appendingPathComponent(RunFolder.stateFileName))
        let heads = try TrainingStateFile.read(ILQLProgress.self, from: folder.appendingPathComponent(Self.headStateFileName))
        let step = state.progress.step
        try modelOptimizer.restore(AdamWState(stepCount: step, firstMoments: state.firstMoments, secondMoments: state.secondMoments))
        try headOptimizer.restore(AdamWState(stepCount: step, firstMoments: heads.firstMoments, secondMoments: heads.secondMoments))
        data.restore(state.progress.cursor)
        completedSteps = step
        try run.trimMetrics(after: step)
        metrics = try MetricsLog(url: run.metricsURL)  // the trim replaced the file the old handle wrote to
        return step
    }
}
