// A frozen reward model read from the file a LoRA policy's base comes from is read in PPO's
// reference pass: one pass of the base over prompt + response + readout gives the reference
// log-probabilities and the reward, each as its own pass gives it; anything else keeps its own
// pass.
import Foundation
import LanguageModeling
@testable import PolicyOptimization
import RewardModeling
import Tensors
import Testing
import TestSupport
import TrainingRuns
import Transformer

@Suite struct RewardOnBaseTests {
    static let file = URL(fileURLWithPath: "/models/tiny.gguf")
    static let prefix: [Int32] = [5, 9, 2, 7, 3, 8, 1, 6, 4]

    /// A LoRA policy and a frozen reward model (random head, a normalisation, a readout) whose
    /// backbone is the policy's base, both named as read from `file`.
    func policyAndReward(llama: Bool, file: URL = file, maximumTokens: Int = 64) throws -> (LanguageModel, RewardModel) {
        let adapted = try tinyAdaptedPolicy(llama: llama)
        let policy = try LanguageModel(network: adapted.network, tokenizer: adapted.tokenizer, stopTokens: adapted.stopTokens, source: Self.file)
        let base = try adapted.network.copy(trainable: false)
        base.adapters = nil
        let backbone = try LanguageModel(network: base, tokenizer: adapted.tokenizer, stopTokens: adapted.stopTokens, source: file)
        let head = ScalarHead(width: base.hiddenSize)
        head.initialize(seed: 9)
        let reward = try RewardModel(backbone: backbone, head: head, kind: .frozen(file: file), maximumTokens: maximumTokens, readout: " the plot is")
        reward.setNormalization(gain: 1.7, bias: -0.3)
        return (policy, reward)
    }

