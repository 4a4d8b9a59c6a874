// Low-rank adapters against PEFT on the tiny checkpoints (scripts/make_llama_training_fixtures.py):
// the adapter folders PEFT saved load here, and the adapted logits, the loss, every lora_A/lora_B
// gradient, the base with adapters off and the merged model all match.
import Foundation
import Tensors
import Testing
import TestSupport
import Transformer

@Suite struct LoRAParityTests {
    struct Case: Sendable {
        let fixture: String
        let base: @Sendable () throws -> any CausalLanguageModel
    }

    static let llama = Case(fixture: "llama-tiny-lora") { try Llama.load(from: PackageRoot.file("Tests/Fixtures/llama-tiny"), trainable: false) }
    static let gpt = Case(fixture: "gpt2-tiny-lora") { try GPT.load(from: PackageRoot.file("Tests/Fixtures/gpt2-tiny"), trainable: false) }

    func prepared(_ c: Case) throws -> (model: any CausalLanguageModel, reference: Fixture, inputs: PaddedFixtureBatch) {
        let model = try c.base()
        model.adapters = try LoRAAdapters.load(from: PackageRoot.file("Tests/Fixtures/\(c.fixture)"), candidates: model.adaptableLayers)
        let reference = try Fixture("Tests/Fixtures/\(c.fixture)/reference.json")
        return (model, reference, try PaddedFixtureBatch(reference))
    }

    func logits(_ model: any CausalLanguageModel, _ inputs: PaddedFixtureBatch, tape: Tape? = nil) throws -> Tensor {
        try model.logits(model.hiddenStates(inputs.batch, tape: tape), tape: tape)
    }

    @Test(arguments: ["llama", "gpt"])
    func adaptedLogitsLossAndGradientsMatch(_ family: String) throws {
        let (model, reference, inputs) = try prepared(family == "llama" ? Self.llama : Self.gpt)
        let V = model.vocabularySize
        let tape = Tape()
        let output = try logits(model, inputs, tape: tape)
        expectClose(inputs.real(output.scalars, width: V), inputs.real(flattened(try reference.value(["logits"])), width: V),
                    Tolerance(relative: 1e-4, absolute: 1e-5), "adapted logits")
        let loss = try output.crossEntropy(targets: inputs.targets)
        #expect(abs(Double(loss.item) - (try reference.double("loss"))) < 1e-5)
        try tape.backward(from: loss)
        let adapters = try #require(model.adapters)
        #expect(model.parameters.allGradients == nil, "the frozen base keeps no gradient memory")
        let gradients = try reference.value(["gradients"]) as? [String: Any] ?? [:]
        #expect(gradients.count == adapters.parameters.layout.entries.count)
        for entry in adapters.parameters.layout.entries {
            let expected = flattened(try #require(gradients[entry.name], "no reference gradient for \(entry.name)"))
            expectClose(Array(adapters.parameters.allGradients![entry.range]), expected, Tolerance(relative: 1e-4, absolute: 1e-6), "gradient of \(entry.name)")
        }
    }

    @Test(arguments: ["llama", "gpt"])
    func adaptersOffGiveTheBaseAndMergingKeepsTheOutput(_ family: String) throws {
        let (model, reference, inputs) = try prepared(family == "llama" ? Self.llama : Self.gpt)
        let V = model.vocabularySize, tolerance = Tolerance(relative: 1e-4, absolute: 1e-5)
        let disabled = try model.withoutAdapters { try logits(model, inputs) }
        expectClose(inputs.real(disabled.scalars, width: V), inputs.real(flattened(try reference.value(["disabled_logits"])), width: V), tolerance, "adapters off")
        model.mergeAdapters()
        #expect(model.adapters == nil)
        expectClose(inputs.real(try logits(model, inputs).scalars, width: V), inputs.real(flattened(try reference.value(["merged_logits"])), width: V), tolerance, "merged")
    }

    @Test func savedAdapterFolderRoundTrips() throws {
        let (model, _, inputs) = try prepared(Self.llama)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("adapter-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try model.adapters!.save(to: folder, baseModel: "Tests/Fixtures/llama-tiny")
        let before = try logits(model, inputs).scalars
        model.adapters = try LoRAAdapters.load(from: folder, candidates: model.adaptableLayers)
        #expect(try logits(model, inputs).scalars == before)
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))) as? [String: Any])
        #expect(config["peft_type"] as? String == "LORA")
        #expect(config["r"] as? Int == 4)
        #expect(config["fan_in_fan_out"] as? Bool == false)

        // A rank the configuration claims and the file does not hold is refused before it sizes
        // anything: over layers this wide, rank 65,536 would ask for about a terabyte.
        var claimed = config
        claimed["r"] = 65_536
        try JSONSerialization.data(withJSONObject: claimed).write(to: folder.appendingPathComponent("adapter_config.json"))
        let wide = model.adaptableLayers.map { LoRATarget(weight: $0.weight, module: $0.module, inputs: 1 << 22, outputs: 1 << 22, inputsByOutputs: false) }
        #expect { try LoRAAdapters.load(from: folder, candidates: wide) } throws: { "\($0)".contains("lora_A") }
    }

    @Test func freshAdaptersStartAtTheBaseAndTrainOnlyThemselves() throws {
        let model = try Self.llama.base()
        let inputs = try PaddedFixtureBatch(try Fixture("Tests/Fixtures/llama-tiny/reference.json"))
        let base = try logits(model, inputs).scalars
        try model.attachAdapters(LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["q_proj", "v_proj"]), seed: 3)
        #expect(try logits(model, inputs).scalars == base, "B starts at zero")
        #expect(model.adapters!.parameters.layout.entries.count == 2 * 2 * 2)
        #expect(model.trainableParameters === model.adapters!.parameters)
    }

    @Test func mismatchedAdaptersAreNamed() throws {
        let model = try Self.gpt.base()
        #expect { try LoRAAdapters.load(from: PackageRoot.file("Tests/Fixtures/llama-tiny-lora"), candidates: model.adaptableLayers) }
            throws: { "\($0)".contains("target_modules") && "\($0)".contains("down_proj") && "\($0)".contains("c_attn") }
        #expect { try model.attachAdapters(LoRAConfiguration(targetModules: ["nope"]), seed: 0) } throws: { "\($0)".contains("nope") }
    }
}
