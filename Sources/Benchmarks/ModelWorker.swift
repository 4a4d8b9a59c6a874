// One measurement of our GPT in this process: training steps (forward, backward, clipping,
// AdamW) or KV-cache generation, printed as one JSON line with the peak resident memory.
import Foundation
import Kernels
import Optimization
import Randomness
import Tensors
import Transformer

/// What a model worker measures: training steps or KV-cache generation.
enum ModelWorkerTask: String, CaseIterable {
    case train, generate
}

enum ModelWorker {
    /// One measurement (ModelWorkerCommand parses the options).
    static func run(task: ModelWorkerTask, size: ModelSize, batch: Int, steps: Int, repetitions: Int) throws {
        let result: (tokensPerSecond: Double, stepSeconds: Double)
        switch task {
        case .train: result = try train(size, batch: batch, steps: steps)
        case .generate: result = try generate(size, batch: batch, repetitions: repetitions)
        }
        let json: [String: Any] = ["tokens_per_second": result.tokensPerSecond, "step_seconds": result.stepSeconds, "peak_memory_mb": PeakMemory.megabytes()]
        print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
    }

    static func train(_ size: ModelSize, batch: Int, steps: Int) throws -> (Double, Double) {
        let model = try GPT(configuration: GPTConfiguration(vocabularySize: size.vocabulary, contextLength: size.context, width: size.width, layers: size.layers, heads: size.heads))
        model.initialize(seed: 0)
        let optimizer = try AdamW(parameters: model.parameters, configuration: AdamWConfiguration(learningRate: 3e-4))
        var generator = RandomGenerator(seed: 0)
        let tokens = (0..<(batch * (size.context + 1))).map { _ in Int32(generator.integer(in: 0..<size.vocabulary)) }
        let rows = (0..<batch).map { Array(tokens[($0 * (size.context + 1))..<(($0 + 1) * (size.context + 1))]) }
        let input = try TokenBatch(rows: rows.map { Array($0.dropLast()) })
        let targets = rows.flatMap { $0.dropFirst() }
        var times: [Double] = []
        for step in 0..<(steps + 2) {
            let start = Clock.now()
            model.parameters.zeroGradients()
            let tape = Tape()
            let loss = try model.logits(model.hiddenStates(input, tape: tape), tape: tape).crossEntropy(targets: targets)
            try tape.backward(from: loss)
            GradientClipping.clip(model.parameters, maxNorm: 1)
            optimizer.step()
            if step >= 2 { times.append(Clock.now() - start) }
        }
        let median = Measurement(seconds: times).median
        return (Double(batch * size.context) / median, median)
    }

    static func generate(_ size: ModelSize, batch: Int, repetitions: Int) throws -> (Double, Double) {
        let (promptLength, new) = (32, 128)
        let model = try GPT(configuration: GPTConfiguration(vocabularySize: size.vocabulary, contextLength: max(size.context, promptLength + new), width: size.width, layers: size.layers, heads: size.heads))
        model.initialize(seed: 0)
        var generator = RandomGenerator(seed: 0)
        let prompts = (0..<batch).map { _ in (0..<promptLength).map { _ in Int32(generator.integer(in: 0..<size.vocabulary)) } }
        let parameters = SamplingParameters(temperature: 1, maxNewTokens: new)
        let measurement = try Clock.measure(repetitions: repetitions) {
            _ = try model.generate(prompts: prompts, parameters: parameters, generator: &generator)
        }
        return (Double(batch * new) / measurement.median, measurement.median / Double(new))
    }
}

enum BenchmarkError: Error, CustomStringConvertible {
    case usage(String)
    case noPyTorch(python: String, reason: String)
    var description: String {
        switch self {
        case let .usage(text): return "usage: rlhf-bench \(text)"
        case let .noPyTorch(python, reason):
            return "\(python) cannot import torch (\(reason)): give --python PATH to a Python with scripts/requirements.txt installed "
                + "(scripts/setup-python.sh makes .venv); a table with no PyTorch side has no ratio to show"
        }
    }
}

/// The PyTorch side of a comparison: runs with as many threads as ours, so that a ratio compares
/// the same machine's worth of work.
enum PyTorchSide {
    static var threadArguments: [String] { ["--threads", "\(Parallel.threadCount)"] }

    /// Throws unless `python` starts and imports torch.
    static func require(_ python: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import torch"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw BenchmarkError.noPyTorch(python: python, reason: "cannot start it: \(error.localizedDescription)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw BenchmarkError.noPyTorch(python: python, reason: message.split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)")
        }
    }
}
