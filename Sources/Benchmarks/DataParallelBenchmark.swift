// Data-parallel training on this machine: the same training run as one process with two threads
// and as two Open MPI ranks with one thread each (`mpirun -np 2`), for the demo's GPT and for a
// LoRA fine-tune of SmolLM2, in one run; then, from the measured step time and all-reduce
// volume, how a step would scale over N machines on 1, 10 and 100 Gbit/s networks.
import DataParallel
import Foundation
import Tokenization

struct DataParallelBenchmark {
    let rlhf: String
    let smolLM2: String
    let steps: Int

    struct Job {
        let name: String
        let arguments: (URL) -> [String]
    }

    struct Result {
        var tokensPerSecond: Double
        var megabytesPerStep: Double?
        var collectiveShare: Double?
        /// Wall-clock seconds of the training loop, as the root rank prints them.
        var trainingSeconds: Double?
    }

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-data-parallel-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jobs = try prepare(folder)
        let table = Table(columns: [("job", 34), ("1 × 2 threads", 14), ("2 ranks × 1", 12), ("ratio", 6), ("MB/step", 8), ("collectives", 11)])
        print(table.header())
        var measured: [(Job, Result, Double)] = []
        for job in jobs {
            // Alternated, so both see the same machine; the faster of two runs of each counts.
            var single: [Result] = [], parallel: [Result] = []
            for _ in 0..<2 {
                single.append(try launch(job, ranks: 1, in: folder))
                parallel.append(try launch(job, ranks: 2, in: folder))
            }
            let one = single.max { $0.tokensPerSecond < $1.tokensPerSecond }!, two = parallel.max { $0.tokensPerSecond < $1.tokensPerSecond }!
            print(table.row([
                job.name, format(one.tokensPerSecond, 0) + " tok/s", format(two.tokensPerSecond, 0) + " tok/s",
                format(two.tokensPerSecond / one.tokensPerSecond), two.megabytesPerStep.map { format($0, 1) } ?? "-",
                two.collectiveShare.map { format(100 * $0, 1) + "%" } ?? "-",
            ]))
            measured.append((job, two, one.tokensPerSecond))
        }
        print("\nScaling model: a step of one machine's tokens takes the measured 1 × 2-thread time t; over N machines each computes")
        print("t/N of it and a ring all-reduce moves 2(N−1)/N × the gradient bytes per machine. Share of the step spent in the all-reduce:")
        let scaling = Table(columns: [("job", 34), ("N", 4), ("1 Gbit/s", 9), ("10 Gbit/s", 10), ("100 Gbit/s", 11)])
        print(scaling.header())
        for (job, result, tokensPerSecond) in measured {
            guard let megabytes = result.megabytesPerStep, let seconds = result.trainingSeconds else { continue }
            // One process's step time: the two ranks' step time scaled by their speed ratio.
            let stepSeconds = seconds / Double(steps) * result.tokensPerSecond / tokensPerSecond
            for machines in [2, 8, 64] {
                let shares = [1.0, 10, 100].map { gigabits in
                    let reduce = 2 * Double(machines - 1) / Double(machines) * megabytes * 8 / (gigabits * 1000)
                    return format(100 * reduce / (reduce + stepSeconds / Double(machines)), 0) + "%"
                }
                print(scaling.row([job.name, "\(machines)"] + shares))
            }
        }
    }

    /// A tokenizer and corpus for the demo GPT, and demonstrations for SmolLM2.
    private func prepare(_ folder: URL) throws -> [Job] {
        let text = try String(contentsOf: URL(fileURLWithPath: "data/corpus/austen/prideprejudice.txt"), encoding: .utf8)
        let paragraphs = text.components(separatedBy: "\n\n").filter { $0.count > 40 }
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 4096)).train(on: Array(paragraphs.prefix(1500)))
        try tokenizer.save(to: folder.appendingPathComponent("tokenizer"))
        try Data(text.utf8).write(to: folder.appendingPathComponent("corpus.txt"))
        let settings = #""steps": \#(steps), "warmupSteps": 2, "evaluationInterval": 0, "checkpointInterval": 0, "logInterval": 1"#
        try Data(#"{"model": {"contextLength": 128, "width": 192, "layers": 4, "heads": 4}, "optimization": {"batchSize": 16, \#(settings)}}"#.utf8)
            .write(to: folder.appendingPathComponent("pretrain.json"))
        try Data(#"{"heldOutPeriod": 1000, "optimization": {"batchSize": 8, \#(settings)}}"#.utf8).write(to: folder.appendingPathComponent("sft.json"))
        // Long answers, so each row fills most of the 128-token rows the step reads.
        let demonstrations = paragraphs.dropFirst(100).prefix(64).map { paragraph -> String in
            let object = ["prompt": "Continue the story.", "completion": String(paragraph.prefix(400))]
            return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        try Data((demonstrations.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("demonstrations.jsonl"))
        return [
            Job(name: "pretrain demo GPT (batch 16 × 128)") { run in
                ["pretrain", "--tokenizer", folder.appendingPathComponent("tokenizer").path, "--corpus", folder.appendingPathComponent("corpus.txt").path,
                 "--config", folder.appendingPathComponent("pretrain.json").path, "--output", run.path]
            },
            Job(name: "SmolLM2 LoRA r8 SFT (batch 8 × ≤128)") { run in
                ["sft", "--model", smolLM2, "--lora-rank", "8", "--data", folder.appendingPathComponent("demonstrations.jsonl").path,
                 "--config", folder.appendingPathComponent("sft.json").path, "--output", run.path]
            },
        ]
    }

    /// Runs `job` to the end; its speed is the median tokens/s of the steps after the first two.
    private func launch(_ job: Job, ranks: Int, in folder: URL) throws -> Result {
        let run = folder.appendingPathComponent("run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        let process = Process()
        var environment = ProcessInfo.processInfo.environment
        if ranks == 1 {
            process.executableURL = URL(fileURLWithPath: rlhf)
            process.arguments = job.arguments(run)
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
            process.arguments = ["-np", "\(ranks)", rlhf] + job.arguments(run)
            environment = Communicator.mpirunEnvironment(environment)
        }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkError.usage("\(job.name) on \(ranks) rank(s) failed:\n\(printed)") }
        let rates = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["tokens_per_second"] as? Double
        }.dropFirst(2).sorted()
        guard !rates.isEmpty else { throw BenchmarkError.usage("\(job.name) logged no speed") }
        var result = Result(tokensPerSecond: rates[rates.count / 2])
        // "data-parallel: 2 ranks × 1 threads; 10.4 MB summed per step; 0.52 s of 30.1 s in collectives (1.7%)"
        if let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("data-parallel:") }) {
            let numbers = line.split(whereSeparator: { " ;()%".contains($0) }).compactMap { Double($0) }
            if numbers.count >= 6 { (result.megabytesPerStep, result.trainingSeconds, result.collectiveShare) = (numbers[2], numbers[4], numbers[5] / 100) }
        }
        return result
    }
}
