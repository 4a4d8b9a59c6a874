// Data-parallel training through Open MPI: `mpirun -np 2 rlhf ...` with a global batch B must
// log the losses one process logs with batch B, step for step, and continue a checkpoint written
// by a different number of processes. The jobs and inputs are the crash harness's tiny ones.
import DataParallel
import Kernels
import Foundation
import Testing

@Suite(.serialized) struct DataParallelTests {
    static let steps = 50
    static let tolerance = 1e-5

    static let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(arguments: [CrashJob.pretrain, .sft, .sftLoRA, .dpo, .rewardTrain, .ppo])
    func twoRanksLogTheLossesOfOneProcess(_ job: CrashJob) throws {
        let workspace = try CrashWorkspace.shared.get()
        let base = workspace.url("data-parallel-\(job)")
        let single = try run(job, in: workspace, output: base.appendingPathComponent("single"), ranks: 1)
        let parallel = try run(job, in: workspace, output: base.appendingPathComponent("two-ranks"), ranks: 2)
        try Self.expectSameLosses(single, parallel, job: job, through: job == .ppo ? Self.ppoIterationsCompared : nil)
        let steps = Self.losses(in: parallel, job: job).keys.sorted()
        #expect(steps == Self.losses(in: single, job: job).keys.sorted(), "\(job) logged the steps \(steps) with two ranks")
        #expect(steps.count >= Self.steps, "\(job) ran \(steps.count) steps")
    }

