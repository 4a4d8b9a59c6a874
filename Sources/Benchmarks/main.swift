// rlhf-bench: speed measured in one run and printed as ratios (ours vs direct OpenBLAS, fused
// kernels vs naive loops). Usage: rlhf-bench engine [--repetitions N]
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let suite = arguments.first ?? "engine"
let repetitions = arguments.firstIndex(of: "--repetitions").flatMap { Int(arguments[safe: $0 + 1] ?? "") } ?? 15

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

switch suite {
case "engine":
    print("Engine benchmark, \(MachineLoad.summary), OpenBLAS threads \(ProcessInfo.processInfo.activeProcessorCount)")
    print("\nSGEMM: engine vs direct cblas_sgemm (goal: ratio ≥ 0.95), medians of \(repetitions)\n")
    let ratios = MatrixProductBenchmark(repetitions: repetitions).run()
    print("\nFused kernels vs naive references, forward + backward\n")
    _ = KernelBenchmark(repetitions: repetitions).run()
    let worst = ratios.values.min() ?? 0
    print("\nLowest engine/direct SGEMM ratio: \(format(worst)) (\(worst >= 0.95 ? "meets" : "below") the 0.95 goal); \(MachineLoad.summary)")
default:
    FileHandle.standardError.write(Data("unknown benchmark suite '\(suite)'; available: engine\n".utf8))
    exit(2)
}
