// rlhf-bench's options, end to end: in every suite and worker, an unknown option, a missing value
// or an invalid one is a usage error on stderr naming the option (status 64), before any
// measurement starts, instead of a run with the defaults.
import Foundation
import Testing

@Suite struct BenchmarkOptionsTests {
    /// Runs the rlhf-bench built beside rlhf; returns exit status, stdout and stderr.
    static func bench(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = try rlhfExecutable().deletingLastPathComponent().appendingPathComponent("rlhf-bench")
        process.arguments = arguments
        let (output, error) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile(), err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Each suite and worker with its required arguments, all else left to the defaults.
    static let commands = [
        ["engine"], ["model"], ["ppo"], ["smollm2"], ["data-parallel"],
        ["worker", "train"], ["ppo-worker"], ["smollm2-worker", "forward", "--model", "m.gguf"],
    ]

    @Test(arguments: commands) func anUnknownOptionIsAUsageErrorNamingIt(command: [String]) throws {
        let run = try Self.bench(command + ["--bogus"])
        #expect(run.status == 64, "\(run.output)\(run.error)")
        #expect(run.error.contains("Unknown option '--bogus'"), "\(run.error)")
        #expect(run.output.isEmpty, "it ran: \(run.output)")
    }

    @Test func aMisspelledOptionIsNotIgnored() throws {
        let run = try Self.bench(["ppo", "--iteratons", "3"])
        #expect(run.status == 64 && run.error.contains("'--iteratons'"), "\(run.error)")
        #expect(run.output.isEmpty, "it ran: \(run.output)")
        // The default suite, engine, refuses options too.
        let bare = try Self.bench(["--repetition", "3"])
        #expect(bare.status == 64 && bare.error.contains("'--repetition'"), "\(bare.error)")
    }

    @Test func aMissingOrInvalidValueIsAUsageErrorNamingTheOption() throws {
        for (arguments, expected) in [
            (["ppo", "--iterations"], "Missing value for '--iterations <iterations>'"),
            (["ppo", "--iterations", "--model", "m.gguf"], "Missing value for '--iterations <iterations>'"),
            (["engine", "--repetitions", "many"], "The value 'many' is invalid for '--repetitions <repetitions>'"),
            (["model", "--steps", "0"], "The value '0' is invalid for '--steps <steps>'"),
            (["smollm2", "--repetitions=-2"], "The value '-2' is invalid for '--repetitions <repetitions>'"),
            (["data-parallel", "--steps", "1.5"], "The value '1.5' is invalid for '--steps <steps>'"),
            (["smollm2", "--model"], "Missing value for '--model <file.gguf>'"),
            (["worker", "train", "--size", "XL"], "The value 'XL' is invalid for '--size <size>'"),
            (["smollm2-worker", "forward", "--model", "m.gguf", "--frozen-matrices", "f16"], "The value 'f16' is invalid for '--frozen-matrices"),
            (["smollm2-worker", "forward"], "Missing expected argument '--model <file.gguf>'"),
            (["smollm2-worker", "backward", "--model", "m.gguf"], "The value 'backward' is invalid for '<phase>'"),
            (["worker", "fly"], "The value 'fly' is invalid for '<task>'"),
            // --f32 makes every weight trainable f32, which leaves --frozen-matrices nothing to choose.
            (["smollm2-worker", "forward", "--model", "m.gguf", "--f32", "--frozen-matrices", "compact"], "--f32 and --frozen-matrices compact cannot be combined"),
            (["smollm2-worker", "lora", "--model", "m.gguf", "--frozen-matrices", "f32", "--f32"], "--f32 and --frozen-matrices f32 cannot be combined"),
        ] {
            let run = try Self.bench(arguments)
            #expect(run.status == 64, "\(arguments): \(run.output)\(run.error)")
            #expect(run.error.contains(expected), "\(arguments): \(run.error)")
            #expect(run.output.isEmpty, "\(arguments) ran: \(run.output)")
        }
    }

    @Test func anUnknownSuiteIsRefused() throws {
        let run = try Self.bench(["ppo-lora"])
        #expect(run.status == 64 && run.error.contains("'ppo-lora'"), "\(run.error)")
    }

    @Test func helpListsTheSuitesAndTheirOptions() throws {
        let root = try Self.bench(["--help"])
        #expect(root.status == 0)
        for suite in ["engine", "model", "ppo", "smollm2", "data-parallel"] { #expect(root.output.contains(suite), "\(root.output)") }
        let ppo = try Self.bench(["ppo", "--help"])
        #expect(ppo.status == 0 && ["--python", "--iterations", "--model"].allSatisfy(ppo.output.contains), "\(ppo.output)")
    }
}
