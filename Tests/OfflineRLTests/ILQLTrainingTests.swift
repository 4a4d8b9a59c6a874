// ILQL end to end on tiny models built here: from offline samples of a behaviour policy, rewarded
// 1 when a response holds a liked token, β-weighted decoding earns more reward than the base
// model and than the behaviour the data came from; a resumed run continues bit-exactly; the saved
// folder decodes as the trained policy.
import Finetuning
import Foundation
import LanguageModeling
import OfflineRL
import Randomness
import Reporting
import Testing
import TestSupport
import Tokenization
import TrainingRuns
import Transformer

func tinyModel(_ family: String, seed: UInt64 = 1) throws -> LanguageModel {
    let text = (0..<30).map { "a good film and a bad film, number \($0); the plot is fine!" }
    let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 280)).train(on: text)
    let end = Int32(tokenizer.specialTokenID("<|endoftext|>")!)
    let V = tokenizer.vocabularySize
    if family == "llama" {
        let network = try Llama(configuration: LlamaConfiguration(
            vocabularySize: V, contextLength: 16, width: 32, layers: 2, heads: 4, keyValueHeads: 2, feedForwardWidth: 64))
        network.initialize(seed: seed)
        return try LanguageModel(network: network, tokenizer: tokenizer, stopTokens: [end])
    }
    let network = try GPT(configuration: GPTConfiguration(vocabularySize: V, contextLength: 16, width: 32, layers: 2, heads: 2, endOfTextToken: end))
    network.initialize(seed: seed)
    return try LanguageModel(network: network, tokenizer: tokenizer)
}

func temporaryRun() throws -> RunFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-ilql-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return RunFolder(url)
}

/// The behaviour policy: three tokens drawn uniformly from twelve, then the end token; a
/// response earns 1 when it holds one of the first two (about 42% of the data).
struct ToyTask {
    let actions = Array(Int32(100)..<112)
    let liked: Set<Int32> = [100, 101]
    let prompts: [[Int32]] = (0..<16).map { [Int32(20 + $0), Int32(40 + $0 % 5)] }

    func reward(_ tokens: [Int32]) -> Double { tokens.contains(where: liked.contains) ? 1 : 0 }

    func samples(end: Int32, perPrompt: Int, seed: UInt64) -> [ILQLExample] {
        var generator = RandomGenerator(seed: seed)
        return prompts.flatMap { prompt in
            (0..<perPrompt).map { _ in
                let response = (0..<3).map { _ in actions[generator.integer(in: 0..<actions.count)] }
                return ILQLExample(prompt: prompt, response: response + [end], reward: reward(response))
            }
        }
    }

    func meanReward(_ generations: [Generation]) -> Double {
        generations.map { reward($0.tokens) }.reduce(0, +) / Double(generations.count)
    }
}

func toyConfiguration(steps: Int) -> ILQLConfiguration {
    var c = ILQLConfiguration()
    c.alpha = 0.5
    c.targetSyncInterval = 1
    c.optimization.steps = steps
    c.optimization.batchSize = 16
    c.optimization.learningRate = 2e-3
    c.optimization.minimumLearningRate = 2e-3
    c.optimization.weightDecay = 0
    c.optimization.evaluationInterval = 0
    c.optimization.checkpointInterval = 0
    c.optimization.logInterval = 10
    c.decoding = ILQLDecoding(beta: 3, temperature: 1, topK: 0, maxNewTokens: 3)
    return c
}

@Suite struct ILQLTrainingTests {
    let task = ToyTask()

