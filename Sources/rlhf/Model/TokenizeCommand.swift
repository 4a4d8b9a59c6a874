// `rlhf tokenize --model DIR`: the token ids of standard input as one JSON array.
import ArgumentParser
import Foundation

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the token ids of standard input as one JSON array (no special tokens added).")

    @OptionGroup var model: ModelOptions

    func run() throws {
        let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let ids = try model.load().encode(text)
        print("[" + ids.map(String.init).joined(separator: ", ") + "]")
    }
}
