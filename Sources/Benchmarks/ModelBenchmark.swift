// Training and generation speed of the GPT against PyTorch on the same machine, in one run:
// each measurement runs in its own process (ours: this executable's `worker`; PyTorch:
// scripts/bench_torch_gpt.py) so peak memory is per measurement.
import Foundation

struct ModelSize {
    let name: String
    let vocabulary, width, layers, heads, context: Int

    static let small = ModelSize(name: "S", vocabulary: 512, width: 128, layers: 4, heads: 4, context: 128)
    static let medium = ModelSize(name: "M", vocabulary: 4096, width: 256, layers: 6, heads: 8, context: 256)
    static func named(_ name: String) -> ModelSize? { [small, medium].first { $0.name == name } }

    /// Parameters counted for MFU: tied embedding once, position table excluded (as nanoGPT).
    var flopParameters: Int { vocabulary * width + layers * (12 * width * width + 13 * width) + 2 * width }
}

struct WorkerResult: Decodable {
    let tokens_per_second: Double
    let step_seconds: Double
    let peak_memory_mb: Double
}

struct ModelBenchmark {
    let python: String
    let steps: Int
    let peakGFLOPs: Double

    struct Case {
        let task: String
        let size: ModelSize
        let batch: Int
    }

    static let cases = [
        Case(task: "train", size: .small, batch: 16), Case(task: "train", size: .medium, batch: 16),
        Case(task: "generate", size: .small, batch: 1), Case(task: "generate", size: .small, batch: 16),
        Case(task: "generate", size: .medium, batch: 1), Case(task: "generate", size: .medium, batch: 16),
    ]

    func run() {
        let table = Table(columns: [("task", 22), ("ours tok/s", 11), ("torch tok/s", 12), ("ratio", 6), ("ours MFU", 9), ("torch MFU", 10), ("ours MB", 8), ("torch MB", 9)])
        print(table.header())
        for c in Self.cases {
            let arguments = [c.task, "--size", c.size.name, "--batch", "\(c.batch)"] + (c.task == "train" ? ["--steps", "\(steps)"] : ["--repetitions", "3"])
            let ours = Self.launch(CommandLine.arguments[0], ["worker"] + arguments)
            let torch = Self.launch(python, [Self.scriptPath] + arguments + PyTorchSide.threadArguments)
            let mfu = { (r: WorkerResult?) -> String in
                guard c.task == "train", let r else { return "-" }
                return format(100 * 6 * Double(c.size.flopParameters) * r.tokens_per_second / (peakGFLOPs * 1e9), 1) + "%"
            }
            print(table.row([
                "\(c.task) \(c.size.name) batch \(c.batch)",
                ours.map { format($0.tokens_per_second, 0) } ?? "failed", torch.map { format($0.tokens_per_second, 0) } ?? "n/a",
                ours.flatMap { o in torch.map { format(o.tokens_per_second / $0.tokens_per_second) } } ?? "-",
                mfu(ours), mfu(torch),
                ours.map { format($0.peak_memory_mb, 0) } ?? "-", torch.map { format($0.peak_memory_mb, 0) } ?? "-",
            ]))
        }
        print("\nMFU = 6·N·tokens/s over the SGEMM peak measured above (\(format(peakGFLOPs, 1)) GFLOP/s); N excludes the position table and counts the tied embedding once.")
    }

    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/bench_torch_gpt.py").path
    }

    /// Runs a worker and decodes the JSON object on its last output line.
    static func launch(_ executable: String, _ arguments: [String]) -> WorkerResult? {
        launchRaw(executable, arguments).flatMap { try? JSONDecoder().decode(WorkerResult.self, from: Data($0.utf8)) }
    }

    /// Runs a program and returns the last line it printed, or nil (said on standard error) when it fails.
    static func launchRaw(_ executable: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            FileHandle.standardError.write(Data("cannot start \(executable): \(error)\n".utf8))
            return nil
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last else {
            FileHandle.standardError.write(Data("\(executable) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)\n".utf8))
            return nil
        }
        return String(line)
    }
}
