// The commands on the Llama family as a user runs them: chat with SmolLM2's GGUF file, tokenize
// with a file or a folder holding only tokenizer files, and LoRA fine-tuning that leaves a PEFT
// adapter folder every --model command can load back.
import Foundation
import LanguageModeling
import ModelTestSupport
import Testing
import Tokenization
import Transformer

@Suite struct LlamaCommandLineTests {
    static let gguf = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/models/SmolLM2-135M-Instruct.Q4_1.gguf").path

    @Test func chatPrintsJustTheGreedyAnswer() throws {
        let result = try rlhf(["generate", "--model", Self.gguf, "--chat", "--temperature", "0", "--max-new-tokens", "16", "--prompt", "What is the capital of France?"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "The capital of France is Paris.\n")
        let floats = try rlhf(["generate", "--model", Self.gguf, "--frozen-matrices", "f32", "--chat", "--temperature", "0", "--max-new-tokens", "16", "--prompt", "What is the capital of France?"])
        #expect(floats.status == 0, "\(floats.error)")
        #expect(floats.output == result.output)
        let unknown = try rlhf(["generate", "--model", Self.gguf, "--frozen-matrices", "q4", "--prompt", "Hi"])
        #expect(unknown.status != 0)
        #expect(unknown.error.contains("--frozen-matrices") && unknown.error.contains("f32"), "\(unknown.error)")
    }

    /// `sample-tasks --chat` asks the chat model each prompt as a user message; a model without a
    /// chat template is refused.
    @Test func sampleTasksAnswersPromptsInTheChatTemplate() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sample-chat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let prompts = folder.appendingPathComponent("prompts.jsonl"), output = folder.appendingPathComponent("tasks.jsonl")
        try Data(#"{"prompt": "What is the capital of France?", "film": "ignored"}"#.utf8 + [10]).write(to: prompts)
        let run = try rlhf(["reward", "sample-tasks", "--model", Self.gguf, "--chat", "--prompts", prompts.path, "--count", "1", "--responses", "2",
                            "--temperature", "0.5", "--max-new-tokens", "12", "--output", output.path])
        #expect(run.status == 0, "\(run.error)")
        let line = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
        let answers = try #require(line["completions"] as? [[String: Any]]).compactMap { $0["text"] as? String }
        #expect(line["prompt"] as? String == "What is the capital of France?" && answers.count == 2 && Set(answers).count == 2, "\(line)")
        // A continuation of the question as text starts a new line or word; the seeded draw's answers
        // are the assistant's, and one names the capital.
        #expect(answers.allSatisfy { !($0.first?.isWhitespace ?? true) } && answers.contains { $0.contains("Paris") }, "\(answers)")

        let workspace = try CrashWorkspace.shared.get()
        let plain = try rlhf(["reward", "sample-tasks", "--model", workspace.path("gpt"), "--chat", "--prompts", prompts.path, "--count", "1",
                              "--output", folder.appendingPathComponent("plain.jsonl").path])
        #expect(plain.status != 0 && plain.error.contains("has no chat template"), "\(plain.error)")
    }

    @Test func tokenizeReadsAGGUFFileOrATokenizerOnlyFolder() throws {
        let text = "Hello world 123"
        let fromFile = try rlhf(["tokenize", "--model", Self.gguf], input: text)
        #expect(fromFile.status == 0, "\(fromFile.error)")
        #expect(fromFile.output == "[19556, 905, 216, 33, 34, 35]\n")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-only-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try LanguageModel.loadTokenizer(from: URL(fileURLWithPath: Self.gguf)).saveTokenizerJSON(to: folder)
        let fromFolder = try rlhf(["tokenize", "--model", folder.path], input: text)
        #expect(fromFolder.status == 0, "\(fromFolder.error)")
        #expect(fromFolder.output == fromFile.output)
    }

    @Test func loraFineTuningLeavesAnAdapterEveryCommandLoads() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lora-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = try saveTinyLlama(in: folder)
        let data = folder.appendingPathComponent("demos.jsonl")
        try Data((0..<8).map { #"{"prompt": "ab\#($0 % 2)", "completion": "cd"}"# }.joined(separator: "\n").utf8).write(to: data)
        let run = folder.appendingPathComponent("run")
        let trained = try rlhf(["sft", "--model", base.path, "--data", data.path, "--output", run.path, "--steps", "6", "--lora-rank", "2"])
        #expect(trained.status == 0, "\(trained.error)")
        let adapter = run.appendingPathComponent("model")
        #expect(FileManager.default.fileExists(atPath: adapter.appendingPathComponent("adapter_config.json").path))
        let viaAdapter = try rlhf(["generate", "--model", base.path, "--adapter", adapter.path, "--temperature", "0", "--max-new-tokens", "3", "--prompt", "ab", "--json"])
        let viaFolder = try rlhf(["generate", "--model", adapter.path, "--temperature", "0", "--max-new-tokens", "3", "--prompt", "ab", "--json"])
        #expect(viaAdapter.status == 0 && viaFolder.status == 0, "\(viaAdapter.error) \(viaFolder.error)")
        #expect(viaAdapter.output == viaFolder.output)
        let twice = try rlhf(["generate", "--model", adapter.path, "--adapter", adapter.path, "--prompt", "ab"])
        #expect(twice.status != 0 && twice.error.contains("--adapter"))
    }
}
