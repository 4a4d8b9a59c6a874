// The GPT-2 implementation against Hugging Face transformers on a tiny checkpoint written by
// scripts/make_gpt2_fixtures.py: logits, loss, every parameter gradient, greedy decoding (alone
// and left-padded in a batch), 10 AdamW steps, and a scalar head on the same backbone.
import Foundation
import Optimization
import Randomness
import Tensors
import Testing
import TestSupport
import Transformer

@Suite struct HuggingFaceParityTests {
    static let folder = PackageRoot.file("Tests/Fixtures/gpt2-tiny")
    let reference: Fixture
    let model: GPT
    let batch: TokenBatch
    let labels: [Int32]

    init() throws {
        reference = try Fixture("Tests/Fixtures/gpt2-tiny/reference.json")
        model = try GPT.load(from: Self.folder)
        let (B, T) = (try reference.int("batch"), try reference.int("time"))
        let ids = try reference.int32s("ids")
        batch = try TokenBatch(rows: (0..<B).map { Array(ids[($0 * T)..<(($0 + 1) * T)]) })
        labels = try reference.int32s("labels")
    }

    /// Causal-LM targets: position t predicts label t+1; the last position predicts nothing.
    var shiftedTargets: [Int32] {
        (0..<batch.batch).flatMap { b in
            (0..<batch.time).map { t in t + 1 < batch.time ? labels[b * batch.time + t + 1] : -1 }
        }
    }

    @Test func logitsAndLossMatch() throws {
        let logits = try model.logits(model.hiddenStates(batch, tape: nil), tape: nil)
        expectClose(logits.scalars, try reference.doubles("logits"), Tolerance(relative: 1e-4, absolute: 1e-4), "logits")
        let loss = try logits.crossEntropy(targets: shiftedTargets)
        #expect(abs(Double(loss.item) - (try reference.double("loss"))) < 1e-5)
    }

    @Test func everyParameterGradientMatches() throws {
        let tape = Tape()
        let loss = try model.logits(model.hiddenStates(batch, tape: tape), tape: tape).crossEntropy(targets: shiftedTargets)
        try tape.backward(from: loss)
        let gradients = try reference.value(["gradients"]) as? [String: [Double]] ?? [:]
        #expect(gradients.count == model.parameters.layout.entries.count)
        for entry in model.parameters.layout.entries {
            let expected = try #require(gradients[entry.name], "no reference gradient for \(entry.name)")
            let actual = Array(model.parameters.allGradients![entry.range])
            expectClose(actual, expected, Tolerance(relative: 1e-4, absolute: 1e-6), "gradient of \(entry.name)")
        }
    }

    @Test func greedyDecodingWithTheCacheMatches() throws {
        var generator = RandomGenerator(seed: 0)
        let greedy = SamplingParameters(temperature: 0, maxNewTokens: 12)
        let single = try model.generate(prompts: [reference.int32s("greedyPrompt")], parameters: greedy, generator: &generator)
        #expect(single[0].tokens == (try reference.int32s("greedy")))
        let prompts = (try reference.value(["batchedPrompts"]) as? [[Int]] ?? []).map { $0.map(Int32.init) }
        let expected = (try reference.value(["batchedGreedy"]) as? [[Int]] ?? []).map { $0.map(Int32.init) }
        let batched = try model.generate(prompts: prompts, parameters: SamplingParameters(temperature: 0, maxNewTokens: 8), generator: &generator)
        #expect(batched.map(\.tokens) == expected)
    }

    @Test func tenAdamWStepsMatch() throws {
        let optimizer = try AdamW(parameters: model.parameters, configuration: AdamWConfiguration(learningRate: 3e-3, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1))
        let schedule = LearningRateSchedule(peak: 3e-3, warmupSteps: 3, totalSteps: 10, minimum: 1e-4)
        var losses: [Float] = []
        for step in 0..<10 {
            model.parameters.zeroGradients()
            let tape = Tape()
            let loss = try model.logits(model.hiddenStates(batch, tape: tape), tape: tape).crossEntropy(targets: shiftedTargets)
            try tape.backward(from: loss)
            GradientClipping.clip(model.parameters, maxNorm: 1)
            optimizer.step(learningRate: schedule.rate(at: step))
            losses.append(loss.item)
        }
        expectClose(losses, try reference.doubles("trainingLosses"), Tolerance(relative: 1e-4, absolute: 1e-5), "training losses")
    }

    @Test func scalarHeadOnTheSameBackboneMatches() throws {
        let head = ScalarHead(weights: try reference.doubles("scoreWeight").map(Float.init))
        let scalars = try head(model.hiddenStates(batch, tape: nil), tape: nil)
        expectClose(scalars.scalars, try reference.doubles("scalars"), Tolerance(relative: 1e-4, absolute: 1e-5), "scalar head")
    }
}
