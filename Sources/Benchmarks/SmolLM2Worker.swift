// One measurement of SmolLM2-135M in this process, the workload of scripts/bench_torch_smollm2.py:
// a forward pass of batch × context random tokens, one LoRA training step on them (rank 8 on every
// linear layer, AdamW on the adapters), or greedy KV-cache generation of 64 tokens after a
// 32-token prompt (batch 64 is the demo's, ours only). Prints one JSON line with the peak
// resident memory.
import Foundation
import LanguageModeling
import Optimization
import Randomness
import Tensors
import Transformer

/// Every phase `SmolLM2Worker.run` measures; weight-bytes prints the bytes of weights a decoding
/// step reads.
enum SmolLM2Phase: String, CaseIterable {
    case forward, lora
    case generateB1 = "generate-b1", generateB16 = "generate-b16", generateB64 = "generate-b64"
    case weightBytes = "weight-bytes"
}

enum SmolLM2Worker {
    /// One phase (SmolLM2WorkerCommand parses the options). `f32` (--f32) holds the
    /// weights as a model trained in full does (f32, here all frozen) instead of only in the
    /// file's blocks: the same phases on the f32 path, to compare speeds with (its peak memory also
    /// counts the gradient buffer of a trainable store). `frozenMatrices` f32 keeps the file's
    /// blocks beside the f32 matrices, as the demo and `--frozen-matrices` of the rlhf commands do.
    static func run(phase: SmolLM2Phase, model: String, repetitions: Int, f32: Bool, frozenMatrices: FrozenMatrices) throws {
        let network = try LanguageModel.load(from: URL(fileURLWithPath: model), trainable: f32, frozenMatrices: frozenMatrices).network
        if f32 { network.parameters.freeze { _ in true } }
        let (batch, context) = (8, 128)
        var generator = RandomGenerator(seed: 0)
        func tokens(_ rows: Int, _ length: Int) -> [[Int32]] {
            (0..<rows).map { _ in (0..<length).map { _ in Int32(generator.integer(in: 0..<network.vocabularySize)) } }
        }
        let seconds: Double, count: Int
        switch phase {
        case .forward:
            let input = try TokenBatch(rows: tokens(batch, context))
            seconds = try Clock.measure(repetitions: repetitions) { _ = try network.logits(network.hiddenStates(input, tape: nil), tape: nil) }.median
            count = batch * context
        case .lora:
            try network.attachAdapters(LoRAConfiguration(rank: 8, alpha: 16), seed: 0)
            let optimizer = try AdamW(parameters: network.trainableParameters, configuration: AdamWConfiguration(learningRate: 1e-4, weightDecay: 0))
            let rows = tokens(batch, context + 1)
            let input = try TokenBatch(rows: rows.map { Array($0.dropLast()) })
            let targets = rows.flatMap { $0.dropFirst() }
            seconds = try Clock.measure(repetitions: repetitions) {
                network.trainableParameters.zeroGradients()
                let tape = Tape()
                try tape.backward(from: network.crossEntropy(network.hiddenStates(input, tape: tape), targets: targets, tape: tape))
                optimizer.step()
            }.median
            count = batch * context
        case .generateB1, .generateB16, .generateB64:
            let rows = phase == .generateB1 ? 1 : phase == .generateB16 ? 16 : 64
            let prompts = tokens(rows, 32)
            let greedy = SamplingParameters(temperature: 0, maxNewTokens: 64)
            seconds = try Clock.measure(repetitions: repetitions) { _ = try network.generate(prompts: prompts, parameters: greedy, generator: &generator) }.median
            count = rows * 64
        case .weightBytes:
            // Each step reads every weight once; the tied embedding is read whole as the output head.
            print((network as? Llama)?.decodingWeightBytes ?? network.parameters.scalarCount * MemoryLayout<Float>.size)
            return
        }
        let json: [String: Any] = ["tokens_per_second": Double(count) / seconds, "step_seconds": seconds, "peak_memory_mb": PeakMemory.megabytes()]
        print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
    }
}
