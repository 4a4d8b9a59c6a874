// The workload of `rlhf-bench ppo --model FILE.gguf`, as scripts/bench_torch_ppo_lora.py runs it
// with PEFT: PPO on a chat model with LoRA rank 8 on every linear layer, the value function a
// scalar head on the policy's own hidden states, the reference the base with the adapters off,
// and a rule-based scorer cheap enough that the phases measured are the model's. The prompt texts
// live here only; the benchmark hands them to the PyTorch side.
import Foundation
import LanguageModeling
import Optimization
import PolicyOptimization
import RewardModeling
import TrainingRuns
import Transformer

enum PPOLoRAWorker {
    static let responseLength = 32
    /// As PyTorch holds them, which is also our faster choice for batched work.
    static let frozenMatrices = FrozenMatrices.float32
    /// The word count the rule rewards most (scripts/bench_torch_ppo_lora.py: TARGET_WORDS).
    static let targetWords = 24

    /// 64 short user messages: eight requests about eight subjects.
    static let promptTexts: [String] = {
        let requests = [
            "Explain %@ to a child.", "Write a short poem about %@.", "Give three facts about %@.", "Why does %@ matter?",
            "Describe %@ in two sentences.", "What is a common myth about %@?", "Tell a short story about %@.", "How would you teach %@?",
        ]
        let subjects = ["rain", "the moon", "bicycles", "bread", "volcanoes", "friendship", "music", "the ocean"]
        return requests.flatMap { request in subjects.map { request.replacingOccurrences(of: "%@", with: $0) } }
    }()

    /// 1 at `targetWords` whitespace-separated words, falling linearly either side (the Python side's score_rule).
    static func score(prompt: String, response: String) -> Double {
        1 - Double(abs(response.split(whereSeparator: \.isWhitespace).count - targetWords)) / Double(targetWords)
    }

    /// The trainer for `iterations` timed iterations after a warm-up, with the prompts' mean length in tokens.
    static func trainer(model: URL, iterations: Int, run: RunFolder) throws -> (PPOTrainer, meanPromptTokens: Double) {
        let policy = try LanguageModel.load(from: model, trainable: false, frozenMatrices: frozenMatrices)
        try policy.network.attachAdapters(LoRAConfiguration(rank: 8, alpha: 16), seed: 0)
        let head = ScalarHead(width: policy.network.hiddenSize)
        head.initialize(seed: 1)
        var ppo = PPOConfiguration()
        (ppo.iterations, ppo.batchSize, ppo.responseLength, ppo.epochs, ppo.minibatches) = (iterations + 1, promptTexts.count, responseLength, 4, 4)
        ppo.valueModel = .policyHead
        ppo.loggedSamples = 0
        let prompts = try promptTexts.map { try policy.chatPrompt(user: $0) }
        let trainer = try PPOTrainer(
            models: PolicyModels(policy: policy, value: .head(head), temperature: ppo.temperature),
            scorer: RuleBasedScorer(model: policy, rule: score), prompts: prompts, configuration: ppo, run: run)
        return (trainer, Double(prompts.map(\.count).reduce(0, +)) / Double(prompts.count))
    }

    /// Seconds of the reference log-probabilities and a frozen reward model's scores of the same
    /// rows over the policy's own base file, by two passes (the reference, then the reward model's
    /// own) and by one pass of the base (PolicyModels.referenceReadings): medians of `repetitions`.
    /// The responses are 31 tokens of one text and the stop token, as long as the bench samples.
    static func rewardReading(trainer: PPOTrainer, model: URL, repetitions: Int) throws -> (twoPasses: Double, onePass: Double) {
        let models = trainer.models, policy = models.policy
        let reward = try RewardModel.frozen(LanguageModel.load(from: model, trainable: false, frozenMatrices: frozenMatrices), readout: "\nOverall, the answer above is")
        reward.head.initialize(seed: 3)
        let text = policy.encode(String(repeating: "Rain falls when drops of water in the clouds grow heavy enough to come down. ", count: 3))
        let prompts = try promptTexts.map { try policy.chatPrompt(user: $0) }
        let responses = prompts.indices.map { row in Array(text[(row % 8)..<(row % 8 + responseLength - 1)]) + [policy.stopTokens[0]] }
        let batch = try SequenceBatch(prompts: prompts, responses: responses, padding: policy.endOfText ?? 0, responseLength: responseLength)
        guard models.readsReward(reward, prompts: prompts, responses: responses, responseLength: responseLength) else {
            throw OptimizationError.invalidSetting(field: "reward model", expected: "one the reference pass can read")
        }
        func median(_ body: () throws -> Void) rethrows -> Double {
            var seconds: [Double] = []
            for _ in 0..<repetitions {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
            return Measurement(seconds: seconds).median
        }
        let two = try median {
            _ = try models.referenceLogProbabilities(batch)
            _ = try RewardScorer(model: reward).scores(prompts: prompts, responses: responses)
        }
        let one = try median { _ = try models.referenceReadings(batch, prompts: prompts, responses: responses, scoredBy: reward) }
        return (two, one)
    }
}
