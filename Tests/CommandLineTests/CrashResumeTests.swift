// Crash at any moment, resume to the same results: each training command runs once unbroken,
// then again SIGKILLed at seeded moments (inside a checkpoint write, after a given change to the
// run folder, or at a time), continued (--resume; reward runs start again) and possibly killed
// again, until it finishes. After every kill each file under its real name must be complete (the
// unbroken run's bytes; logs a prefix of its records), so a resumed run cannot read a half-written
// file; at the end metrics, samples, checkpoints and the final model must be the unbroken run's,
// bit for bit, but for wall-clock fields. RLHF_CRASH_KILL_POINTS (default 4, one of each kind) and RLHF_CRASH_SEED
// (default 13) set the schedule; RLHF_CRASH_REPORT names a file each job appends its tally to as
// one JSON line (scripts/crash-resume.sh makes the table in docs/reliability.md from it).
import Foundation
import Randomness
import Testing

@Suite struct CrashResumeTests {
    static let environment = ProcessInfo.processInfo.environment
    static let killPoints = environment["RLHF_CRASH_KILL_POINTS"].flatMap(Int.init) ?? 4
    static let seed = environment["RLHF_CRASH_SEED"].flatMap(UInt64.init) ?? 13

    /// What one job's kill points came to.
    struct Tally: Codable {
        var job: String
        var seed: UInt64
        var killPoints = 0
        var kills = 0
        /// Kills that left a checkpoint's temporary folder (the write was under way).
        var inCheckpointWrite = 0
        /// Kills that left any temporary file or folder.
        var inAnyWrite = 0
        /// Attempts that continued from a checkpoint a kill left.
        var resumedFromCheckpoint = 0
        var identical = 0
        /// Temporary files and folders still in the finished run folders.
        var temporariesLeft = 0
        var temporaryNames: Set<String> = []
    }

    @Test(arguments: CrashJob.allCases)
    func killedRunsContinueToTheUnbrokenRunsResults(_ job: CrashJob) throws {
        let workspace = try CrashWorkspace.shared.get()
        let root = workspace.url(job.rawValue)
        let unbroken = root.appendingPathComponent("unbroken")
        let reference = try attempt(job.arguments(in: workspace, run: unbroken), folder: unbroken, moment: .never, log: root.appendingPathComponent("unbroken.log"))
        try #require(reference.status == 0, "\(job): \(Self.tail(of: reference.log))")
        let expected = try RunSnapshot(unbroken)
        var generator = RandomGenerator(seed: Self.seed &+ UInt64(CrashJob.allCases.firstIndex(of: job) ?? 0))
        var tally = Tally(job: job.rawValue, seed: Self.seed)
        for point in 1...Self.killPoints {
            let moments = Self.schedule(point: point, reference: reference, generator: &generator)
            print("crash-resume seed \(Self.seed), \(job) kill point \(point): kill \(moments.map(\.description).joined(separator: ", then "))")
            let run = root.appendingPathComponent("point-\(point)")
            var (arguments, finished, checkpointed) = (job.arguments(in: workspace, run: run), false, false)
            for (index, moment) in (moments + [.never]).enumerated() {
                let context = "\(job), kill point \(point), attempt \(index + 1) (\(moment))"
                let result = try attempt(arguments, folder: run, moment: moment, log: root.appendingPathComponent("point-\(point)-\(index + 1).log"))
                arguments = job.arguments(in: workspace, run: run) + job.continuation
                if checkpointed {
                    // Starting over would end the same; a checkpoint left behind must be used.
                    tally.resumedFromCheckpoint += 1
                    #expect(!Self.text(of: result.log).contains("no checkpoint to resume from"), "\(context) started over")
                }
                guard result.killed else {
                    #expect(result.status == 0, "\(context): \(Self.tail(of: result.log))")
                    finished = result.status == 0
                    break
                }
                let snapshot = try RunSnapshot(run)
                checkpointed = !job.continuation.isEmpty && snapshot.files["checkpoints/latest"] != nil
                tally.kills += 1
                if snapshot.interruptedCheckpoint { tally.inCheckpointWrite += 1 }
                if !snapshot.temporaries.isEmpty { tally.inAnyWrite += 1 }
                let problems = snapshot.problems(against: expected, finished: false)
                #expect(problems.isEmpty, "\(context) left: \(problems.joined(separator: "; "))")
            }
            tally.killPoints += 1
            guard finished else { continue }
            let final = try RunSnapshot(run)
            let problems = final.problems(against: expected, finished: true)
            #expect(problems.isEmpty, "\(job), kill point \(point), finished: \(problems.joined(separator: "; "))")
            if problems.isEmpty { tally.identical += 1 }
            tally.temporariesLeft += final.temporaries.count
            tally.temporaryNames.formUnion(final.temporaries.map(Self.pattern))
        }
        print("crash-resume \(job): \(tally.identical) of \(tally.killPoints) kill points identical, \(tally.kills) kills, \(tally.inCheckpointWrite) inside a checkpoint write; left \(tally.temporaryNames.sorted())")
        try Self.report(tally)
        if tally.identical == tally.killPoints { try? FileManager.default.removeItem(at: root) }
    }

    /// One to three kills: the first of a kind that cycles over the kill points (after a metrics
    /// record logged before the first checkpoint, inside a checkpoint write, at a time, after a
    /// change to the run folder), the others of any kind and earlier in their range, as a resumed
    /// run has less left to do.
    static func schedule(point: Int, reference: Attempt, generator: inout RandomGenerator) -> [KillMoment] {
        (0..<(1 + generator.integer(in: 0..<3))).map { kill in
            let kind = kill == 0 ? (point - 1) % 4 : generator.integer(in: 0..<4)
            func draw(_ count: Int) -> Int { 1 + generator.integer(in: 0..<max(1, kill == 0 ? count : (count + 1) / 2)) }
            switch kind {
            case 0 where reference.recordsBeforeCheckpoint > 0: return .afterRecord(draw(reference.recordsBeforeCheckpoint))
            case 1 where reference.checkpointWrites > 0: return .inCheckpointWrite(draw(reference.checkpointWrites))
            case 2: return .afterSeconds(generator.uniformDouble() * reference.seconds * (kill == 0 ? 1 : 0.5))
            default: return .afterChange(draw(reference.changes))
            }
        }
    }

    /// A temporary's path with its process id and random suffix elided: `.config.json.tmp-*`, or
    /// `.dat.nosync*` (Foundation's own atomic write, inside `FileManager.createFile`).
    static func pattern(_ path: String) -> String {
        (path.range(of: ".tmp-") ?? path.range(of: ".dat.nosync")).map { path[..<$0.upperBound] + "*" } ?? path
    }

    static func report(_ tally: Tally) throws {
        guard let path = environment["RLHF_CRASH_REPORT"] else { return }
        var line = try JSONEncoder().encode(tally)
        line.append(0x0A)
        // One write to a file opened for appending, so the jobs' lines, written concurrently, stay whole.
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(descriptor) }
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    static func text(of log: URL) -> String {
        (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }

    /// The end of an attempt's output, for a failure message.
    static func tail(of log: URL) -> String {
        "\(log.path): …\(text(of: log).suffix(2000))"
    }
}
