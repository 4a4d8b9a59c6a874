// PPO with LoRA on both families: the reference is the base with its adapters off (no copy of
// the weights), the adapters' gradients are the full model's gradients projected onto them, and
// a LoRA policy learns while its base stays exactly as it was.
import Foundation
import LanguageModeling
import Optimization
@testable import PolicyOptimization
import Randomness
import Tensors
import Testing
import TestSupport
import Tokenization
import TrainingRuns
import Transformer

/// A tiny policy of either family carrying adapters whose B is random (so adapted ≠ base).
/// `confident` scales the tied embedding up from the N(0, 0.02) initialisation, as a trained
/// model's is: with such small output weights the logits stay near uniform whatever the adapted
/// blocks compute (the final norm bounds the hidden state), so only the embedding could move them.
func tinyAdaptedPolicy(llama: Bool, seed: UInt64 = 2, rank: Int = 2, confident: Bool = false, dropout: Float = 0) throws -> LanguageModel {
    let (gpt, _) = try tinyPolicy()
    let network: any CausalLanguageModel
    if llama {
        let model = try Llama(configuration: LlamaConfiguration(
            vocabularySize: gpt.network.vocabularySize, contextLength: 24, width: 16, layers: 2, heads: 4, keyValueHeads: 2, feedForwardWidth: 24))
        model.initialize(seed: seed)
        network = model
    } else {
        network = gpt.network
    }
    let embedding = llama ? "model.embed_tokens.weight" : "wte.weight"
    if confident {
        network.parameters.withValues(of: embedding) { values in
            for i in values.indices { values[i] *= 20 }
        }
    }
    let frozen = try network.copy(trainable: false)
    try frozen.attachAdapters(
        LoRAConfiguration(rank: rank, alpha: Float(2 * rank), dropout: dropout, targetModules: llama ? LoRAConfiguration.llamaModules : LoRAConfiguration.gptModules),
        seed: seed)
    var generator = RandomGenerator(seed: seed &+ 11)
    for target in frozen.adapters!.adaptedTargets {
        frozen.adapters!.parameters.fillNormal(target.upName, standardDeviation: 0.3, using: &generator)
    }
    return try LanguageModel(network: frozen, tokenizer: gpt.tokenizer, stopTokens: gpt.stopTokens)
}

/// A value head on the policy, random unless `zero`.
func headOn(_ model: LanguageModel, zero: Bool = false) -> ValueFunction {
    let head = ScalarHead(width: model.network.hiddenSize)
    if !zero { head.initialize(seed: 4) }
    return .head(head)
}

@Suite struct PPOLoRATests {
    let batch = try! SequenceBatch(prompts: [[1, 2, 3], [4, 5], [6]], responses: [[7, 8, 9, 10], [11, 12], [13, 14, 15]], padding: 0)

