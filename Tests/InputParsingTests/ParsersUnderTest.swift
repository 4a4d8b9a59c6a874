// Every parser of outside input, as the fuzz targets in fuzz/Targets call it: the name of its
// target (and of its folders under fuzz/), the file name it is given, which errors are its own,
// and how to feed it bytes.
import Checkpoints
import ConfigFiles
import FeedbackFormats
import Finetuning
import Foundation
import LanguageModeling
import PreferenceOptimization
import TestSupport
@testable import Tokenization
import Transformer

struct ParserUnderTest: Sendable, CustomStringConvertible {
    /// The fuzz target's name: its seeds are in fuzz/corpus/NAME, its fixed crashes in fuzz/regressions/NAME.
    let name: String
    /// The name the input is written under; every refusal must contain it.
    let inputName: String
    /// Seeded random edits per seed file, fewer for the large seeds so the whole test stays quick.
    var editsPerSeed = 800
    /// Leading bytes holding binary lengths and counts, overwritten with huge integers.
    var headerBytes = 0
    let isTyped: @Sendable (any Error) -> Bool
    /// Parses the bytes, written as `inputName` in `folder` for parsers that read files.
    let parse: @Sendable (_ bytes: [UInt8], _ folder: URL) throws -> Void

    var description: String { name }

