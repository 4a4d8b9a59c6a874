// The real SmolLM2 file's weights in compact form (Llama+CompactWeights.swift): every matrix is
// Q4_1 or Q8_0 values once dequantised, so every one gets a lossless compact form, and decoding
// through them gives the logits of the f32 full pass up to summation order.
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

    @Test func decodingThroughCompactFormsGivesTheFullPassLogits() throws {
        let prompt: [Int32] = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411, 407, 19712, 8182, 2]
        let full = try network.logits(network.hiddenStates(TokenBatch(rows: [prompt]), tape: nil), tape: nil).scalars
        let cache = network.makeCache(batch: 1, capacity: prompt.count, firstPosition: nil)
        var stepwise: [Float] = []
        for (t, token) in prompt.enumerated() {
            let input = TokenBatch(tokens: try TokenGrid(batch: 1, time: 1, ids: [token]), positions: .positions(batch: 1, time: 1, offset: t), firstPosition: nil)
            stepwise += try network.logits(network.decode(input, cache: cache), tape: nil).scalars
        }
        // Logits reach 35 here; the f32 decode (sgemv) differs from the full pass by up to 8e-5,
        // the compact one by up to 1.3e-4.
        expectClose(stepwise, full.map(Double.init), Tolerance(relative: 1e-5, absolute: 3e-4), "compact decode vs f32 full pass")
    }
}
