// The run folder's checkpoint bookkeeping: which checkpoints are kept, and a `latest` pointer
// that cannot be read.
import Checkpoints
import Foundation
import Testing
import TrainingRuns

@Suite struct RunFolderTests {
    func commit(_ run: RunFolder, step: Int, kept: Int) throws {
        _ = try run.commitCheckpoint(step: step, kept: kept) { folder in
            try Data("\(step)".utf8).write(to: folder.appendingPathComponent(RunFolder.stateFileName))
        }
    }

    func steps(_ run: RunFolder) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: run.checkpointsURL.path).filter { $0.hasPrefix("step-") }.sorted()
    }

    @Test func checkpointsAreKeptByStepNumberNotByName() throws {
        let run = RunFolder(try temporaryFolder())
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.prepare()
        for step in [999_998, 999_999, 1_000_000] { try commit(run, step: step, kept: 2) }
        #expect(try steps(run) == ["step-1000000", "step-999999"])
        #expect(try run.latestCheckpoint()?.lastPathComponent == "step-1000000")
    }

    @Test func aLaterStepLeftByAnEarlierAttemptGoes() throws {
        let run = RunFolder(try temporaryFolder())
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.prepare()
        try commit(run, step: 200, kept: 1)
        // An attempt died after moving step 500 into place, before pointing `latest` at it.
        try FileManager.default.createDirectory(at: run.checkpointsURL.appendingPathComponent("step-000500"), withIntermediateDirectories: true)
        try commit(run, step: 300, kept: 1)
        #expect(try steps(run) == ["step-000300"])
        #expect(try run.latestCheckpoint()?.lastPathComponent == "step-000300")
    }

    @Test func anUnreadablePointerIsAnErrorNotAFreshStart() throws {
        let run = RunFolder(try temporaryFolder())
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.prepare()
        #expect(try run.latestCheckpoint() == nil)
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: run.checkpointsURL.appendingPathComponent("latest"))
        #expect(throws: CheckpointError.self) { try run.latestCheckpoint() }
    }
}
