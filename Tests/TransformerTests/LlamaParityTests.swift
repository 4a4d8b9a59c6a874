// The Llama implementation against Hugging Face transformers' LlamaForCausalLM on a tiny
// grouped-query checkpoint written by scripts/make_llama_training_fixtures.py: logits of a batch
// with a left-padded row, the loss, every parameter gradient, greedy decoding with the KV cache,
// and the folder written back out loading to the same numbers.
import Foundation
import Randomness
import Tensors
import Testing
import TestSupport
import Transformer

/// The inputs every tiny-model fixture shares: rows left-padded as transformers' generation pads
/// them, and the targets the logits at position t predict (labels[t + 1]).
struct PaddedFixtureBatch {
    let batch: TokenBatch
    let targets: [Int32]
    /// Flat indices into [B, T, V] logits of real (non-padding) positions.
    let realPositions: [Int]

    init(_ reference: Fixture) throws {
        let ids = (try reference.value(["input_ids"]) as? [[Int]] ?? []).map { $0.map(Int32.init) }
        let labels = (try reference.value(["labels"]) as? [[Int]] ?? []).map { $0.map(Int32.init) }
        let mask = (try? reference.value(["attention_mask"])) as? [[Int]] ?? ids.map { $0.map { _ in 1 } }
        let padding = mask.map { row in Int32(row.prefix { $0 == 0 }.count) }
        let time = ids[0].count
        let positions = padding.flatMap { pad in (0..<time).map { Int32(max(0, $0 - Int(pad))) } }
        batch = TokenBatch(
            tokens: try TokenGrid(batch: ids.count, time: time, ids: Array(ids.joined())),
            positions: try TokenGrid(batch: ids.count, time: time, ids: positions),
            firstPosition: padding.contains { $0 > 0 } ? padding : nil)
        targets = labels.flatMap { row in (0..<time).map { t in t + 1 < time && row[t + 1] >= 0 ? row[t + 1] : -1 } }
        realPositions = mask.enumerated().flatMap { b, row in row.indices.filter { row[$0] == 1 }.map { b * time + $0 } }
    }

    /// The values of [B, T, width] rows at real positions.
    func real(_ values: [Float], width: Int) -> [Float] {
        realPositions.flatMap { values[($0 * width)..<(($0 + 1) * width)] }
    }

    func real(_ values: [Double], width: Int) -> [Double] {
        realPositions.flatMap { values[($0 * width)..<(($0 + 1) * width)] }
    }
}

func flattened(_ value: Any) -> [Double] {
    if let number = value as? Double { return [number] }
    if let number = value as? Int { return [Double(number)] }
    return (value as? [Any] ?? []).flatMap(flattened)
}

@Suite struct LlamaParityTests {
    static let folder = PackageRoot.file("Tests/Fixtures/llama-tiny")
    let reference: Fixture
    let model: Llama
    let inputs: PaddedFixtureBatch

    init() throws {
        reference = try Fixture("Tests/Fixtures/llama-tiny/reference.json")
        model = try Llama.load(from: Self.folder)
        inputs = try PaddedFixtureBatch(reference)
    }

    @Test func configurationIsRead() {
        let c = model.configuration
        #expect((c.vocabularySize, c.width, c.layers, c.heads, c.keyValueHeads, c.feedForwardWidth) == (48, 16, 2, 4, 2, 24))
        #expect(c.tiedEmbeddings)
    }

    @Test func logitsAndLossMatch() throws {
        let logits = try model.logits(model.hiddenStates(inputs.batch, tape: nil), tape: nil)
        let expected = flattened(try reference.value(["logits"]))
        expectClose(inputs.real(logits.scalars, width: 48), inputs.real(expected, width: 48), Tolerance(relative: 1e-4, absolute: 1e-5), "logits at real positions")
        let loss = try logits.crossEntropy(targets: inputs.targets)
        #expect(abs(Double(loss.item) - (try reference.double("loss"))) < 1e-5)
    }

