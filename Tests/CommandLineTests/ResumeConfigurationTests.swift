// A training run resumed under another configuration than the one its config.json records
// would continue as neither run, and overwriting the record would hide it: it is refused,
// naming the fields. Only the run's length may change, to train on.
import Foundation
import Testing

@Suite struct ResumeConfigurationTests {
    /// A finished tiny run of `job` in a fresh folder: its folder, command line and the config.json it recorded.
    static func finishedRun(_ job: CrashJob, steps: Int) throws -> (run: URL, arguments: [String], recorded: Data) {
        let workspace = try CrashWorkspace.shared.get()
        let run = workspace.url("\(job)-finished-\(UUID().uuidString)")
        let arguments = job.arguments(in: workspace, run: run)
        let first = try FullDiskTests.rlhf(arguments + ["--steps", "\(steps)"])
        #expect(first.status == 0, "\(first.output)")
        return (run, arguments, try Data(contentsOf: run.appendingPathComponent("config.json")))
    }

    @Test func aRunResumedUnderAnotherConfigurationIsRefusedAndKeepsItsRecord() throws {
        let (run, arguments, recorded) = try Self.finishedRun(.pretrain, steps: 3)

        // Without its --config file the run would go on as the default model.
        let configFlag = try #require(arguments.firstIndex(of: "--config"))
        let withoutConfig = Array(arguments[..<configFlag] + arguments[(configFlag + 2)...])
        let refused = try FullDiskTests.rlhf(withoutConfig + ["--resume"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("records another configuration") && refused.output.contains("model.width"), "\(refused.output)")
        #expect(try Data(contentsOf: run.appendingPathComponent("config.json")) == recorded, "the refused run rewrote config.json")

        let longer = try FullDiskTests.rlhf(arguments + ["--steps", "6", "--resume"])
        #expect(longer.status == 0, "a longer run could not continue: \(longer.output)")
        #expect(DataParallelTests.losses(in: run, job: .pretrain).keys.sorted() == Array(1...6))
    }
}
