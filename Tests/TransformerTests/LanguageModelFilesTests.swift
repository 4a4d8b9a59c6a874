// What a model's files say beyond its weights, read and written as other tools do: the GGUF
// pre-tokenizer's name, the chat template (its default system message as a Jinja string, and
// templates this engine cannot render), and the base an adapter folder names.
import Checkpoints
import Foundation
import LanguageModeling
import Testing
import TestSupport
import Transformer

@Suite struct LanguageModelFilesTests {
    func refusedField(_ error: any Error) -> String? {
        guard case let CheckpointError.invalidField(_, field, _) = error else { return nil }
        return field
    }

    @Test func aGGUFTokenizerMustNameItsPreTokenizer() throws {
        for (pre, splitsDigits) in [("gpt-2", false), ("gpt2", false), ("smollm", true)] {
            var writer = GGUFWriter.tinyLlama()
            writer.set("tokenizer.ggml.pre", string: pre)
            #expect(try LanguageModel.tokenizer(ofGGUF: GGUFFile(contentsOf: writer.write(named: "pre.gguf"))).splitsDigits == splitsDigits, "\(pre)")
        }
        // llama.cpp splits these with its own default pattern, not GPT-2's.
        for pre in [nil, "default"] {
            var writer = GGUFWriter.tinyLlama()
            writer.metadata.removeAll { $0.key == "tokenizer.ggml.pre" }
            if let pre { writer.set("tokenizer.ggml.pre", string: pre) }
            let url = try writer.write(named: "unnamed-pre.gguf")
            #expect { try LanguageModel.load(from: url) } throws: {
                refusedField($0) == "tokenizer.ggml.pre" && "\($0)".contains(url.path) && "\($0)".contains("llama.cpp")
            }
        }
    }

    /// The default system message sits in a single-quoted Jinja string, where Jinja undoes Python's
    /// backslash escapes and turns a raw carriage return into a line feed.
    @Test func theDefaultSystemMessageIsAJinjaStringThatRendersItself() throws {
        let message = "It's C:\\temp\\new\r\nsecond line"
        let jinja = ChatTemplate(defaultSystemMessage: message).jinja
        // Jinja's lexer reads a single-quoted string as '([^'\\]*(?:\\.[^'\\]*)*)'.
        let system = try Regex(#"\{\{ '<\|im_start\|>system\n((?:[^'\\]|\\.)*)<\|im_end\|>\n' \}\}"#).dotMatchesNewlines()
        let literal = try #require(jinja.firstMatch(of: system)?.output[1].substring)
        #expect(literal == #"It\'s C:\\temp\\new\r"# + "\nsecond line")
        #expect(ChatTemplate(jinja: jinja)?.defaultSystemMessage == message)
        let written = jinja.replacingOccurrences(of: #"It\'s C:\\temp\\new\r"# + "\nsecond line", with: #"Say \"hi\"\tthen\n\q"#)
        #expect(ChatTemplate(jinja: written)?.defaultSystemMessage == "Say \"hi\"\tthen\n\\q", "other templates' escapes")
    }

    /// A Llama 3 template is not ChatML: a lone user message is still a plain prompt, but a
    /// conversation is not cut down to its last message.
    @Test func aTemplateThatIsNotRenderedRefusesConversations() throws {
        let llama3 = "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] + '<|eot_id|>' }}{% endfor %}"
        var writer = GGUFWriter.tinyLlama()
        writer.set("tokenizer.chat_template", string: llama3)
        let url = try writer.write(named: "llama3-template.gguf")
        let model = try LanguageModel.load(from: url, trainable: false)
        #expect(model.chatTemplate == nil && model.hasUnrenderedChatTemplate)
        #expect(try model.chatPrompt(user: "ab a") == model.encode("ab a"))
        let conversations = [
            [ChatMessage(role: "user", content: "a"), ChatMessage(role: "assistant", content: "b"), ChatMessage(role: "user", content: "ab")],
            [ChatMessage(role: "system", content: "a"), ChatMessage(role: "user", content: "ab")],
        ]
        for conversation in conversations {
            #expect { try model.chatPrompt(conversation) } throws: { refusedField($0) == "chat_template" && "\($0)".contains(url.path) }
        }

        let plain = try LanguageModel.load(from: GGUFWriter.tinyLlama().write(named: "no-template.gguf"), trainable: false)
        #expect(!plain.hasUnrenderedChatTemplate)
        #expect(try plain.chatPrompt(conversations[0]) == plain.encode("ab"), "a model without a template prompts with the last message")
        writer.set("tokenizer.chat_template", string: ChatTemplate().jinja)
        #expect(try !LanguageModel.load(from: writer.write(named: "chatml.gguf"), trainable: false).hasUnrenderedChatTemplate)

        // Saved as a folder, the template is the file's own text, and reads back the same.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llama3-template-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try model.save(to: folder)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("tokenizer_config.json"))) as? [String: Any]
        #expect(config?["chat_template"] as? String == llama3)
        #expect(try LanguageModel.load(from: folder, trainable: false).chatTemplateSource == llama3)
    }

    /// PEFT writes null for a base it has no name for; an empty string names no file either.
    /// A SmolLM2 folder held vocab.json + merges.txt that cannot say its tokenizer (missing byte
    /// tokens, digits split apart): now it holds tokenizer.json alone, as transformers reads it,
    /// while a GPT-2 folder keeps the pair, which GPT-2's slow tokenizer and tiktoken read.
    @Test func theTwoTokenizerFilesAreWrittenOnlyWhereTheyExpressTheTokenizer() throws {
        let smol = try LanguageModel.loadTokenizer(from: PackageRoot.file("data/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
        #expect(smol.vocabularyAndMergesShortfall?.contains("splits every digit apart") == true)
        let model = try LanguageModel.load(from: GGUFWriter.tinyLlama().write(named: "two-files.gguf"), trainable: false)
        #expect(model.tokenizer.vocabularyAndMergesShortfall != nil)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("two-files-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for stale in ["vocab.json", "merges.txt"] { try Data("{}".utf8).write(to: folder.appendingPathComponent(stale)) }
        try model.save(to: folder)
        for name in ["vocab.json", "merges.txt"] {
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)")
        }
        #expect(try LanguageModel.load(from: folder, trainable: false).tokenizer == model.tokenizer)

        let gpt2 = try LanguageModel.loadTokenizer(from: PackageRoot.file("data/gpt2"))
        let network = try GPT(configuration: GPTConfiguration(vocabularySize: gpt2.vocabularySize, contextLength: 8, width: 8, layers: 1, heads: 1, endOfTextToken: 50256))
        try LanguageModel(network: network, tokenizer: gpt2).save(to: folder)
        #expect(try LanguageModel.loadTokenizer(from: folder) == gpt2)
        for name in ["vocab.json", "merges.txt", "tokenizer.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)")
        }
    }

    @Test func anAdapterOfAModelReadFromNoFileNamesNoBase() throws {
        let url = try GGUFWriter.tinyLlama().write(named: "base.gguf")
        let base = try LanguageModel.load(from: url, trainable: false)
        try base.network.attachAdapters(LoRAConfiguration(rank: 2, alpha: 4), seed: 1)
        let unnamed = try LanguageModel(network: base.network, tokenizer: base.tokenizer)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("adapter-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try unnamed.saveAdapters(to: folder)
        let configURL = folder.appendingPathComponent(LoRAConfiguration.configFileName)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        #expect(json["base_model_name_or_path"] is NSNull)
        #expect(try LanguageModel.load(from: url, adapter: folder, trainable: false).network.adapters != nil)

        let noBase = CheckpointError.invalidField(
            path: configURL.path, field: "base_model_name_or_path", reason: "names no base model: give the base with --model and the adapter with --adapter")
        for value in [NSNull(), nil, ""] as [Any?] {
            json["base_model_name_or_path"] = value
            try JSONSerialization.data(withJSONObject: json).write(to: configURL)
            #expect(throws: noBase) { try LanguageModel.load(from: folder) }
        }
        try base.saveAdapters(to: folder)
        #expect(try LanguageModel.baseModel(of: folder).path == url.standardizedFileURL.path)
    }
}
