// Settings of GGUF metadata and config.json that change what a model computes: RoPE scaling and
// head sizes llama.cpp would honour, GPT-2's attention scaling flags, the tie of the output head
// when config.json leaves it out, and Llama 3's list of end tokens.
import Checkpoints
import Foundation
import Testing
import Transformer

@Suite struct ModelConfigurationTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The field an error refuses, if it refuses one.
    func refusedField(_ error: any Error) -> String? {
        guard case let CheckpointError.invalidField(_, field, _) = error else { return nil }
        return field
    }

    func writeJSON(_ json: [String: Any], to url: URL) throws {
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    @Test func ggufRoPEScalingAndOtherHeadSizesAreRefused() throws {
        var plain = GGUFWriter.tinyLlama()
        plain.set("llama.rope.scaling.type", string: "none")
        plain.set("llama.rope.scaling.factor", float: 1)
        for key in ["llama.rope.dimension_count", "llama.attention.key_length", "llama.attention.value_length"] { plain.set(key, integer: 4) }
        #expect(try LlamaConfiguration(gguf: GGUFFile(contentsOf: plain.write(named: "plain.gguf"))).headSize == 4)
        var unset = GGUFWriter.tinyLlama()
        unset.set("llama.rope.scaling.factor", float: 0)
        // llama.cpp reads a factor of 0 as no scaling.
        _ = try LlamaConfiguration(gguf: GGUFFile(contentsOf: unset.write(named: "unset.gguf")))

        let refusals: [(String, (inout GGUFWriter) -> Void)] = [
            ("llama.rope.scaling.type", { $0.set("llama.rope.scaling.type", string: "yarn") }),
            ("llama.rope.scaling.factor", { $0.set("llama.rope.scaling.factor", float: 8) }),
            ("llama.rope.scale_linear", { $0.set("llama.rope.scale_linear", float: 2) }),
            ("llama.rope.dimension_count", { $0.set("llama.rope.dimension_count", integer: 2) }),
            ("llama.attention.key_length", { $0.set("llama.attention.key_length", integer: 8) }),
            ("llama.attention.value_length", { $0.set("llama.attention.value_length", integer: 8) }),
            ("rope_freqs.weight", { $0.tensors.append(("rope_freqs.weight", [2], 0, [UInt8](repeating: 0, count: 8))) }),
        ]
        for (field, change) in refusals {
            var writer = GGUFWriter.tinyLlama()
            change(&writer)
            let url = try writer.write(named: "scaled.gguf")
            #expect { try LlamaConfiguration(gguf: GGUFFile(contentsOf: url)) } throws: { refusedField($0) == field && "\($0)".contains(url.path) }
        }
    }

    /// transformers' LlamaConfig leaves the head untied when tie_word_embeddings is left out, and
    /// reads lm_head.weight; without one the embedding is the only head there is.
    @Test func anUnstatedTieFollowsTheWeights() throws {
        for tied in [true, false] {
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let model = try Llama(configuration: LlamaConfiguration(
                vocabularySize: 12, contextLength: 8, width: 8, layers: 1, heads: 2, keyValueHeads: 1, feedForwardWidth: 16, tiedEmbeddings: tied))
            model.initialize(seed: 3)
            try model.save(to: folder)
            let configURL = folder.appendingPathComponent("config.json")
            var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
            json["tie_word_embeddings"] = nil
            try writeJSON(json, to: configURL)
            let loaded = try Llama.load(from: folder)
            #expect(loaded.configuration.tiedEmbeddings == tied)
            #expect(Array(loaded.parameters.allValues) == Array(model.parameters.allValues))

            guard !tied else { continue }
            json["tie_word_embeddings"] = true
            try writeJSON(json, to: configURL)
            #expect(throws: CheckpointError.invalidField(
                path: folder.appendingPathComponent("model.safetensors").path, field: "lm_head.weight",
                reason: "differs from model.embed_tokens.weight although config.json sets tie_word_embeddings to true")) {
                try Llama.load(from: folder)
            }
        }
    }

    /// Llama 3 lists the ids that end text, a message and a turn; the first is the end token.
    @Test func aListOfEndTokensGivesTheFirst() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("config.json")
        let llama = LlamaConfiguration(vocabularySize: 12, contextLength: 8, width: 8, layers: 1, heads: 2, keyValueHeads: 1, feedForwardWidth: 16)
        let gpt = GPTConfiguration(vocabularySize: 12, contextLength: 8, width: 8, layers: 1, heads: 2)
        let readers: [(String, [String: Any], () throws -> Int32?)] = [
            ("llama", llama.huggingFaceConfig, { try LlamaConfiguration(huggingFaceConfig: url).endOfSequenceToken }),
            ("gpt2", gpt.huggingFaceConfig, { try GPTConfiguration(huggingFaceConfig: url).endOfTextToken }),
        ]
        for (family, base, endToken) in readers {
            var json = base
            let cases: [(value: Any, expected: Int32?)] = [(11, 11), ([9, 10, 11], 9), ([Int](), nil), (NSNull(), nil)]
            for (value, expected) in cases {
                json["eos_token_id"] = value
                try writeJSON(json, to: url)
                #expect(try endToken() == expected, "\(family): \(value)")
            }
            json["eos_token_id"] = [9, 12]
            try writeJSON(json, to: url)
            #expect(throws: CheckpointError.invalidField(path: url.path, field: "eos_token_id", reason: "holds 12, outside the vocabulary's ids 0..<12")) { try endToken() }
            json["eos_token_id"] = "</s>"
            try writeJSON(json, to: url)
            #expect(throws: CheckpointError.invalidField(path: url.path, field: "eos_token_id", reason: "must be a token id or a list of them")) { try endToken() }
        }
    }

    @Test func gpt2AttentionScalingOtherThanOneOverRootHeadSizeIsRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("config.json")
        var json = GPTConfiguration(vocabularySize: 12, contextLength: 8, width: 8, layers: 1, heads: 2).huggingFaceConfig
        // transformers' defaults, and reorder_and_upcast_attn, which only changes the precision.
        json.merge(["scale_attn_weights": true, "scale_attn_by_inverse_layer_idx": false, "reorder_and_upcast_attn": true]) { $1 }
        try writeJSON(json, to: url)
        _ = try GPTConfiguration(huggingFaceConfig: url)
        for (key, value) in [("scale_attn_weights", false), ("scale_attn_by_inverse_layer_idx", true)] {
            var changed = json
            changed[key] = value
            try writeJSON(changed, to: url)
            #expect { try GPTConfiguration(huggingFaceConfig: url) } throws: { refusedField($0) == key && "\($0)".contains(url.path) }
        }
    }
}
