// One PPO iteration phase by phase (rollout, scoring, reference log-probabilities, optimisation)
// at the demo's sizes, beside the same iteration in PyTorch (scripts/bench_torch_ppo.py), each
// in its own process.
import Foundation
import LanguageModeling
import PolicyOptimization
import Randomness
import RewardModeling
import Tensors
import Tokenization
import TrainingRuns
import Transformer

struct PPOBenchmark {
    let python: String
    let iterations: Int

    static let configuration = GPTConfiguration(vocabularySize: 4096, contextLength: 128, width: 192, layers: 4, heads: 4, endOfTextToken: 4095)

    func run() {
        let ours = Self.launch(CommandLine.arguments[0], ["ppo-worker", "--iterations", "\(iterations)"])
        let script = URL(fileURLWithPath: ModelBenchmark.scriptPath).deletingLastPathComponent().appendingPathComponent("bench_torch_ppo.py").path
        let torch = Self.launch(python, [script, "--iterations", "\(iterations)"])
        let table = Table(columns: [("phase", 24), ("ours s", 9), ("torch s", 9), ("speed-up", 9)])
        print(table.header())
        for phase in ["rollout", "scoring", "reference", "optimization", "total"] {
            let a = ours?[phase], b = torch?[phase]
            print(table.row([phase, a.map { format($0, 3) } ?? "failed", b.map { format($0, 3) } ?? "n/a",
                             a.flatMap { a in b.map { format($0 / a, 1) + "x" } } ?? "-"]))
        }
        print("\nSizes: vocab 4096, width 192, 4 layers, 4 heads; 64 prompts of 8 tokens, 24 new tokens; 4 epochs × 4 minibatches; separate value model; reward model of the same size.")
    }

    static func launch(_ executable: String, _ arguments: [String]) -> [String: Double]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return object.compactMapValues { $0 as? Double }
    }
}

/// Scores with a scalar head on a network at each sequence's last token.
struct NetworkScorer: ResponseScorer {
    let network: GPT
    let head: ScalarHead
    func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] {
        let batch = try SequenceBatch(prompts: prompts, responses: responses, padding: 0)
        let values = try head(network.hiddenStates(batch.input, tape: nil), tape: nil)
        return try values.gathered(at: batch.lastTokenPositions).scalars.map(Double.init)
    }
}

enum PPOWorker {
    static func run(iterations: Int) throws {
        let c = PPOBenchmark.configuration
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: ["benchmark text for a tokenizer"])
        let policy = try GPT(configuration: c), value = try GPT(configuration: c), reward = try GPT(configuration: c)
        for (network, seed) in [(policy, UInt64(0)), (value, 1), (reward, 2)] { network.initialize(seed: seed) }
        let valueHead = ScalarHead(width: c.width), rewardHead = ScalarHead(width: c.width)
        valueHead.initialize(seed: 3)
        rewardHead.initialize(seed: 4)
        var ppo = PPOConfiguration()
        (ppo.iterations, ppo.batchSize, ppo.responseLength, ppo.epochs, ppo.minibatches) = (iterations + 1, 64, 24, 4, 4)
        ppo.loggedSamples = 0  // the stand-in tokenizer cannot decode the random vocabulary
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-ppo-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = RandomGenerator(seed: 1)
        let prompts = (0..<256).map { _ in (0..<8).map { _ in Int32(generator.integer(in: 0..<4000)) } }
        let trainer = try PPOTrainer(
            models: PolicyModels(policy: LanguageModel(network: policy, tokenizer: tokenizer), value: .network(value, head: valueHead), temperature: ppo.temperature),
            scorer: NetworkScorer(network: reward, head: rewardHead), prompts: prompts, configuration: ppo, run: RunFolder(folder))
        var phases: [String: [Double]] = [:]
        for index in 0...iterations {
            let times = try trainer.iterate().times
            guard index > 0 else { continue }
            phases["rollout", default: []].append(times.generation + times.policyForward)
            phases["scoring", default: []].append(times.scoring)
            phases["reference", default: []].append(times.reference)
            phases["optimization", default: []].append(times.optimization)
        }
        var result = phases.mapValues { Measurement(seconds: $0).median }
        result["total"] = result.values.reduce(0, +)
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    }
}
