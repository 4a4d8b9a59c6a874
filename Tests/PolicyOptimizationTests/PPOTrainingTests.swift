// PPO end to end on a tiny model in seconds: it raises a hidden judge's score while the KL to the
// reference stays bounded, and a resumed run continues exactly as an uninterrupted one.
import Foundation
import LanguageModeling
import Optimization
import PolicyOptimization
import RewardModeling
import Testing
import TestSupport
import Tokenization
import TrainingRuns
import Transformer

/// A hidden judge: the fraction of response tokens among the ones it likes.
struct TokenFondness: ResponseScorer {
    let liked: Set<Int32>
    func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] {
        responses.map { Double($0.filter(liked.contains).count) / Double(max($0.count, 1)) }
    }
}

/// A tiny GPT policy and a separate value network (its own GPT with a head).
func tinyPolicy() throws -> (LanguageModel, ValueFunction) {
    let text = (0..<30).map { "a good film and a bad film, number \($0); the plot is fine!" }
    let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 280)).train(on: text)
    let endOfText = Int32(tokenizer.specialTokenID("<|endoftext|>")!)
    let configuration = GPTConfiguration(vocabularySize: tokenizer.vocabularySize, contextLength: 24, width: 32, layers: 2, heads: 2, endOfTextToken: endOfText)
    let network = try GPT(configuration: configuration)
    network.initialize(seed: 2)
    let value = try GPT(configuration: configuration)
    value.initialize(seed: 3)
    // A zero head: the value starts at 0, as a fresh critic should, rather than at a random guess.
    let head = ScalarHead(width: configuration.width)
    return (try LanguageModel(network: network, tokenizer: tokenizer), .network(value, head: head))
}

func temporaryRun() throws -> RunFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-ppo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return RunFolder(url)
}

func tinyConfiguration() -> PPOConfiguration {
    var c = PPOConfiguration()
    c.batchSize = 16
    c.minibatches = 2
    c.responseLength = 8
    c.temperature = 1
    c.learningRate = 3e-3
    c.valueLearningRate = 3e-3
    c.klCoefficient = 0.02
    c.checkpointInterval = 2
    c.loggedSamples = 1
    return c
}

@Suite struct PPOTrainingTests {
    @Test func ppoRaisesTheJudgesScoreWithBoundedKL() throws {
        let (policy, value) = try tinyPolicy()
        let initialValue = Array(value.head.parameters.allValues)
        let liked = Set((0..<Int32(100)).map { $0 * 2 })  // even ids below 200: a random policy scores about 0.35
        let run = try temporaryRun()
        defer { try? FileManager.default.removeItem(at: run.url) }
        var configuration = tinyConfiguration()
        configuration.iterations = 50
        configuration.klCoefficient = 0.1
        configuration.adaptiveKL = true
        configuration.klTarget = 3
        configuration.klHorizon = 300
        let trainer = try PPOTrainer(
            models: PolicyModels(policy: policy, value: value, temperature: configuration.temperature), scorer: TokenFondness(liked: liked),
            prompts: [policy.encode("the"), policy.encode("a bad"), policy.encode("film")], configuration: configuration, run: run)
        var reports: [IterationReport] = []
        try trainer.train { if case let .iterated(report) = $0 { reports.append(report) } }
        let early = reports.prefix(3).map { $0.metrics["objective/scores"]! }.reduce(0, +) / 3
        let late = reports.suffix(3).map { $0.metrics["objective/scores"]! }.reduce(0, +) / 3
        #expect(late > early + 0.15, "judge score \(early) → \(late)")
        let kl = reports.last!.metrics["objective/kl"]!
        #expect(kl > 0 && kl < 8, "KL to the reference \(kl) nats per response")
        #expect(Array(value.head.parameters.allValues) != initialValue, "the value function learns")
        #expect(FileManager.default.fileExists(atPath: run.modelURL.appendingPathComponent("model.safetensors").path))
    }

