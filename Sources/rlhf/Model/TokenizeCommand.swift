// `rlhf tokenize --model DIR`: the token ids of standard input as one JSON array. Only the
// tokenizer is read: a folder of tokenizer files, or a GGUF file.
import ArgumentParser
import Foundation
import LanguageModeling

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the token ids of standard input as one JSON array (no special tokens added).")

    @Option(help: "A folder with tokenizer.json or vocab.json + merges.txt, or a .gguf file.")
    var model: String

    func run() throws {
        let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let ids = try LanguageModel.loadTokenizer(from: URL(fileURLWithPath: model)).encode(text)
        print("[" + ids.map(String.init).joined(separator: ", ") + "]")
    }
}
