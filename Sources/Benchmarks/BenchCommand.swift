// rlhf-bench: speed measured in one run and printed as ratios.
//   rlhf-bench engine [--repetitions N]        SGEMM through the engine vs direct OpenBLAS; fused kernels vs naive loops
//   rlhf-bench model [--python PATH] [--steps N]   GPT training and generation vs PyTorch on this machine
//   rlhf-bench ppo [--python PATH] [--iterations N] [--model FILE.gguf]  one PPO iteration phase by phase vs PyTorch
//                                                    (with --model: PPO-LoRA on that model vs PyTorch + PEFT)
//   rlhf-bench smollm2 [--python PATH] [--model FILE.gguf] [--repetitions N]  SmolLM2-135M vs PyTorch + PEFT
//   rlhf-bench data-parallel [--model FILE.gguf] [--steps N]  2 Open MPI ranks × 1 thread vs 1 process × 2 threads
// Every suite's and worker's options are parsed here, by ArgumentParser: an unknown option, a
// missing value or one that is not a positive count is a usage error naming the option (exit
// status 64) before anything runs, never a run with the defaults.
import ArgumentParser
import Foundation
import Kernels
import Transformer

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlhf-bench",
        abstract: "Speed measured in one run and printed as ratios (default suite: engine).",
        subcommands: [
            EngineSuite.self, ModelSuite.self, PPOSuite.self, SmolLM2Suite.self, DataParallelSuite.self,
            ModelWorkerCommand.self, PPOWorkerCommand.self, SmolLM2WorkerCommand.self,
        ],
        defaultSubcommand: EngineSuite.self)
}

/// A count option's value: a whole number of at least 1, else a usage error naming the option.
func positiveCount(_ text: String) throws -> Int {
    guard let value = Int(text), value > 0 else { throw ValidationError("expected a whole number of at least 1") }
    return value
}

/// The Python of the PyTorch side.
struct PythonOption: ParsableArguments {
    @Option(help: ArgumentHelp("A Python with scripts/requirements.txt installed (scripts/setup-python.sh makes .venv).", valueName: "path"))
    var python = ".venv/bin/python"
}

let smolLM2File = "data/models/SmolLM2-135M-Instruct.Q4_1.gguf"

struct EngineSuite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "SGEMM through the engine vs direct OpenBLAS; fused kernels vs naive loops.")

    @Option(help: "Timed repetitions of each measurement (medians are shown).", transform: positiveCount)
    var repetitions = 15

    func run() throws {
        print("Engine benchmark, \(MachineLoad.summary)")
        print("\nSGEMM: engine vs direct cblas_sgemm (goal: ratio ≥ 0.95), medians of \(repetitions)\n")
        let ratios = MatrixProductBenchmark(repetitions: repetitions).run()
        print("\nFused kernels vs naive references, forward + backward\n")
        _ = KernelBenchmark(repetitions: repetitions).run()
        let worst = ratios.values.min() ?? 0
        print("\nLowest engine/direct SGEMM ratio: \(format(worst)) (\(worst >= 0.95 ? "meets" : "below") the 0.95 goal); \(MachineLoad.summary)")
    }
}

struct ModelSuite: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "GPT training and generation vs PyTorch on this machine.")

    @OptionGroup var python: PythonOption

    @Option(help: "Timed training steps.", transform: positiveCount)
    var steps = 10

    func run() throws {
        try PyTorchSide.require(python.python)
        print("GPT benchmark against PyTorch, \(MachineLoad.summary)")
        let peak = MatrixProductBenchmark.peakGFLOPs()
        print("OpenBLAS SGEMM peak (1024³, \(Parallel.threadCount) threads): \(format(peak, 1)) GFLOP/s\n")
        ModelBenchmark(python: python.python, steps: steps, peakGFLOPs: peak).run()
        print("\n\(MachineLoad.summary)")
    }
}

struct PPOSuite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo",
        abstract: "One PPO iteration phase by phase vs PyTorch; with --model, PPO-LoRA on that model vs PyTorch + PEFT.")

    @OptionGroup var python: PythonOption

    @Option(help: "Timed iterations (default 3, with --model 2).", transform: positiveCount)
    var iterations: Int?

    @Option(help: ArgumentHelp("A GGUF model for PPO-LoRA, e.g. \(smolLM2File).", valueName: "file.gguf"))
    var model: String?

    func run() throws {
        try PyTorchSide.require(python.python)
        print("PPO\(model == nil ? "" : "-LoRA") iteration against PyTorch\(model == nil ? "" : " + PEFT"), \(MachineLoad.summary)\n")
        PPOBenchmark(python: python.python, iterations: iterations ?? (model == nil ? 3 : 2), model: model).run()
        print("\n\(MachineLoad.summary)")
    }
}

