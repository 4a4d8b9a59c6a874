// One PPO iteration phase by phase beside the same iteration in PyTorch, each side in its own
// process: the demo-sized GPT with a separate value network and a reward network
// (scripts/bench_torch_ppo.py), or with --model a GGUF file, LoRA on that model with a value head
// on the policy and a rule-based scorer (PPOLoRAWorker; scripts/bench_torch_ppo_lora.py, PEFT).
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
    /// A GGUF file: PPO with LoRA adapters on that model against PEFT (PPOLoRAWorker); nil: the GPT below.
    let model: String?

    static let configuration = GPTConfiguration(vocabularySize: 4096, contextLength: 128, width: 192, layers: 4, heads: 4, endOfTextToken: 4095)

    /// Each phase as both sides' JSON names it, and its label.
    static let gptPhases = [("rollout", "rollout"), ("scoring", "scoring"), ("reference", "reference"), ("optimization", "optimization")]
    static let loraPhases = [
        ("generation", "generation"), ("policy_forward", "policy forward"), ("reference", "reference (adapters off)"),
        ("scoring", "scoring (rule)"), ("optimization", "optimization"),
    ]

    func run() {
        let ours = Self.launch(CommandLine.arguments[0], ["ppo-worker", "--iterations", "\(iterations)"] + (model.map { ["--model", $0] } ?? []))
        let torch: [String: Double]?
        if let model {
            let prompts = String(decoding: (try? JSONSerialization.data(withJSONObject: PPOLoRAWorker.promptTexts)) ?? Data(), as: UTF8.self)
            torch = Self.launch(python, [Self.script("bench_torch_ppo_lora.py"), model, "--prompts", prompts, "--iterations", "\(iterations)"] + PyTorchSide.threadArguments)
        } else {
            torch = Self.launch(python, [Self.script("bench_torch_ppo.py"), "--iterations", "\(iterations)"] + PyTorchSide.threadArguments)
        }
        let table = Table(columns: [("phase", 26), ("ours s", 9), ("torch s", 9), ("speed-up", 9)])
        print(table.header())
        for (key, label) in (model == nil ? Self.gptPhases : Self.loraPhases) + [("total", "total")] {
            let a = ours?[key], b = torch?[key]
            print(table.row([label, a.map { format($0, 3) } ?? "failed", b.map { format($0, 3) } ?? "n/a",
                             a.flatMap { a in b.map { format($0 / a, 1) + "x" } } ?? "-"]))
        }
        guard model != nil else {
            print("\nSizes: vocab 4096, width 192, 4 layers, 4 heads; 64 prompts of 8 tokens, 24 new tokens; 4 epochs × 4 minibatches; separate value model; reward model of the same size.")
            return
        }
        let cell = { (side: [String: Double]?, key: String, digits: Int) in side?[key].map { format($0, digits) } ?? "-" }
        print(table.row(["peak RSS MB", cell(ours, "peak_memory_mb", 0), cell(torch, "peak_memory_mb", 0),
                         ours?["peak_memory_mb"].flatMap { o in torch?["peak_memory_mb"].map { format(o / $0) + " ratio" } } ?? "-"]))
        print(table.row(["mean response tokens", cell(ours, "mean_response_tokens", 1), cell(torch, "mean_response_tokens", 1), ""]))
        print(table.row(["mean prompt tokens", cell(ours, "mean_prompt_tokens", 1), cell(torch, "mean_prompt_tokens", 1), ""]))
        if let two = ours?["reference_reward_two_passes"], let one = ours?["reference_reward_one_pass"] {
            print(table.row(["ref. + frozen RM, 2 passes", format(two, 3), "", ""]))
            print(table.row(["ref. + frozen RM, 1 pass", format(one, 3), "", format(two / one, 1) + "x"]))
        }
        let speedUp = ours?["total"].flatMap { o in torch?["total"].map { $0 / o } }
        print("""

            SmolLM2-135M-Instruct (\(URL(fileURLWithPath: model ?? "").lastPathComponent); PyTorch in float32 dequantised from it; ours holds \
            the frozen matrices as float32 too (--frozen-matrices f32), with the file's blocks beside them for decoding), LoRA r 8 / alpha 16 \
            on q/k/v/o/gate/up/down_proj, a value head on the policy (both sides read the old log-probabilities and values off \
            the sampling pass; the PyTorch script's --separate-forward reads them by TRL's second forward); \(PPOLoRAWorker.promptTexts.count) ChatML prompts, \
            \(PPOLoRAWorker.responseLength) new tokens at temperature 0.7 (stopping at <|im_end|>); 4 epochs × 4 minibatches; \
            medians of \(iterations) iteration(s) after a warm-up. The two "ref. + frozen RM" rows are ours alone: the reference \
            log-probabilities and a frozen reward model on the same GGUF file (readout suffix, random head) scoring the same 64 rows of \
            31 tokens + <|im_end|>, by the reward model's own pass after the reference's, or by one pass of the base. Goal: total speed-up ≥ 2×\(speedUp.map { " (\(format($0, 1))×: \($0 >= 2 ? "meets" : "below"))" } ?? "").
            """)
    }

    static func script(_ name: String) -> String {
        URL(fileURLWithPath: ModelBenchmark.scriptPath).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// The numbers in the JSON object a worker prints last.
    static func launch(_ executable: String, _ arguments: [String]) -> [String: Double]? {
        guard let line = ModelBenchmark.launchRaw(executable, arguments),
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
    /// Runs the GPT's iteration, or with `model` PPOLoRAWorker's, and prints the phases' medians as one JSON line.
    static func run(iterations: Int, model: String?) throws {
        let folder = RunFolder(FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-ppo-bench-\(getpid())"))
        defer { try? FileManager.default.removeItem(at: folder.url) }
        var result: [String: Double]
        if let model {
            let (trainer, promptTokens) = try PPOLoRAWorker.trainer(model: URL(fileURLWithPath: model), iterations: iterations, run: folder)
            let (medians, reports) = try timed(trainer, iterations: iterations) {
                ["generation": $0.generation, "policy_forward": $0.policyForward, "reference": $0.reference, "scoring": $0.scoring, "optimization": $0.optimization]
            }
            result = medians
            result["peak_memory_mb"] = PeakMemory.megabytes()
            result["mean_response_tokens"] = reports.map { $0.metrics["val/response_length"] ?? 0 }.reduce(0, +) / Double(reports.count)
            result["mean_prompt_tokens"] = promptTokens
            let reading = try PPOLoRAWorker.rewardReading(trainer: trainer, model: URL(fileURLWithPath: model), repetitions: 3)
            (result["reference_reward_two_passes"], result["reference_reward_one_pass"]) = (reading.twoPasses, reading.onePass)
        } else {
            result = try timed(gptTrainer(iterations: iterations, run: folder), iterations: iterations) {
                ["rollout": $0.generation + $0.policyForward, "scoring": $0.scoring, "reference": $0.reference, "optimization": $0.optimization]
            }.medians
        }
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    }

    /// Iteration 0 warms up; then `iterations` timed ones: each phase's median (keyed as `phases`
    /// names them) with their sum as "total", and the timed iterations' reports.
    static func timed(
        _ trainer: PPOTrainer, iterations: Int, phases: (PhaseTimes) -> [String: Double]
    ) throws -> (medians: [String: Double], reports: [IterationReport]) {
        var seconds: [String: [Double]] = [:], reports: [IterationReport] = []
        for index in 0...iterations {
            let report = try trainer.iterate()
            let times = phases(report.times)
            let summary = times.sorted { $0.key < $1.key }.map { "\($0.key) \(format($0.value)) s" }.joined(separator: ", ")
            FileHandle.standardError.write(Data("iteration \(index)\(index == 0 ? " (warm-up)" : ""): \(summary)\n".utf8))
            guard index > 0 else { continue }
            reports.append(report)
            for (phase, value) in times { seconds[phase, default: []].append(value) }
        }
        var medians = seconds.mapValues { Measurement(seconds: $0).median }
        medians["total"] = medians.values.reduce(0, +)
        return (medians, reports)
    }

    /// The demo-sized GPT policy with a separate value network and a reward network of its own size.
    static func gptTrainer(iterations: Int, run: RunFolder) throws -> PPOTrainer {
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
        var generator = RandomGenerator(seed: 1)
        let prompts = (0..<256).map { _ in (0..<8).map { _ in Int32(generator.integer(in: 0..<4000)) } }
        return try PPOTrainer(
            models: PolicyModels(policy: LanguageModel(network: policy, tokenizer: tokenizer), value: .network(value, head: valueHead), temperature: ppo.temperature),
            scorer: NetworkScorer(network: reward, head: rewardHead), prompts: prompts, configuration: ppo, run: run)
    }
}