    @Test(arguments: ["gpt2", "llama"])
    func advantageWeightedDecodingEarnsMoreThanTheBaseAndTheBehaviour(_ family: String) throws {
        let run = try temporaryRun()
        defer { try? FileManager.default.removeItem(at: run.url) }
        let model = try tinyModel(family)
        let base = try LanguageModel(network: model.network.copy(trainable: false), tokenizer: model.tokenizer, stopTokens: model.stopTokens)
        let configuration = toyConfiguration(steps: 150)
        let samples = task.samples(end: model.endOfText!, perPrompt: 16, seed: 3)
        let data = try ILQLData(training: samples, padding: model.endOfText!, seed: 4)
        let policy = try ILQLPolicy(model: model, configuration: configuration)
        let trainer = try ILQLTrainer(policy: policy, data: data, configuration: configuration, run: run)
        var losses: [Double] = []
        try trainer.train { if case let .stepped(report) = $0 { losses.append(report.loss) } }
        #expect(losses.count == 150 && losses.allSatisfy(\.isFinite))

        let prompts = Array(repeating: task.prompts, count: 8).flatMap { $0 }
        var generator = RandomGenerator(seed: 9)
        let sampling = SamplingParameters(temperature: 1, maxNewTokens: 3)
        let baseReward = task.meanReward(try base.generate(prompts, parameters: sampling, generator: &generator))
        var behaviour = configuration.decoding
        behaviour.beta = 0
        let behaviourReward = task.meanReward(try policy.generate(prompts, decoding: behaviour, generator: &generator))
        let ilqlReward = task.meanReward(try policy.generate(prompts, generator: &generator))
        let dataReward = samples.map(\.reward).reduce(0, +) / Double(samples.count)
        #expect(ilqlReward > baseReward + 0.3, "\(family): β-weighted \(ilqlReward) vs base model \(baseReward)")
        #expect(ilqlReward > behaviourReward + 0.15, "\(family): β-weighted \(ilqlReward) vs β = 0 \(behaviourReward)")
        #expect(ilqlReward > dataReward + 0.15, "\(family): β-weighted \(ilqlReward) vs the data's \(dataReward)")
    }

    @Test func aResumedRunContinuesExactlyAndTheSavedFolderDecodesAsThePolicy() throws {
        let (straight, interrupted) = (try temporaryRun(), try temporaryRun())
        defer { [straight, interrupted].forEach { try? FileManager.default.removeItem(at: $0.url) } }
        var configuration = toyConfiguration(steps: 7)
        configuration.targetSyncInterval = 2
        configuration.optimization.checkpointInterval = 3
        configuration.optimization.logInterval = 1
        configuration.optimization.gradientAccumulation = 2
        configuration.optimization.batchSize = 5
        func trainer(_ run: RunFolder) throws -> ILQLTrainer {
            let model = try tinyModel("gpt2")
            let end = model.endOfText!
            let data = try ILQLData(
                training: task.samples(end: end, perPrompt: 2, seed: 5), heldOut: task.samples(end: end, perPrompt: 1, seed: 8), padding: end, seed: 6)
            return try ILQLTrainer(policy: ILQLPolicy(model: model, configuration: configuration), data: data, configuration: configuration, run: run)
        }
        let reference = try trainer(straight)
        let heldOutLoss = try reference.train()
        #expect(heldOutLoss.map { $0.isFinite && $0 > 0 } == true)
        // The first run checkpoints at step 3 and dies after logging steps 4 and 5.
        try trainer(interrupted).train(pausingAfter: 5)
        let resumed = try trainer(interrupted)
        #expect(try resumed.resumeFromLatestCheckpoint() == 3)
        try resumed.train()
        for (a, b) in [
            (resumed.policy.model.network.parameters, reference.policy.model.network.parameters),
            (resumed.policy.heads.parameters, reference.policy.heads.parameters),
            (resumed.policy.heads.targetParameters, reference.policy.heads.targetParameters),
        ] {
            #expect(Array(a.allValues) == Array(b.allValues))
        }
        let losses = { (run: RunFolder) in try MetricsLog.records(at: run.metricsURL).compactMap { $0["losses/loss"] as? Double } }
        #expect(try losses(interrupted) == losses(straight))
        #expect(try losses(straight).count == 7)

        let saved = try ILQLPolicy.load(from: straight.modelURL)
        #expect(Array(saved.heads.parameters.allValues) == Array(reference.policy.heads.parameters.allValues))
        #expect(Array(saved.heads.targetParameters.allValues) == Array(reference.policy.heads.targetParameters.allValues))
        var first = RandomGenerator(seed: 1), second = RandomGenerator(seed: 1)
        #expect(try saved.generate(task.prompts, generator: &first) == reference.policy.generate(task.prompts, generator: &second))
    }
}
