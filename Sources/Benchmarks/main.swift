// rlhf-bench: speed measured in one run and printed as ratios.
//   rlhf-bench engine [--repetitions N]        SGEMM through the engine vs direct OpenBLAS; fused kernels vs naive loops
//   rlhf-bench model [--python PATH] [--steps N]   GPT training and generation vs PyTorch on this machine
//   rlhf-bench ppo [--python PATH] [--iterations N] [--model FILE.gguf]  one PPO iteration phase by phase vs PyTorch
//                                                    (with --model: PPO-LoRA on that model vs PyTorch + PEFT)
//   rlhf-bench smollm2 [--python PATH] [--model FILE.gguf] [--repetitions N]  SmolLM2-135M vs PyTorch + PEFT
//   rlhf-bench data-parallel [--model FILE.gguf] [--steps N]  2 Open MPI ranks × 1 thread vs 1 process × 2 threads
import Foundation
import Kernels

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ flag: String) -> String? {
    arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let repetitions = option("--repetitions").flatMap(Int.init) ?? 15

do {
    switch arguments.first ?? "engine" {
    case "engine":
        print("Engine benchmark, \(MachineLoad.summary)")
        print("\nSGEMM: engine vs direct cblas_sgemm (goal: ratio ≥ 0.95), medians of \(repetitions)\n")
        let ratios = MatrixProductBenchmark(repetitions: repetitions).run()
        print("\nFused kernels vs naive references, forward + backward\n")
        _ = KernelBenchmark(repetitions: repetitions).run()
        let worst = ratios.values.min() ?? 0
        print("\nLowest engine/direct SGEMM ratio: \(format(worst)) (\(worst >= 0.95 ? "meets" : "below") the 0.95 goal); \(MachineLoad.summary)")
    case "model":
        try PyTorchSide.require(option("--python") ?? ".venv/bin/python")
        print("GPT benchmark against PyTorch, \(MachineLoad.summary)")
        let peak = MatrixProductBenchmark.peakGFLOPs()
        print("OpenBLAS SGEMM peak (1024³, \(Parallel.threadCount) threads): \(format(peak, 1)) GFLOP/s\n")
        ModelBenchmark(python: option("--python") ?? ".venv/bin/python", steps: option("--steps").flatMap(Int.init) ?? 10, peakGFLOPs: peak).run()
        print("\n\(MachineLoad.summary)")
    case "ppo":
        try PyTorchSide.require(option("--python") ?? ".venv/bin/python")
        let model = option("--model")
        print("PPO\(model == nil ? "" : "-LoRA") iteration against PyTorch\(model == nil ? "" : " + PEFT"), \(MachineLoad.summary)\n")
        PPOBenchmark(python: option("--python") ?? ".venv/bin/python", iterations: option("--iterations").flatMap(Int.init) ?? (model == nil ? 3 : 2), model: model).run()
        print("\n\(MachineLoad.summary)")
    case "ppo-worker":
        try PPOWorker.run(iterations: option("--iterations").flatMap(Int.init) ?? 3, model: option("--model"))
    case "smollm2":
        try PyTorchSide.require(option("--python") ?? ".venv/bin/python")
        print("SmolLM2-135M against PyTorch + transformers + PEFT, \(MachineLoad.summary)")
        SmolLM2Benchmark(
            python: option("--python") ?? ".venv/bin/python", model: option("--model") ?? "data/models/SmolLM2-135M-Instruct.Q4_1.gguf",
            repetitions: option("--repetitions").flatMap(Int.init) ?? 3).run()
        print("\n\(MachineLoad.summary)")
    case "data-parallel":
        print("Data-parallel training: mpirun -np 2 (1 thread each) against one process (2 threads), \(MachineLoad.summary)\n")
        let rlhf = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rlhf").path
        try DataParallelBenchmark(
            rlhf: rlhf, smolLM2: option("--model") ?? "data/models/SmolLM2-135M-Instruct.Q4_1.gguf",
            steps: option("--steps").flatMap(Int.init) ?? 12).run()
        print("\n\(MachineLoad.summary)")
    case "smollm2-worker":
        try SmolLM2Worker.run(Array(arguments.dropFirst()))
    case "worker":
        try ModelWorker.run(Array(arguments.dropFirst()))
    case "--help", "-h", "help":
        print("""
            usage: rlhf-bench engine [--repetitions N]          SGEMM through the engine vs direct OpenBLAS; fused kernels vs naive loops
                   rlhf-bench model [--python PATH] [--steps N]  GPT training and generation vs PyTorch on this machine
                   rlhf-bench ppo [--python PATH] [--iterations N] [--model FILE.gguf]  one PPO iteration phase by phase vs PyTorch;
                                  with --model, PPO-LoRA on that model (e.g. data/models/SmolLM2-135M-Instruct.Q4_1.gguf) vs PyTorch + PEFT
                   rlhf-bench smollm2 [--python PATH] [--model FILE.gguf] [--repetitions N]  SmolLM2-135M forward, LoRA step and generation vs PyTorch + PEFT
                   rlhf-bench data-parallel [--model FILE.gguf] [--steps N]  mpirun -np 2 × 1 thread vs 1 process × 2 threads, and a scaling model
            PATH is a Python with scripts/requirements.txt installed (scripts/setup-python.sh makes .venv).
            """)
    case let other:
        throw BenchmarkError.usage("engine | model | ppo | smollm2 | data-parallel (unknown suite '\(other)')")
    }
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