    /// The committed files of fuzz/FOLDER/NAME.
    func files(in folder: String) throws -> [URL] {
        let directory = PackageRoot.file("fuzz/\(folder)/\(name)")
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}

/// Writes `bytes` as `name` in `folder`.
func inputFile(_ bytes: [UInt8], named name: String, in folder: URL) throws -> URL {
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

/// A run configuration file laid over the defaults of `rlhf pretrain` and `rlhf sft`, checked as
/// those commands check it.
private func readRunConfiguration(_ url: URL) throws {
    try readByAny([
        { _ = try ConfigurationFile.load(PretrainingConfiguration.self, from: url, defaults: PretrainingConfiguration()) { try $0.optimization.validate() } },
        {
            _ = try ConfigurationFile.load(SupervisedConfiguration.self, from: url, defaults: SupervisedConfiguration()) {
                try $0.optimization.validate()
                try $0.lora?.validate()
            }
        },
    ])
}

/// Gives the input to every reader of its kind of file (each seed is one reader's): it is read if
/// one reads it, and refused with the first refusal otherwise; every refusal must be typed and named.
private func readByAny(_ readers: [() throws -> Void]) throws {
    var refusals: [any Error] = []
    for read in readers {
        do { try read() } catch { refusals.append(error) }
    }
    guard refusals.count == readers.count else {
        let named = { (error: any Error) in (error is CheckpointError || error is ConfigurationError) && ["config.json", "run.json"].contains { "\(error)".contains($0) } }
        if let stray = refusals.first(where: { !named($0) }) { throw stray }
        return
    }
    throw refusals[0]
}

/// Text with every kind of piece the pre-tokenizers cut: a tokenizer that loads must round-trip it.
private func exercise(_ tokenizer: BPETokenizer) throws {
    _ = try tokenizer.decode(tokenizer.encode("Hello, world! It's 2026: café ✓ \u{0}\t\n  <|endoftext|>x", specialTokens: .recognizeAll))
}

let parsersUnderTest: [ParserUnderTest] = [
    ParserUnderTest(name: "safetensors", inputName: "input.safetensors", headerBytes: 8, isTyped: { $0 is CheckpointError }) { bytes, folder in
        _ = try SafeTensors.read(inputFile(bytes, named: "input.safetensors", in: folder))
    },
    ParserUnderTest(name: "gguf", inputName: "input.gguf", editsPerSeed: 500, headerBytes: 64, isTyped: { $0 is CheckpointError || $0 is TokenizationError }) {
        bytes, folder in
        let file = try GGUFFile(contentsOf: inputFile(bytes, named: "input.gguf", in: folder))
        for tensor in file.tensors { _ = try file.floats(tensor.name) }
        _ = try? LanguageModel.tokenizer(ofGGUF: file)
        // Not every seed is a whole model: a refusal that names the file is an answer too.
        do { _ = try Llama(gguf: file) } catch let error as CheckpointError where "\(error)".contains("input.gguf") {}
    },
    ParserUnderTest(name: "model-config", inputName: "config.json", editsPerSeed: 250, isTyped: { $0 is CheckpointError }) { bytes, folder in
        let url = try inputFile(bytes, named: "config.json", in: folder)
        try readByAny([
            { _ = try GPTConfiguration(huggingFaceConfig: url) }, { _ = try LlamaConfiguration(huggingFaceConfig: url) },
            { _ = try LoRAConfiguration(peftConfig: url) },
        ])
    },
    ParserUnderTest(name: "tokenizer-json", inputName: "tokenizer.json", editsPerSeed: 60, isTyped: { $0 is TokenizationError }) { bytes, _ in
        try exercise(try BPETokenizer(tokenizerJSON: bytes, path: "tokenizer.json"))
    },
    ParserUnderTest(name: "vocab-merges", inputName: "vocab.json", editsPerSeed: 120, isTyped: { $0 is TokenizationError }) { bytes, _ in
        // vocab.json, a NUL byte, then merges.txt, as the fuzz target splits them.
        let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
        let merges = split < bytes.endIndex ? Array(bytes[(split + 1)...]) : []
        try exercise(try BPETokenizer(vocabularyJSON: Array(bytes[..<split]), vocabularyPath: "vocab.json", merges: merges, mergesPath: "vocab.json merges"))
    },
    ParserUnderTest(name: "tokenizer-config", inputName: "tokenizer_config.json", isTyped: { $0 is TokenizationError }) { bytes, _ in
        let settings = try TokenizerFolderSettings(configJSON: bytes, path: "tokenizer_config.json")
        _ = settings.chatTemplate.flatMap(ChatTemplate.init(jinja:))
    },
    ParserUnderTest(name: "training-state", inputName: "input.state", headerBytes: 32, isTyped: { $0 is CheckpointError }) { bytes, folder in
        struct Progress: Codable { var step: Int; var seed: UInt64 }
        _ = try TrainingStateFile.read(Progress.self, from: inputFile(bytes, named: "input.state", in: folder))
    },
    ParserUnderTest(name: "run-config", inputName: "run.json", isTyped: { $0 is ConfigurationError }) { bytes, folder in
        try readRunConfiguration(inputFile(bytes, named: "run.json", in: folder))
    },
    ParserUnderTest(name: "demonstrations", inputName: "demonstrations.jsonl", isTyped: { $0 is DataError }) { bytes, folder in
        _ = try DemonstrationFile.read(inputFile(bytes, named: "demonstrations.jsonl", in: folder))
    },
    ParserUnderTest(name: "prompts", inputName: "prompts.txt", isTyped: { $0 is DataError }) { bytes, folder in
        _ = try PromptFile.read(inputFile(bytes, named: "prompts.txt", in: folder))
    },
    ParserUnderTest(name: "preferences", inputName: "preferences.jsonl", isTyped: { $0 is DataError }) { bytes, folder in
        _ = try PreferenceFile.read(inputFile(bytes, named: "preferences.jsonl", in: folder))
    },
    ParserUnderTest(name: "tasks", inputName: "tasks.jsonl", isTyped: { $0 is FileFormatError }) { bytes, folder in
        _ = try JSONLines.read(TaskLine.self, from: inputFile(bytes, named: "tasks.jsonl", in: folder))
    },
    ParserUnderTest(name: "preference-lines", inputName: "preference-lines.jsonl", isTyped: { $0 is FileFormatError }) { bytes, folder in
        _ = try JSONLines.read(PreferenceLine.self, from: inputFile(bytes, named: "preference-lines.jsonl", in: folder))
    },
]