    @Test(arguments: [false, true])
    func theReferenceIsTheBaseWithTheAdaptersOff(llama: Bool) throws {
        let policy = try tinyAdaptedPolicy(llama: llama)
        let models = try PolicyModels(policy: policy, value: headOn(policy), temperature: 0.7)
        #expect(models.referenceSharesBase)
        let base = try policy.network.copy(trainable: false)
        base.adapters = nil
        let expected = try base.responseLogProbabilities(batch, temperature: 0.7, tape: nil).scalars
        #expect(try models.referenceLogProbabilities(batch).scalars == expected)
        let adapted = try models.policyOutputs(batch, tape: nil).logProbabilities.scalars
        #expect(maximumDifference(adapted, expected) > 1e-3, "the adapters change the policy")
        #expect(policy.network.adapters!.isEnabled, "switched back on after the reference pass")
        #expect(throws: OptimizationError.self, "another reference would be ignored") {
            try PolicyModels(policy: policy, value: headOn(policy), temperature: 0.7, reference: base)
        }
    }

    /// The PPO loss's gradient with respect to lora_A and lora_B equals the gradient with respect
    /// to the merged weight W' = W + s·ΔW, projected by the chain rule: for W' = W + s·(B·A) (in
    /// the weight's [out, in] orientation) ∂L/∂B = s·G·Aᵀ and ∂L/∂A = s·Bᵀ·G.
    @Test(arguments: [false, true])
    func adapterGradientsAreTheFullModelsProjected(llama: Bool) throws {
        let policy = try tinyAdaptedPolicy(llama: llama)
        let models = try PolicyModels(policy: policy, value: headOn(policy), temperature: 0.7)
        let rows = batch.batch, columns = batch.responseLength
        let mask = batch.responseMaskTensor
        let old = try models.referenceLogProbabilities(batch)
        var generator = RandomGenerator(seed: 5)
        let advantages = try Tensor(shape: [rows, columns], values: (0..<(rows * columns)).map { _ in Float(generator.normal()) })
        func loss(_ logProbabilities: Tensor) throws -> Tensor {
            try PPOLosses.clippedPolicyLoss(
                logProbabilities: logProbabilities, oldLogProbabilities: old, advantages: advantages, mask: mask, clipRange: 0.2).loss
        }
        let adapters = policy.network.adapters!
        adapters.parameters.zeroGradients()
        let tape = Tape()
        try tape.backward(from: loss(models.policyOutputs(batch, tape: tape).logProbabilities))

        let merged = try policy.network.copy(trainable: true)
        merged.mergeAdapters()
        merged.parameters.zeroGradients()
        let fullTape = Tape()
        try fullTape.backward(from: loss(merged.responseLogProbabilities(batch, temperature: 0.7, tape: fullTape)))

        let s = Double(adapters.configuration.scale), r = adapters.configuration.rank
        var compared = 0
        for target in adapters.adaptedTargets {
            let (inputs, outputs) = (target.inputs, target.outputs)
            let full = gradient(merged.parameters, target.weight)
            // G in [out, in] orientation whichever way the base weight is stored.
            let g = { (o: Int, i: Int) in Double(target.inputsByOutputs ? full[i * outputs + o] : full[o * inputs + i]) }
            let a = adapters.parameters.withValues(of: target.downName) { $0.map(Double.init) }  // [r, in]
            let b = adapters.parameters.withValues(of: target.upName) { $0.map(Double.init) }  // [out, r]
            var expectedA = [Double](repeating: 0, count: r * inputs), expectedB = [Double](repeating: 0, count: outputs * r)
            for o in 0..<outputs {
                for i in 0..<inputs {
                    let gradientOI = g(o, i)
                    for k in 0..<r {
                        expectedB[o * r + k] += s * gradientOI * a[k * inputs + i]
                        expectedA[k * inputs + i] += s * b[o * r + k] * gradientOI
                    }
                }
            }
            expectClose(gradient(adapters.parameters, target.downName).map(Double.init), expectedA, Tolerance(relative: 1e-3, absolute: 1e-6), "\(target.downName)")
            expectClose(gradient(adapters.parameters, target.upName).map(Double.init), expectedB, Tolerance(relative: 1e-3, absolute: 1e-6), "\(target.upName)")
            compared += 1
        }
        #expect(compared == adapters.adaptedTargets.count && compared >= (llama ? 14 : 6))
    }

    @Test(arguments: [false, true])
    func aLoRAPolicyLearnsWhileItsBaseStaysAsItWas(llama: Bool) throws {
        let policy = try tinyAdaptedPolicy(llama: llama, rank: 8, confident: true)
        // B starts at zero here, as PEFT initialises it, so the policy starts as the base.
        for target in policy.network.adapters!.adaptedTargets { policy.network.adapters!.parameters.fill(target.upName, with: 0) }
        let base = Array(policy.network.parameters.allValues)
        let run = try temporaryRun()
        defer { try? FileManager.default.removeItem(at: run.url) }
        var configuration = tinyConfiguration()
        configuration.iterations = 50
        configuration.learningRate = 2e-3
        configuration.klCoefficient = 0.1
        configuration.adaptiveKL = true
        configuration.klTarget = 3
        configuration.klHorizon = 300
        let liked = Set((0..<Int32(100)).map { $0 * 2 })
        let trainer = try PPOTrainer(
            models: PolicyModels(policy: policy, value: headOn(policy, zero: true), temperature: configuration.temperature), scorer: TokenFondness(liked: liked),
            prompts: [policy.encode("the"), policy.encode("a bad"), policy.encode("film")], configuration: configuration, run: run)
        var reports: [IterationReport] = []
        try trainer.train { if case let .iterated(report) = $0 { reports.append(report) } }
        let early = reports.prefix(3).map { $0.metrics["objective/scores"]! }.reduce(0, +) / 3
        let late = reports.suffix(3).map { $0.metrics["objective/scores"]! }.reduce(0, +) / 3
        #expect(late > early + 0.2, "judge score \(early) → \(late)")
        #expect(Array(policy.network.parameters.allValues) == base, "the base weights are never updated")
        let saved = run.modelURL.appendingPathComponent(LoRAConfiguration.weightsFileName)
        #expect(FileManager.default.fileExists(atPath: saved.path), "the policy is saved as PEFT adapters")
    }

    /// Adapters configured with dropout (as PEFT adapters often are) train PPO without it: the
    /// update's recorded pass reads the rollout's log-probabilities, so the first ratio is 1.
    @Test(arguments: [false, true])
    func recordedPassesMatchTheRolloutsDespiteAdapterDropout(llama: Bool) throws {
        let policy = try tinyAdaptedPolicy(llama: llama, dropout: 0.5)
        let unrecorded = try policy.network.responseLogProbabilities(batch, temperature: 0.7, tape: nil).scalars
        let before = try policy.network.responseLogProbabilities(batch, temperature: 0.7, tape: Tape()).scalars
        #expect(maximumDifference(before, unrecorded) > 1e-3, "dropout acts on a recorded pass of the adapters as configured")
        let models = try PolicyModels(policy: policy, value: headOn(policy), temperature: 0.7)
        let recorded = try models.policyOutputs(batch, tape: Tape()).logProbabilities.scalars
        #expect(maximumDifference(recorded, unrecorded) == 0)
    }

    @Test func aResumedLoRARunContinuesExactly() throws {
        func trainer(_ run: RunFolder) throws -> PPOTrainer {
            let policy = try tinyAdaptedPolicy(llama: true)
            var configuration = tinyConfiguration()
            configuration.iterations = 4
            return try PPOTrainer(
                models: PolicyModels(policy: policy, value: headOn(policy), temperature: configuration.temperature),
                scorer: TokenFondness(liked: [5, 7, 9]), prompts: [[1, 2], [3], [4, 5, 6]], configuration: configuration, run: run)
        }
        let (straightRun, interruptedRun) = (try temporaryRun(), try temporaryRun())
        defer { [straightRun, interruptedRun].forEach { try? FileManager.default.removeItem(at: $0.url) } }
        let straight = try trainer(straightRun)
        try straight.train()
        try trainer(interruptedRun).train(pausingAfter: 3)
        let resumed = try trainer(interruptedRun)
        #expect(try resumed.resumeFromLatestCheckpoint() == 2)
        try resumed.train()
        for (a, b) in zip([resumed.models.policyParameters] + resumed.models.value.trainableStores,
                          [straight.models.policyParameters] + straight.models.value.trainableStores) {
            #expect(maximumDifference(Array(a.allValues), Array(b.allValues)) == 0)
        }
    }
}

private func gradient(_ store: ParameterStore, _ name: String) -> [Float] {
    let entry = store.layout.entry(named: name)!
    return Array(store.allGradients![entry.range])
}
