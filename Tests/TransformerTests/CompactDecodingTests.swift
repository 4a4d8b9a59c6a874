// Decoding through the compact forms of frozen weights (Llama+CompactWeights.swift) on a small
// Llama whose weights are Q4_1 and Q8_0 values, as a GGUF file's are: every matrix gets a form,
// the cached decode equals the f32 full pass, a row decodes the same alone and in a batch, and
// weights that training or merging may change never decode stale.
import Randomness
import Tensors
import Testing
import TestSupport
@testable import Transformer

@Suite struct CompactDecodingTests {
    static let configuration = LlamaConfiguration(
        vocabularySize: 96, contextLength: 64, width: 64, layers: 2, heads: 4, keyValueHeads: 2, feedForwardWidth: 128)

    /// A model whose matrices hold values of ggml's block formats: Q8_0 for the embedding, Q4_1
    /// for the rest (per 32 inputs, m = the minimum and d = (max − min)/15 in half precision).
    static func quantizedModel(trainable: Bool) throws -> Llama {
        let model = try Llama(configuration: configuration, trainable: trainable)
        model.initialize(seed: 5)
        for entry in model.parameters.layout.entries where entry.shape.rank == 2 {
            model.parameters.withValues(of: entry.name) { values in
                for start in stride(from: 0, to: values.count, by: 32) {
                    let block = values[start..<(start + 32)].map { $0 * 4 }
                    if entry.name == "model.embed_tokens.weight" {
                        let d = Float(Float16(block.map(abs).max()! / 127))
                        // + 0 turns a code of -0 into 0, as ggml's integer codes are.
                        for j in 0..<32 { values[start + j] = d * ((block[j] / d).rounded() + 0) }
                    } else {
                        let m = Float(Float16(block.min()!)), d = Float(Float16((block.max()! - m) / 15))
                        for j in 0..<32 { values[start + j] = d * min(15, max(0, ((block[j] - m) / d).rounded())) + m }
                    }
                }
            }
        }
        return model
    }

    func formCount(_ model: Llama) -> Int {
        let w = model.compactWeights.weights(for: model)
        return w.blocks.flatMap { [$0.query, $0.key, $0.value, $0.output, $0.gate, $0.up, $0.down] }.compactMap { $0 }.count
            + (w.outputHead == nil ? 0 : 1)
    }

    /// The logits of decoding `prompt` one token at a time through a KV cache.
    static func decodedLogits(_ model: Llama, _ prompt: [Int32]) throws -> [Float] {
        let cache = model.makeCache(batch: 1, capacity: prompt.count, firstPosition: nil)
        var logits: [Float] = []
        for (t, token) in prompt.enumerated() {
            let input = TokenBatch(tokens: try TokenGrid(batch: 1, time: 1, ids: [token]), positions: .positions(batch: 1, time: 1, offset: t), firstPosition: nil)
            logits += try model.logits(model.decode(input, cache: cache), tape: nil).scalars
        }
        return logits
    }

    /// Longer than CompactProduct.rowLimit, so the full pass takes the f32 path.
    static let prompt: [Int32] = (0..<24).map { Int32($0 * 7 % 96) }

    func fullPassLogits(_ model: Llama) throws -> [Double] {
        try model.logits(model.hiddenStates(TokenBatch(rows: [Self.prompt]), tape: nil), tape: nil).scalars.map(Double.init)
    }

    @Test func cachedDecodingThroughCompactFormsEqualsTheFullPass() throws {
        let model = try Self.quantizedModel(trainable: false)
        #expect(formCount(model) == 2 * 7 + 1, "every matrix of a quantised model has a compact form")
        expectClose(try Self.decodedLogits(model, Self.prompt), try fullPassLogits(model), Tolerance(relative: 1e-5, absolute: 1e-5), "compact decode vs f32 full pass")
    }

    @Test func aRowDecodesTheSameAloneAndInABatch() throws {
        let model = try Self.quantizedModel(trainable: false)
        let prompts: [[Int32]] = [[3, 17, 40, 2], [9], [50, 51, 52, 53, 54, 55, 56]]
        let greedy = SamplingParameters(temperature: 0, maxNewTokens: 12)
        var generator = RandomGenerator(seed: 0)
        let together = try model.generate(prompts: prompts, parameters: greedy, generator: &generator)
        for (prompt, generation) in zip(prompts, together) {
            #expect(try model.generate(prompts: [prompt], parameters: greedy, generator: &generator) == [generation], "\(prompt)")
        }
    }

    @Test func trainableWeightsKeepTheF32Path() throws {
        let model = try Self.quantizedModel(trainable: true)
        #expect(formCount(model) == 0, "nothing is compacted while it can be trained")
        model.parameters.freeze { _ in true }
        #expect(formCount(model) == 15)
        model.parameters.unfreezeAll()
        #expect(formCount(model) == 0, "unfrozen weights lose their forms")
        // Trained in between (unfrozen, a pass on the tape, a step), then frozen again: the forms
        // are rebuilt from the new values.
        model.parameters.freeze { _ in true }
        _ = formCount(model)
        model.parameters.unfreezeAll()
        _ = try model.hiddenStates(TokenBatch(rows: [[1, 2, 3]]), tape: Tape())
        // Doubling keeps every value a Q4_1/Q8_0 value (d and m double), so stale forms would
        // go unnoticed but for the comparison below.
        for i in model.parameters.allValues.indices { model.parameters.allValues[i] *= 2 }
        model.parameters.freeze { _ in true }
        #expect(formCount(model) == 15)
        // Doubled weights double the summation noise; stale forms would be off by far more.
        expectClose(try Self.decodedLogits(model, Self.prompt), try fullPassLogits(model), Tolerance(relative: 1e-4, absolute: 5e-5), "after training")
    }

    @Test func mergingAdaptersRebuildsTheForms() throws {
        let model = try Self.quantizedModel(trainable: false)
        try model.attachAdapters(LoRAConfiguration(rank: 4, alpha: 8), seed: 1)
        var generator = RandomGenerator(seed: 2)
        let adapters = try #require(model.adapters)
        for entry in adapters.parameters.layout.entries { adapters.parameters.fillNormal(entry.name, standardDeviation: 0.05, using: &generator) }
        let adapted = try fullPassLogits(model)
        expectClose(try Self.decodedLogits(model, Self.prompt), adapted, Tolerance(relative: 1e-5, absolute: 1e-5), "compact base plus adapters")
        model.mergeAdapters()
        expectClose(try Self.decodedLogits(model, Self.prompt), adapted, Tolerance(relative: 1e-4, absolute: 1e-4), "merged")
        #expect(formCount(model) < 15, "merged weights are no longer Q4_1 values")
    }
}