    @Test func everyParameterGradientMatches() throws {
        let tape = Tape()
        let loss = try model.logits(model.hiddenStates(inputs.batch, tape: tape), tape: tape).crossEntropy(targets: inputs.targets)
        try tape.backward(from: loss)
        let gradients = try reference.value(["gradients"]) as? [String: Any] ?? [:]
        #expect(gradients.count == model.parameters.layout.entries.count)
        for entry in model.parameters.layout.entries {
            let expected = flattened(try #require(gradients[entry.name], "no reference gradient for \(entry.name)"))
            let actual = Array(model.parameters.allGradients![entry.range])
            expectClose(actual, expected, Tolerance(relative: 1e-4, absolute: 1e-6), "gradient of \(entry.name)")
        }
    }

    @Test func greedyDecodingWithTheCacheMatches() throws {
        var generator = RandomGenerator(seed: 0)
        let prompt = try reference.int32s("greedy", "prompt")
        let generated = try model.generate(
            prompts: [prompt], parameters: SamplingParameters(temperature: 0, maxNewTokens: try reference.int("greedy", "max_new_tokens")), generator: &generator)
        #expect(generated[0].tokens == (try reference.int32s("greedy", "ids")))
    }

    @Test func cachedDecodingEqualsTheFullPass() throws {
        let prompt: [Int32] = [1, 4, 44, 21, 13, 7, 30]
        let full = try model.logits(model.hiddenStates(TokenBatch(rows: [prompt]), tape: nil), tape: nil).scalars
        let cache = model.makeCache(batch: 1, capacity: prompt.count, firstPosition: nil)
        var stepwise: [Float] = []
        for (t, token) in prompt.enumerated() {
            let input = TokenBatch(tokens: try TokenGrid(batch: 1, time: 1, ids: [token]), positions: .positions(batch: 1, time: 1, offset: t), firstPosition: nil)
            stepwise += try model.logits(model.decode(input, cache: cache), tape: nil).scalars
        }
        expectClose(stepwise, full.map(Double.init), Tolerance(relative: 1e-5, absolute: 1e-5), "one token at a time against the whole sequence")
    }

    @Test func savedFolderLoadsToTheSameLogits() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llama-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try model.save(to: folder)
        let reloaded = try Llama.load(from: folder)
        #expect(reloaded.configuration == model.configuration)
        #expect(Array(reloaded.parameters.allValues) == Array(model.parameters.allValues))
    }

    @Test func wrongShapesAndSettingsAreNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llama-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try model.save(to: folder)
        let configURL = folder.appendingPathComponent("config.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        json["intermediate_size"] = 32
        try JSONSerialization.data(withJSONObject: json).write(to: configURL)
        #expect { try Llama.load(from: folder) } throws: { "\($0)".contains("model.layers.0.mlp.gate_proj.weight") && "\($0)".contains("[32, 16]") }
        json["intermediate_size"] = 24
        json["rope_scaling"] = ["type": "linear", "factor": 2.0]
        try JSONSerialization.data(withJSONObject: json).write(to: configURL)
        #expect { try Llama.load(from: folder) } throws: { "\($0)".contains("rope_scaling") }
        json["rope_scaling"] = nil
        json["rope_theta"] = nil
        json["rope_parameters"] = ["rope_theta": 500.0, "rope_type": "default"]
        try JSONSerialization.data(withJSONObject: json).write(to: configURL)
        #expect(try Llama.load(from: folder).configuration.ropeBase == 500, "transformers 5 writes rope_parameters")
        json["rope_parameters"] = ["rope_theta": 500.0, "rope_type": "yarn"]
        try JSONSerialization.data(withJSONObject: json).write(to: configURL)
        #expect { try Llama.load(from: folder) } throws: { "\($0)".contains("rope_parameters.rope_type") }
    }
}
