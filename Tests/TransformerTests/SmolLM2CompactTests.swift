// The real SmolLM2 file's weights in compact form (Llama+CompactWeights.swift): every matrix is
// Q4_1 or Q8_0 values once dequantised, so every one gets a lossless compact form, and decoding
// through them gives the logits of the f32 full pass up to summation order. Loaded frozen, the
// network holds its matrices in that form only, and a full pass and a LoRA step through them
// give what the f32 network gives; loaded with `frozenMatrices: .float32` it holds the Floats
// and decodes through the same forms, kept beside them.
import Foundation
import Kernels
import LanguageModeling
import Randomness
import Tensors
import Testing
import TestSupport
@testable import Transformer

@Suite struct SmolLM2CompactTests {
    let network: Llama

    init() throws {
        network = try #require(try SmolLM2ParityTests.loaded.get().network as? Llama)
    }

    @Test func everyMatrixHasACompactForm() {
        let w = network.compactWeights.weights(for: network)
        let layers = w.blocks.flatMap { [$0.query, $0.key, $0.value, $0.output, $0.gate, $0.up, $0.down] }
        #expect(layers.allSatisfy { $0?.format == .nibbles }, "the GGUF file's Q4_1 layers")
        #expect(w.outputHead?.format == .bytes, "its Q8_0 embedding, the tied head")
        let bytes = (layers + [w.outputHead]).compactMap { $0?.byteCount }.reduce(0, +)
        #expect(bytes == 96_436_224, "5 bits per layer weight, 8.5 per embedding weight")
    }

    static let prompt: [Int32] = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411, 407, 19712, 8182, 2]

    @Test func decodingThroughCompactFormsGivesTheFullPassLogits() throws {
        let full = try network.logits(network.hiddenStates(TokenBatch(rows: [Self.prompt]), tape: nil), tape: nil).scalars
        let stepwise = try CompactDecodingTests.decodedLogits(network, Self.prompt)
        // Logits reach 35 here; the f32 decode (sgemv) differs from the full pass by up to 8e-5,
        // the compact one by up to 1.3e-4.
        expectClose(stepwise, full.map(Double.init), Tolerance(relative: 1e-5, absolute: 3e-4), "compact decode vs f32 full pass")
    }

    /// Products of the same Floats whose outputs were split differently among BLAS calls: the
    /// same bits where OpenBLAS's kernels round a split product alike (SkylakeX), else within the
    /// last bits (Zen: 1.7e-5 at most measured, at logits up to 35; the loss one ulp off).
    static func expectSameProducts(_ actual: [Float], _ expected: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if BLASSetup.splitsRoundAlike {
            #expect(actual.map(\.bitPattern) == expected.map(\.bitPattern), "\(what): bit for bit", sourceLocation: sourceLocation)
        } else {
            expectClose(actual, expected.map(Double.init), Tolerance(relative: 1e-5, absolute: 5e-5), what)
        }
    }

    @Test func theFrozenNetworkHoldsEveryMatrixCompactOnly() {
        for entry in network.parameters.layout.entries {
            #expect((network.parameters.compactForm(of: entry.name) != nil) == (entry.shape.rank == 2), "\(entry.name)")
        }
    }

    @Test func loadedWithFloatsItHoldsTheFloatsAndDecodesThroughTheSameForms() throws {
        let floats = try #require(try LanguageModel.load(from: SmolLM2ParityTests.modelFile, trainable: false, frozenMatrices: .float32).network as? Llama)
        #expect(floats.parameters.layout.entries.allSatisfy { floats.parameters.compactForm(of: $0.name) == nil })
        let (held, beside) = (network.compactWeights.weights(for: network), floats.compactWeights.weights(for: floats))
        #expect(beside.outputHead?.byteCount == held.outputHead?.byteCount)
        #expect(zip(beside.blocks, held.blocks).allSatisfy { $0.down?.format == $1.down?.format && $0.query?.format == $1.query?.format })
        let prompt = Self.prompt
        // A full pass of two rows: the compact network decodes each matrix whole (the head by
        // slices of outputs) before the very products the Floats go through.
        let rows = try TokenBatch(rows: [prompt, prompt.reversed()])
        let expected = try network.logits(network.hiddenStates(rows, tape: nil), tape: nil).scalars
        let actual = try floats.logits(floats.hiddenStates(rows, tape: nil), tape: nil).scalars
        Self.expectSameProducts(actual, expected, "f32 form vs compact form, full pass")
        // Decoding one row reads the same block forms either way.
        let decoded = (try CompactDecodingTests.decodedLogits(floats, prompt), try CompactDecodingTests.decodedLogits(network, prompt))
        #expect(decoded.0.map(\.bitPattern) == decoded.1.map(\.bitPattern))
    }

    /// The logits of a full pass and the loss and adapter gradients of a LoRA step on `model`.
    func passAndLoRAStep(_ model: Llama) throws -> (logits: [Float], loss: Float, gradients: [Float]) {
        var generator = RandomGenerator(seed: 4)
        let rows = (0..<2).map { _ in (0..<24).map { _ in Int32(generator.integer(in: 0..<model.vocabularySize)) } }
        let logits = try model.logits(model.hiddenStates(TokenBatch(rows: rows), tape: nil), tape: nil).scalars
        try model.attachAdapters(LoRAConfiguration(rank: 8, alpha: 16), seed: 0)
        let adapters = try #require(model.adapters)
        for entry in adapters.parameters.layout.entries { adapters.parameters.fillNormal(entry.name, standardDeviation: 0.02, using: &generator) }
        let tape = Tape()
        let input = try TokenBatch(rows: rows.map { Array($0.dropLast()) })
        let loss = try model.logits(model.hiddenStates(input, tape: tape), tape: tape).crossEntropy(targets: rows.flatMap { $0.dropFirst() })
        try tape.backward(from: loss)
        return (logits, loss.item, Array(try #require(adapters.parameters.allGradients)))
    }

    @Test func aFullPassAndALoRAStepMatchTheF32Network() throws {
        // A trainable copy decodes every matrix: the f32 network, frozen again but for adapters.
        let f32 = try network.copy(trainable: true)
        f32.parameters.freeze { _ in true }
        let expected = try passAndLoRAStep(f32)
        let actual = try passAndLoRAStep(network.copy(trainable: false))
        Self.expectSameProducts(actual.logits, expected.logits, "the head is cut along its outputs only")
        Self.expectSameProducts([actual.loss], [expected.loss], "loss")
        // The head's input gradient sums its seven slices one after another: measured, one
        // gradient of 4.2e-4 off by 1.9e-7, the rest closer.
        expectClose(actual.gradients, expected.gradients.map(Double.init), Tolerance(relative: 1e-4, absolute: 1e-6), "adapter gradients")
    }
}
