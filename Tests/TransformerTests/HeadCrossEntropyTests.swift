// Llama's training loss through the fused head and cross-entropy (Tensor+LogSoftmax.swift), which
// turns the logits into their own gradient in place, against logits then cross-entropy: the same
// loss and the same gradients bit for bit, for a model trained in full (the tied head's weight
// gradient included) and for adapters over a base held in compact form.
import Randomness
import Tensors
import Testing
@testable import Transformer

@Suite struct HeadCrossEntropyTests {
    /// Loss and trainable gradients of one step on rows of the quantised model's prompt, some
    /// targets ignored.
    func step(_ model: Llama, fused: Bool) throws -> (loss: UInt32, gradients: [UInt32]) {
        model.trainableParameters.zeroGradients()
        let rows = CompactBaseTests.rows
        let input = try TokenBatch(rows: rows.map { Array($0.dropLast()) })
        let targets = rows.flatMap { $0.dropFirst() }.enumerated().map { $0.offset % 5 == 0 ? -1 : $0.element }
        let tape = Tape()
        let hidden = try model.hiddenStates(input, tape: tape)
        let loss = fused ? try model.crossEntropy(hidden, targets: targets, tape: tape) : try model.logits(hidden, tape: tape).crossEntropy(targets: targets)
        try tape.backward(from: loss)
        return (loss.item.bitPattern, try #require(model.trainableParameters.allGradients).map(\.bitPattern))
    }

    @Test func fullTrainingGivesTheSameLossAndGradients() throws {
        let model = try CompactDecodingTests.quantizedModel(trainable: true)
        let (expected, actual) = (try step(model, fused: false), try step(model, fused: true))
        #expect(actual.loss == expected.loss)
        #expect(actual.gradients == expected.gradients)
        #expect(actual.gradients.contains { $0 != 0 })
    }

    @Test func adaptersOverACompactBaseGiveTheSameLossAndGradients() throws {
        let model = try CompactBaseTests().models().compact
        try model.attachAdapters(LoRAConfiguration(rank: 4, alpha: 8), seed: 1)
        var generator = RandomGenerator(seed: 2)
        let adapters = try #require(model.adapters)
        for entry in adapters.parameters.layout.entries { adapters.parameters.fillNormal(entry.name, standardDeviation: 0.05, using: &generator) }
        let (expected, actual) = (try step(model, fused: false), try step(model, fused: true))
        #expect(actual.loss == expected.loss)
        #expect(actual.gradients == expected.gradients)
    }
}