    /// A checkpoint that one process wrote at step 21 of 50, continued by two ranks, ends with
    /// the single process's losses for steps 22...50.
    @Test func twoRanksResumeAOneProcessCheckpoint() throws {
        let workspace = try CrashWorkspace.shared.get()
        let base = workspace.url("data-parallel-resume")
        let single = try run(.pretrain, in: workspace, output: base.appendingPathComponent("single"), ranks: 1)
        let resumed = base.appendingPathComponent("resumed")
        let manager = FileManager.default
        try manager.createDirectory(at: resumed.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
        try manager.copyItem(at: single.appendingPathComponent("data"), to: resumed.appendingPathComponent("data"))
        try manager.copyItem(at: single.appendingPathComponent("metrics.jsonl"), to: resumed.appendingPathComponent("metrics.jsonl"))
        try manager.copyItem(
            at: single.appendingPathComponent("checkpoints/step-000021"), to: resumed.appendingPathComponent("checkpoints/step-000021"))
        try Data("step-000021".utf8).write(to: resumed.appendingPathComponent("checkpoints/latest"))
        _ = try run(.pretrain, in: workspace, output: resumed, ranks: 2, extra: ["--resume"])
        try Self.expectSameLosses(single, resumed, job: .pretrain)
        #expect(Self.losses(in: resumed, job: .pretrain).keys.sorted() == Array(1...Self.steps), "the resumed log holds each step once")
    }

    /// Batches of 3 over 16 training comparisons end each epoch with one comparison, fewer than
    /// the ranks: the rank left without one still takes part in the step's sums.
    @Test func twoRanksTrainARewardModelWhoseLastBatchIsSmallerThanTheirCount() throws {
        let workspace = try CrashWorkspace.shared.get()
        let base = workspace.url("data-parallel-short-batch")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let config = base.appendingPathComponent("reward.json")
        try Data(#"{"epochs": 2, "heldOutPeriod": 4, "normalizationSamples": 8, "normalizationResponseTokens": 4, "optimization": {"batchSize": 3, "warmupSteps": 1, "evaluationInterval": 4, "logInterval": 1}}"#.utf8)
            .write(to: config)
        var folders: [URL] = []
        for ranks in [1, 2] {
            let output = base.appendingPathComponent("ranks-\(ranks)")
            let arguments = ["reward", "train", "--model", workspace.path("gpt"), "--data", workspace.path("pairs.jsonl"), "--config", config.path, "--output", output.path]
            let (status, log) = try launch(arguments, ranks: ranks, log: output)
            guard status == 0 else { throw DataParallelTestError.failed(job: "reward train with batches of 3", ranks: ranks, output: log) }
            folders.append(output)
        }
        try Self.expectSameLosses(folders[0], folders[1], job: .rewardTrain)
        #expect(Self.losses(in: folders[1], job: .rewardTrain).keys.sorted() == Array(1...12), "two epochs of batches 3, 3, 3, 3, 3, 1")
    }

    @Test func ilqlRefusesMoreThanOneRank() throws {
        let workspace = try CrashWorkspace.shared.get()
        let output = workspace.url("data-parallel-ilql")
        let (status, log) = try launch(["ilql", "--model", workspace.path("gpt"), "--data", "missing.jsonl", "--output", output.path], ranks: 2, log: output)
        #expect(status != 0)
        #expect(log.contains("rlhf ilql runs as one process"), "\(log)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "no rank began the run")
    }

    /// Runs `job` to the end, as one process or as `ranks` under mpirun; returns its run folder.
    private func run(_ job: CrashJob, in workspace: CrashWorkspace, output: URL, ranks: Int, extra: [String] = []) throws -> URL {
        // Reward runs are measured in passes over their comparisons: 13 make 52 steps of 4.
        let length = switch job {
        case .rewardTrain: ["--epochs", "13"]
        case .ppo: ["--iterations", "\(Self.steps)"]
        default: ["--steps", "\(Self.steps)"]
        }
        let (status, log) = try launch(job.arguments(in: workspace, run: output) + length + extra, ranks: ranks, log: output)
        guard status == 0 else { throw DataParallelTestError.failed(job: "\(job)", ranks: ranks, output: log) }
        return output
    }

    /// Runs rlhf with `arguments`, as one process or as `ranks` under mpirun, its output in a
    /// log beside `log`; returns its exit status and that output.
    private func launch(_ arguments: [String], ranks: Int, log output: URL) throws -> (status: Int32, log: String) {
        let process = Process()
        var environment = ProcessInfo.processInfo.environment
        if ranks == 1 {
            process.executableURL = try rlhfExecutable()
            process.arguments = arguments
        } else {
            guard let mpirun = Self.mpirun else {
                throw DataParallelTestError.noMPIRun("mpirun is missing: install Debian's openmpi-bin (scripts/install-system-packages.sh does)")
            }
            process.executableURL = URL(fileURLWithPath: mpirun)
            process.arguments = ["-np", "\(ranks)", try rlhfExecutable().path] + arguments
            environment = Communicator.mpirunEnvironment(environment)
        }
        process.environment = environment
        let log = output.deletingLastPathComponent().appendingPathComponent("\(output.lastPathComponent)-\(ranks).log")
        try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? log.path)
    }

    /// What a job's metrics.jsonl calls its steps, and the losses and statistics compared (the
    /// held-out loss, where logged, too): PPO's are TRL's names, of the rollouts and the updates.
    static func fields(of job: CrashJob) -> (step: String, compared: [String]) {
        job == .ppo
            ? ("iteration", ["objective/scores", "objective/kl", "loss/policy_avg", "loss/value_avg", "policy/approxkl_avg", "val/ratio_var"])
            : ("step", ["loss", "grad_norm"])
    }

    /// One logged quantity by step, from a run's metrics.jsonl.
    static func losses(in run: URL, job: CrashJob, key: String? = nil) -> [Int: Double] {
        let (stepKey, compared) = fields(of: job)
        let text = (try? String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? ""
        var result: [Int: Double] = [:]
        for line in text.split(separator: "\n") {
            guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = record[stepKey] as? Int, let value = record[key ?? compared[0]] as? Double else { continue }
            result[step] = value
        }
        return result
    }

    /// PPO's iterations compared: all of them where OpenBLAS rounds a split product alike
    /// (SkylakeX), else the first three. A rank multiplies its share of a minibatch's rows, and the
    /// Zen kernels round a row's product differently with the rows beside it, so the two runs'
    /// weights part in the last bits, and once that moves a sampled token the trajectories part
    /// (measured on an AMD EPYC: at the sixth iteration). The supervised jobs have no draws to tip
    /// and stay within the tolerance throughout.
    static var ppoIterationsCompared: Int? { BLASSetup.splitsRoundAlike ? nil : 3 }

    /// Every loss and statistic the second run logged equals the first's at the same step within
    /// the tolerance (relative to values above 1), at every step or up to `through`.
    static func expectSameLosses(_ reference: URL, _ candidate: URL, job: CrashJob, through last: Int? = nil) throws {
        for key in fields(of: job).compared + ["eval_loss"] {
            let (expected, actual) = (losses(in: reference, job: job, key: key), losses(in: candidate, job: job, key: key))
            #expect(!actual.isEmpty || key == "eval_loss", "\(job) logged no \(key)")
            for (step, value) in actual.sorted(by: { $0.key < $1.key }) where step <= last ?? .max {
                let wanted = try #require(expected[step], "\(job): step \(step)'s \(key) is missing from the one-process run")
                #expect(abs(value - wanted) <= tolerance * max(1, abs(wanted)), "\(job) step \(step) \(key): \(value) with 2 ranks, \(wanted) with one process")
            }
        }
    }
}

enum DataParallelTestError: Error, CustomStringConvertible {
    case noMPIRun(String)
    case failed(job: String, ranks: Int, output: String)

    var description: String {
        switch self {
        case let .noMPIRun(message): message
        case let .failed(job, ranks, output): "\(job) on \(ranks) ranks failed:\n\(output)"
        }
    }
}