    @Test func aNetworkLoadedForInferenceIsRefusedAsTheValueNetwork() throws {
        let (policy, value) = try tinyPolicy()
        guard case let .network(network, head) = value else { Issue.record("a separate value network"); return }
        let inference = try network.copy(trainable: false)
        #expect(throws: OptimizationError.self) { try PolicyModels(policy: policy, value: .network(inference, head: head), temperature: 1) }
        #expect(throws: OptimizationError.self) { try PolicyModels(policy: policy, value: .head(head.copy(trainable: false)), temperature: 1) }
        #expect(throws: OptimizationError.self) { try PolicyModels(policy: policy, value: .head(ScalarHead(width: 7)), temperature: 1) }
        _ = try PolicyModels(policy: policy, value: .network(inference.copy(trainable: true), head: head), temperature: 1)
    }

    /// A value network may be wider or narrower than the policy (InstructGPT's was another size),
    /// but it reads the policy's token ids, so it must share its vocabulary.
    @Test func aValueNetworkOfAnotherWidthServesIfItReadsThePolicysVocabulary() throws {
        let (policy, _) = try tinyPolicy()
        func valueNetwork(vocabulary: Int, width: Int) throws -> ValueFunction {
            let network = try GPT(configuration: GPTConfiguration(vocabularySize: vocabulary, contextLength: 24, width: width, layers: 1, heads: 2))
            network.initialize(seed: 5)
            return .network(network, head: ScalarHead(width: width))
        }
        let vocabulary = policy.network.vocabularySize
        _ = try PolicyModels(policy: policy, value: valueNetwork(vocabulary: vocabulary, width: 48), temperature: 1)
        #expect(throws: OptimizationError.invalidSetting(
            field: "value network", expected: "the policy's vocabulary of \(vocabulary) tokens (it has \(vocabulary + 1))")) {
            try PolicyModels(policy: policy, value: valueNetwork(vocabulary: vocabulary + 1, width: 48), temperature: 1)
        }
    }

    @Test func anAdaptiveControllerMustBeAbleToMoveAndStayPositive() throws {
        var configuration = tinyConfiguration()
        configuration.adaptiveKL = true
        configuration.klHorizon = 0.2 * Double(configuration.batchSize)
        #expect(throws: OptimizationError.self) { try configuration.validate() }
        configuration.klHorizon = 100
        try configuration.validate()
        configuration.klCoefficient = 0
        #expect(throws: OptimizationError.self) { try configuration.validate() }
        configuration.adaptiveKL = false
        try configuration.validate()
    }

    @Test func aResumedRunContinuesExactly() throws {
        func trainer(_ run: RunFolder) throws -> PPOTrainer {
            let (policy, value) = try tinyPolicy()
            var configuration = tinyConfiguration()
            configuration.iterations = 4
            configuration.adaptiveKL = true
            configuration.annealLearningRate = true
            configuration.lengthGuard = LengthGuard(tolerance: 0.1, coefficient: 0.5)
            return try PPOTrainer(
                models: PolicyModels(policy: policy, value: value, temperature: configuration.temperature),
                scorer: TokenFondness(liked: [5, 7, 9]), prompts: [[1, 2], [3], [4, 5, 6]], configuration: configuration, run: run)
        }
        let (straightRun, interruptedRun) = (try temporaryRun(), try temporaryRun())
        defer { [straightRun, interruptedRun].forEach { try? FileManager.default.removeItem(at: $0.url) } }
        let straight = try trainer(straightRun)
        try straight.train()
        try trainer(interruptedRun).train(pausingAfter: 3)  // checkpointed at 2, died after 3
        let resumed = try trainer(interruptedRun)
        #expect(try resumed.resumeFromLatestCheckpoint() == 2)
        try resumed.train()
        for (a, b) in zip([resumed.models.policyParameters] + resumed.models.value.trainableStores,
                          [straight.models.policyParameters] + straight.models.value.trainableStores) {
            #expect(maximumDifference(Array(a.allValues), Array(b.allValues)) == 0)
        }
        #expect(resumed.klController == straight.klController)
        #expect(resumed.lengthAnchor != nil && resumed.lengthAnchor == straight.lengthAnchor)
    }

    /// Linear annealing: the full rate in the first iteration, then down by equal steps; the
    /// reported `lr` is the rate used, and the first iteration's update is the constant rate's.
    @Test func annealingShrinksEveryUpdateAfterTheFirstIteration() throws {
        func trainer(annealing: Bool, _ run: RunFolder) throws -> PPOTrainer {
            let (policy, value) = try tinyPolicy()
            var configuration = tinyConfiguration()
            configuration.iterations = 4
            configuration.annealLearningRate = annealing
            return try PPOTrainer(
                models: PolicyModels(policy: policy, value: value, temperature: configuration.temperature),
                scorer: TokenFondness(liked: [5, 7, 9]), prompts: [[1, 2], [3], [4, 5, 6]], configuration: configuration, run: run)
        }
        let (constantRun, annealedRun) = (try temporaryRun(), try temporaryRun())
        defer { [constantRun, annealedRun].forEach { try? FileManager.default.removeItem(at: $0.url) } }
        let constant = try trainer(annealing: false, constantRun), annealed = try trainer(annealing: true, annealedRun)
        let parameters = { (t: PPOTrainer) in Array(t.models.policyParameters.allValues) }
        let rate = Double(tinyConfiguration().learningRate)
        #expect(try constant.iterate().metrics["lr"] == rate && annealed.iterate().metrics["lr"] == rate)
        #expect(parameters(constant) == parameters(annealed), "the first iteration runs at the full rate")
        _ = try constant.iterate()
        let rates = try (2...4).map { _ in try annealed.iterate().metrics["lr"]! }
        for (measured, factor) in zip(rates, [0.75, 0.5, 0.25]) { #expect(abs(measured - factor * rate) < 1e-9) }
        #expect(parameters(constant) != parameters(annealed))
    }

    @Test func theLengthGuardPenalisesOnlyOutsideItsBand() {
        let lengthGuard = LengthGuard(tolerance: 0.2, coefficient: 2)
        #expect(lengthGuard.penalty(length: 17, anchor: 20) == 0)
        #expect(lengthGuard.penalty(length: 24, anchor: 20) == 0)
        #expect(abs(lengthGuard.penalty(length: 10, anchor: 20) - 2 * 0.3) < 1e-12)
        #expect(abs(lengthGuard.penalty(length: 30, anchor: 20) - 2 * 0.3) < 1e-12)
    }

    @Test func theLengthGuardAnchorsOnTheFirstIterationAndShapesTheScores() throws {
        func firstReport(_ lengthGuard: LengthGuard, scorer: any ResponseScorer = TokenFondness(liked: []), clip: Double = 0) throws -> (IterationReport, PPOTrainer) {
            let (policy, value) = try tinyPolicy()
            var configuration = tinyConfiguration()
            configuration.iterations = 1
            configuration.lengthGuard = lengthGuard
            configuration.scoreClip = clip
            let run = try temporaryRun()
            defer { try? FileManager.default.removeItem(at: run.url) }
            let trainer = try PPOTrainer(
                models: PolicyModels(policy: policy, value: value, temperature: configuration.temperature),
                scorer: scorer, prompts: [[1, 2], [3], [4, 5, 6]], configuration: configuration, run: run)
            return (try trainer.iterate(), trainer)
        }
        // Anchored on its own rollouts with no free band, the penalty is the mean relative deviation.
        let (anchored, trainer) = try firstReport(LengthGuard(tolerance: 0, coefficient: 1))
        let meanLength = anchored.metrics["val/response_length"]!
        #expect(abs(trainer.lengthAnchor! - meanLength) < 1e-9)
        // A fixed anchor at half the longest possible response penalises every response.
        let (halved, _) = try firstReport(LengthGuard(tolerance: 0, coefficient: 1, referenceLength: 4))
        let penalty = halved.metrics["objective/length_penalty"]!
        #expect(penalty > 0.25, "responses of at most 8 tokens against an anchor of 4: mean penalty \(penalty)")
        #expect(abs(halved.metrics["objective/scores"]! + penalty) < 1e-9, "a judge of zeros leaves only the penalty")
        // The clip bounds the reward model's score, not the penalty: a score far below it still pays.
        let (clipped, _) = try firstReport(LengthGuard(tolerance: 0, coefficient: 1, referenceLength: 4), scorer: ConstantScorer(score: -10), clip: 2)
        #expect(abs(clipped.metrics["objective/scores"]! - (-2 - clipped.metrics["objective/length_penalty"]!)) < 1e-9)
    }
}

/// Scores every response the same.
private struct ConstantScorer: ResponseScorer {
    let score: Double
    func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] { responses.map { _ in score } }
}
