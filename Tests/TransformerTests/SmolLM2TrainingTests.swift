// Training the real SmolLM2-135M-Instruct: the loss of one chat exchange (answer tokens only), the
// gradient norm over every parameter, and the norms and sampled elements of a few parameters'
// gradients, against transformers on the same float32 weights
// (scripts/make_smollm2_training_fixtures.py).
import Foundation
import LanguageModeling
import Optimization
import Tensors
import Testing
import TestSupport
import Transformer

@Suite struct SmolLM2TrainingTests {
    @Test func lossAndGradientNormsMatchTransformers() throws {
        let file = SmolLM2ParityTests.modelFile
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw FixtureError(description: "\(file.path) is missing: run scripts/fetch-data.sh")
        }
        let reference = try Fixture("Tests/Fixtures/llama/smollm2_training.json")
        let model = try LanguageModel.load(from: file, trainable: true)
        let prompt = try reference.int32s("prompt_ids"), answer = try reference.int32s("answer_ids")
        #expect(try model.chatPrompt(user: try #require(reference.value(["question"]) as? String)) == prompt)
        #expect(model.encode(try #require(reference.value(["answer"]) as? String)) + model.stopTokens == answer)
        let batch = try SequenceBatch(prompts: [prompt], responses: [answer], padding: 2)
        let tape = Tape()
        let network = model.network
        let loss = try network.logits(network.responseStates(batch, tape: tape), tape: tape).crossEntropy(targets: batch.responseTargets)
        #expect(abs(Double(loss.item) - (try reference.double("loss"))) < 1e-4 * (try reference.double("loss")), "loss \(loss.item)")
        try tape.backward(from: loss)
        let norm = Double(GradientClipping.globalNorm(of: network.parameters))
        let expectedNorm = try reference.double("gradient_norm")
        #expect(abs(norm - expectedNorm) < 1e-3 * expectedNorm, "gradient norm \(norm) vs \(expectedNorm)")
        let norms = try reference.value(["parameter_gradient_norms"]) as? [String: Double] ?? [:]
        #expect(norms.count == 6)
        for (name, expected) in norms {
            let entry = try #require(network.parameters.layout.entry(named: name))
            let gradient = network.parameters.allGradients![entry.range]
            let actual = gradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(actual - expected) < 2e-3 * expected + 1e-6, "gradient norm of \(name): \(actual) vs \(expected)")
            // Element by element too, which a norm cannot show: a permuted or sign-flipped gradient.
            let sample = try #require(try reference.value(["parameter_gradient_samples", name]) as? [String: Any])
            let indices = try #require(sample["indices"] as? [Int]), values = try #require(sample["values"] as? [Double])
            #expect(indices.count == 64 && values.count == 64)
            let ours = indices.map { Double(gradient[entry.range.lowerBound + $0]) }
            let error = zip(ours, values).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let size = values.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            #expect(error < 5e-3 * size + 1e-7, "sampled gradient of \(name): error \(error) against size \(size)")
        }
    }
}