struct SmolLM2Suite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smollm2", abstract: "SmolLM2-135M forward, LoRA step and generation vs PyTorch + transformers + PEFT.")

    @OptionGroup var python: PythonOption

    @Option(help: ArgumentHelp("The SmolLM2-135M-Instruct GGUF file.", valueName: "file.gguf"))
    var model = smolLM2File

    @Option(help: "Timed repetitions of each phase (medians are shown).", transform: positiveCount)
    var repetitions = 3

    func run() throws {
        try PyTorchSide.require(python.python)
        print("SmolLM2-135M against PyTorch + transformers + PEFT, \(MachineLoad.summary)")
        SmolLM2Benchmark(python: python.python, model: model, repetitions: repetitions).run()
        print("\n\(MachineLoad.summary)")
    }
}

struct DataParallelSuite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data-parallel",
        abstract: "mpirun -np 2 × 1 thread vs 1 process × 2 threads, and a scaling model.")

    @Option(help: ArgumentHelp("The SmolLM2-135M-Instruct GGUF file of the LoRA job.", valueName: "file.gguf"))
    var model = smolLM2File

    @Option(help: "Training steps of each run.", transform: positiveCount)
    var steps = 12

    func run() throws {
        print("Data-parallel training: mpirun -np 2 (1 thread each) against one process (2 threads), \(MachineLoad.summary)\n")
        let rlhf = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rlhf").path
        try DataParallelBenchmark(rlhf: rlhf, smolLM2: model, steps: steps).run()
        print("\n\(MachineLoad.summary)")
    }
}

// The workers: one measurement in a process of its own, launched by the suites above.

struct ModelWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "One measurement of our GPT, printed as one JSON line (run by the model suite).", shouldDisplay: false)

    @Argument(help: "What to measure.")
    var task: ModelWorkerTask

    @Option(help: "The model's size.")
    var size = ModelSize.small

    @Option(help: "Rows in a batch.", transform: positiveCount)
    var batch = 16

    @Option(help: "Timed training steps.", transform: positiveCount)
    var steps = 10

    @Option(help: "Timed generations.", transform: positiveCount)
    var repetitions = 3

    func run() throws {
        try ModelWorker.run(task: task, size: size, batch: batch, steps: steps, repetitions: repetitions)
    }
}

struct PPOWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo-worker", abstract: "One PPO run's phase medians, printed as one JSON line (run by the ppo suite).", shouldDisplay: false)

    @Option(help: "Timed iterations.", transform: positiveCount)
    var iterations = 3

    @Option(help: ArgumentHelp("A GGUF model for PPO-LoRA.", valueName: "file.gguf"))
    var model: String?

    func run() throws {
        try PPOWorker.run(iterations: iterations, model: model)
    }
}

struct SmolLM2WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smollm2-worker", abstract: "One phase of SmolLM2-135M, printed as one JSON line (run by the smollm2 suite).",
        shouldDisplay: false)

    @Argument(help: "What to measure (weight-bytes: the bytes of weights a decoding step reads).")
    var phase: SmolLM2Phase

    @Option(help: ArgumentHelp("The SmolLM2-135M-Instruct GGUF file.", valueName: "file.gguf"))
    var model: String

    @Option(help: "Timed repetitions.", transform: positiveCount)
    var repetitions = 3

    @Flag(help: "Hold the weights as a model trained in full does (f32, here all frozen) instead of only in the file's blocks.")
    var f32 = false

    @Option(help: "compact (default) or f32: f32 keeps the file's blocks beside the f32 matrices, as the demo does.")
    var frozenMatrices: FrozenMatrices?

    // --f32 loads every weight as a trainable f32 matrix, so there are no frozen matrices for
    // --frozen-matrices to shape: taking both would measure something neither option names.
    func validate() throws {
        if f32, let frozenMatrices {
            throw ValidationError("--f32 and --frozen-matrices \(frozenMatrices.rawValue) cannot be combined: --f32 holds every weight as f32 already; --frozen-matrices chooses how frozen weights are held without it")
        }
    }

    func run() throws {
        try SmolLM2Worker.run(phase: phase, model: model, repetitions: repetitions, f32: f32, frozenMatrices: frozenMatrices ?? .compact)
    }
}

extension FrozenMatrices: ExpressibleByArgument {}
extension ModelWorkerTask: ExpressibleByArgument {}
extension SmolLM2Phase: ExpressibleByArgument {}

extension ModelSize: ExpressibleByArgument {
    init?(argument: String) {
        guard let size = Self.named(argument) else { return nil }
        self = size
    }

    var defaultValueDescription: String { name }
    static var allValueStrings: [String] { [small.name, medium.name] }
}
