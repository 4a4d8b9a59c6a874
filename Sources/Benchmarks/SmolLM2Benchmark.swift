// SmolLM2-135M against PyTorch + transformers + PEFT on this machine, in one run: a forward pass
// and a LoRA training step at batch 8 × 128, greedy generation at batch 1 and 16, each phase in
// its own process on both sides (ours: `smollm2-worker`; theirs: scripts/bench_torch_smollm2.py,
// f32 weights dequantised from the same GGUF file) so each peak memory is the phase's own.
import Foundation

struct SmolLM2Benchmark {
    let python: String
    let model: String
    let repetitions: Int

    struct TorchResults: Decodable {
        let forward_tokens_per_second, lora_step_tokens_per_second: Double
        let generate_b1_tokens_per_second, generate_b16_tokens_per_second: Double
        let peak_rss_mb: [String: Double]
    }

    /// Phase, the goal ratio, and the PyTorch figure of that phase.
    static let phases: [(name: String, label: String, goal: Double, torch: @Sendable (TorchResults) -> Double)] = [
        ("forward", "forward, batch 8 × 128", 1.2, \.forward_tokens_per_second),
        ("lora", "LoRA step, batch 8 × 128", 1.4, \.lora_step_tokens_per_second),
        ("generate-b1", "generate, batch 1", 5, \.generate_b1_tokens_per_second),
        ("generate-b16", "generate, batch 16", 3, \.generate_b16_tokens_per_second),
    ]

    func run() {
        print("PyTorch side (scripts/bench_torch_smollm2.py, a few minutes)…")
        let torch = launchTorch()
        let bandwidth = MemoryBandwidth.measure()
        print("memory read bandwidth, \(ProcessInfo.processInfo.activeProcessorCount) threads: \(format(bandwidth, 1)) GB/s\n")
        let table = Table(columns: [("phase", 26), ("ours tok/s", 11), ("torch tok/s", 12), ("ratio", 6), ("goal", 5), ("ours MB", 8), ("torch MB", 9), ("MB ratio", 8)])
        print(table.header())
        var decodeSeconds: Double?
        for phase in Self.phases {
            let ours = ModelBenchmark.launch(CommandLine.arguments[0], ["smollm2-worker", phase.name, "--model", model, "--repetitions", "\(repetitions)"])
            if phase.name == "generate-b1", let ours { decodeSeconds = 1 / ours.tokens_per_second }
            let theirs = torch.map(phase.torch), theirMemory = torch?.peak_rss_mb[phase.name]
            print(table.row([
                phase.label, ours.map { format($0.tokens_per_second, 1) } ?? "failed", theirs.map { format($0, 1) } ?? "n/a",
                ours.flatMap { o in theirs.map { format(o.tokens_per_second / $0) } } ?? "-", "≥\(format(phase.goal, 1))",
                ours.map { format($0.peak_memory_mb, 0) } ?? "-", theirMemory.map { format($0, 0) } ?? "-",
                ours.flatMap { o in theirMemory.map { format(o.peak_memory_mb / $0) } } ?? "-",
            ]))
        }
        if let decodeSeconds {
            let bytes = SmolLM2Benchmark.decodeBytesPerToken(model: model)
            print("\nBatch-1 decoding reads \(format(bytes / 1e6, 0)) MB of weights per token: \(format(bytes / decodeSeconds / 1e9, 1)) GB/s, "
                  + "\(format(100 * bytes / decodeSeconds / 1e9 / bandwidth, 0))% of the measured bandwidth (f32 weights would cap it at \(format(bandwidth * 1e9 / 538e6, 0)) tokens/s, these at \(format(bandwidth * 1e9 / bytes, 0))).")
        }
        print("Goals: forward ≥ 1.2×, LoRA step ≥ 1.4×, generation ≥ 5× (batch 1) and ≥ 3× (batch 16), peak memory ≤ ½ (MB ratio ≤ 0.5).")
    }

    /// The bytes of weights one decoding step reads, as the worker reports them.
    static func decodeBytesPerToken(model: String) -> Double {
        let result = ModelBenchmark.launchRaw(CommandLine.arguments[0], ["smollm2-worker", "weight-bytes", "--model", model])
        return result.flatMap { Double($0) } ?? 538e6
    }

    private func launchTorch() -> TorchResults? {
        let script = URL(fileURLWithPath: ModelBenchmark.scriptPath).deletingLastPathComponent().appendingPathComponent("bench_torch_smollm2.py").path
        guard let line = ModelBenchmark.launchRaw(python, [script, model] + PyTorchSide.threadArguments) else { return nil }
        return try? JSONDecoder().decode(TorchResults.self, from: Data(line.utf8))
    }
}

/// Read bandwidth of main memory: sums a buffer far larger than the caches with every core.
enum MemoryBandwidth {
    static func measure(megabytes: Int = 1024) -> Double {
        let count = megabytes << 18
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1)
        nonisolated(unsafe) let base = buffer.baseAddress!
        let threads = ProcessInfo.processInfo.activeProcessorCount, share = count / threads
        let seconds = Clock.measure(repetitions: 5) {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                var sum = SIMD8<Float>()
                let start = base + t * share
                for i in stride(from: 0, to: share - 7, by: 8) { sum += UnsafeRawPointer(start + i).loadUnaligned(as: SIMD8<Float>.self) }
                if sum.sum() == -1 { print("") }
            }
        }.minimum
        return Double(count * 4) / seconds / 1e9
    }
}
