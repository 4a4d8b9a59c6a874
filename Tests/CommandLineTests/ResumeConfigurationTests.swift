// A training run resumed under another configuration than the one its config.json records
// would continue as neither run, and overwriting the record would hide it: it is refused,
// naming the fields. Only the run's length may change, to train on.
import Foundation
import Testing

@Suite struct ResumeConfigurationTests {
    @Test func aRunResumedUnderAnotherConfigurationIsRefusedAndKeepsItsRecord() throws {
        let workspace = try CrashWorkspace.shared.get()
        let run = workspace.url("resume-configuration-\(UUID().uuidString)")
        let arguments = CrashJob.pretrain.arguments(in: workspace, run: run)
        let first = try FullDiskTests.rlhf(arguments + ["--steps", "3"])
        #expect(first.status == 0, "\(first.output)")
        let recorded = try Data(contentsOf: run.appendingPathComponent("config.json"))

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
