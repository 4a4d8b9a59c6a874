// Which layers an adapter_config.json adapts, as PEFT 0.21.2 decides it: the expected lists are
// what get_peft_model targeted on the same tiny Llama (Tests/Fixtures/llama-tiny) with the same
// target_modules and exclude_modules; settings PEFT applies in ways this engine cannot are refused.
import Foundation
import Testing
import TestSupport
import Transformer

@Suite struct LoRAModuleSelectionTests {
    func adapted(_ configuration: LoRAConfiguration) throws -> [String] {
        let model = try Llama.load(from: PackageRoot.file("Tests/Fixtures/llama-tiny"), trainable: false)
        return try LoRAAdapters(configuration: configuration, candidates: model.adaptableLayers, seed: 0).adaptedTargets.map(\.module).sorted()
    }

    @Test func targetEntriesMatchAWholePathOrItsLastComponentsAsPEFTDoes() throws {
        #expect(try adapted(LoRAConfiguration(targetModules: ["self_attn.q_proj", "mlp.down_proj"])) == [
            "model.layers.0.mlp.down_proj", "model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj", "model.layers.1.self_attn.q_proj",
        ])
        #expect(try adapted(LoRAConfiguration(targetModules: ["layers.1.self_attn.q_proj"])) == ["model.layers.1.self_attn.q_proj"])
        #expect { try adapted(LoRAConfiguration(targetModules: ["proj"])) } throws: { "\($0)".contains("names \"proj\"") }
    }

    @Test func excludedModulesGetNoAdapterByNameOrByAWholePathPattern() throws {
        let targets = ["q_proj", "v_proj"]
        let cases: [(LoRAModuleExclusion, [String])] = [
            (.names(["model.layers.0.self_attn.q_proj"]), ["model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"]),
            (.names(["0.self_attn.q_proj"]), ["model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"]),
            (.names(["v_proj"]), ["model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj"]),
            (.pattern(#"model\.layers\.0\..*"#), ["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"]),
            // The pattern must match the whole path, as re.fullmatch does: this one excludes nothing.
            (.pattern(#"layers\.0"#), [
                "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj",
            ]),
        ]
        for (exclusion, expected) in cases {
            #expect(try adapted(LoRAConfiguration(targetModules: targets, excludedModules: exclusion)) == expected, "\(exclusion)")
        }
        #expect { try adapted(LoRAConfiguration(targetModules: ["q_proj"], excludedModules: .pattern(".*q_proj"))) }
            throws: { "\($0)".contains("exclude_modules") && "\($0)".contains("every targeted module") }
        #expect { try LoRAConfiguration(excludedModules: .pattern("(unclosed")).validate() } throws: { "\($0)".contains("excludedModules") }
    }

    func folder(_ fields: [String: Any]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lora-selection-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var config: [String: Any] = ["peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"]]
        config.merge(fields) { _, new in new }
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent(LoRAConfiguration.configFileName))
        return folder
    }

    @Test func adapterConfigExclusionsAreReadAndWrittenBack() throws {
        for (value, exclusion) in [(#"model\.layers\.1\..*"# as Any, LoRAModuleExclusion.pattern(#"model\.layers\.1\..*"#)), (["v_proj"], .names(["v_proj"]))] {
            let source = try folder(["exclude_modules": value, "target_parameters": [String](), "alora_invocation_tokens": NSNull()])
            defer { try? FileManager.default.removeItem(at: source) }
            let configuration = try LoRAConfiguration(peftConfig: source.appendingPathComponent(LoRAConfiguration.configFileName))
            #expect(configuration.excludedModules == exclusion)
            let model = try Llama.load(from: PackageRoot.file("Tests/Fixtures/llama-tiny"), trainable: false)
            let adapters = try LoRAAdapters(configuration: configuration, candidates: model.adaptableLayers, seed: 0)
            try adapters.save(to: source, baseModel: nil)
            let loaded = try LoRAAdapters.load(from: source, candidates: model.adaptableLayers)
            #expect(loaded.configuration == configuration && loaded.adaptedTargets.map(\.module) == adapters.adaptedTargets.map(\.module))
        }
    }

    @Test func parameterTargetsAndInvocationTokensAreRefusedByName() throws {
        for (field, value) in [("target_parameters", ["mlp.experts.gate_up_proj"] as Any), ("alora_invocation_tokens", [1, 2, 3]), ("exclude_modules", 7)] {
            let source = try folder([field: value])
            defer { try? FileManager.default.removeItem(at: source) }
            #expect("\(field)") {
                try LoRAConfiguration(peftConfig: source.appendingPathComponent(LoRAConfiguration.configFileName))
            } throws: { "\($0)".contains(field) && "\($0)".contains(source.path) }
        }
    }
}