    /// Rows with a shared prefix or without, a response that stopped (its stop token is not
    /// scored), one cut at the length limit, and one that is only its stop token.
    static func rows(end: Int32, sharedPrefix: Bool) -> (prompts: [[Int32]], responses: [[Int32]]) {
        let prompts: [[Int32]] = sharedPrefix ? [prefix + [10], prefix + [11, 12, 13], prefix + [14, 15]] : [[1, 2, 3], [4, 5], [6]]
        return (prompts, [[7, 8, end], [11, 12, 13, 14], [end]])
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func onePassOfTheBaseReadsTheReferenceAndTheReward(llama: Bool, sharedPrefix: Bool) throws {
        let (policy, reward) = try policyAndReward(llama: llama)
        #expect(!reward.readoutTokens.isEmpty)
        let end = policy.endOfText!
        let (prompts, responses) = Self.rows(end: end, sharedPrefix: sharedPrefix)
        let models = try PolicyModels(policy: policy, value: headOn(policy), temperature: 0.7)
        let batch = try SequenceBatch(prompts: prompts, responses: responses, padding: end, responseLength: 4)
        #expect(batch.sharedPrefix.isEmpty != sharedPrefix)
        #expect(models.readsReward(reward, prompts: prompts, responses: responses, responseLength: 4))
        let (logProbabilities, scores) = try models.referenceReadings(batch, prompts: prompts, responses: responses, scoredBy: reward)

        let mask = batch.responseMask
        let masked = { (values: [Float]) in zip(values, mask).map { $1 == 0 ? 0 : $0 } }
        let expected = try models.referenceLogProbabilities(batch).scalars
        #expect(maximumDifference(masked(logProbabilities.scalars), masked(expected)) < 1e-5)
        let own = try RewardScorer(model: reward).scores(prompts: prompts, responses: responses)
        #expect(maximumDifference(scores, own) < 1e-5, "\(scores) against \(own)")
        #expect(Set(own.map { ($0 * 1e4).rounded() }).count == 3, "the rows score differently")
        #expect(policy.network.adapters!.isEnabled, "switched back on after the pass")
    }

    @Test func aFrozenRewardModelScoresAStoppedResponseWithoutItsStopToken() throws {
        let (policy, reward) = try policyAndReward(llama: true)
        let end = policy.endOfText!
        #expect(reward.scoredResponse([7, 8, end]) == [7, 8])
        #expect(reward.scoredResponse([7, 8]) == [7, 8])
        #expect(reward.scoredResponse([end]) == [])
        let scorer = RewardScorer(model: reward)
        #expect(try scorer.scores(prompts: [[1, 2]], responses: [[7, 8, end]]) == scorer.scores(prompts: [[1, 2]], responses: [[7, 8]]))
        let fineTuned = try RewardModel(backbone: reward.backbone, head: reward.head, kind: .fineTuned)
        #expect(fineTuned.scoredResponse([7, 8, end]) == [7, 8, end], "a fine-tuned model reads the finished response")
    }

    @Test func otherRewardModelsAndRowsKeepTheirOwnPass() throws {
        let end: Int32
        do {
            let (policy, reward) = try policyAndReward(llama: true)
            end = policy.endOfText!
            let models = try PolicyModels(policy: policy, value: headOn(policy), temperature: 0.7)
            let (prompts, responses) = Self.rows(end: end, sharedPrefix: true)
            #expect(models.readsReward(reward, prompts: prompts, responses: responses, responseLength: 4))
            #expect(!models.readsReward(reward, prompts: prompts, responses: responses, responseLength: 16), "past the context length")
            let fineTuned = try RewardModel(backbone: reward.backbone, head: reward.head, kind: .fineTuned, readout: reward.readout)
            #expect(!models.readsReward(fineTuned, prompts: prompts, responses: responses, responseLength: 4), "a fine-tuned backbone is not the base")
            let whole = try policy.network.copy(trainable: true)
            whole.adapters = nil
            let full = try LanguageModel(network: whole, tokenizer: policy.tokenizer, stopTokens: policy.stopTokens, source: Self.file)
            let fullModels = try PolicyModels(policy: full, value: headOn(full), temperature: 0.7)
            #expect(!fullModels.readsReward(reward, prompts: prompts, responses: responses, responseLength: 4), "a fully trained policy's reference is a copy")
        }
        let (policy, other) = try policyAndReward(llama: true, file: URL(fileURLWithPath: "/models/other.gguf"))
        let models = try PolicyModels(policy: policy, value: headOn(policy), temperature: 0.7)
        let (prompts, responses) = Self.rows(end: end, sharedPrefix: true)
        #expect(!models.readsReward(other, prompts: prompts, responses: responses, responseLength: 4), "another file")
        let (_, short) = try policyAndReward(llama: true, maximumTokens: 15)
        #expect(!models.readsReward(short, prompts: prompts, responses: responses, responseLength: 4), "a row the reward model would cut")
    }

    /// A reward model hidden behind another scorer type is read by its own pass: the two
    /// trainers see the same rollouts, scores and KL.
    @Test func ppoReadsTheRewardInTheReferencePassWithTheSameOutcome() throws {
        struct OwnPass: ResponseScorer {
            let inner: RewardScorer
            func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] { try inner.scores(prompts: prompts, responses: responses) }
        }
        var outcomes: [[String: Double]] = []
        for shared in [true, false] {
            let (policy, reward) = try policyAndReward(llama: true)
            let run = try temporaryRun()
            defer { try? FileManager.default.removeItem(at: run.url) }
            var configuration = tinyConfiguration()
            (configuration.iterations, configuration.batchSize, configuration.responseLength) = (2, 4, 4)
            let scorer: any ResponseScorer = shared ? RewardScorer(model: reward) : OwnPass(inner: RewardScorer(model: reward))
            let trainer = try PPOTrainer(
                models: PolicyModels(policy: policy, value: headOn(policy), temperature: configuration.temperature), scorer: scorer,
                prompts: [Self.prefix + [10], Self.prefix + [11, 12], Self.prefix + [13]], configuration: configuration, run: run)
            #expect((trainer.rewardOnBase != nil) == shared)
            var last: [String: Double] = [:]
            try trainer.train { if case let .iterated(report) = $0 { last = report.metrics } }
            outcomes.append(last)
        }
        for metric in ["objective/scores", "objective/kl", "objective/rlhf_reward"] {
            let (a, b) = (outcomes[0][metric]!, outcomes[1][metric]!)
            #expect(abs(a - b) < 1e-4 * max(1, abs(b)), "\(metric): \(a) against \(b)")
        }
        #expect(outcomes[0]["objective/scores"]! != 0)
    }
}
