// Where the tests find their inputs: committed fixtures under Tests/Fixtures/tokenizer and the
// fetched data under data/, both located from this file's path.

import Foundation
import Testing
@testable import Tokenization

enum TestData {
    /// A fetched input that is not there; the test fails with this message rather than skipping.
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path) is missing: run scripts/fetch-data.sh (from the package root) first" }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/tokenizer")

    /// A file under data/, which scripts/fetch-data.sh provides.
    static func dataFile(_ relativePath: String) throws -> URL {
        let url = packageRoot.appendingPathComponent("data").appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(path: "data/" + relativePath) }
        return url
    }

    /// The text of a file under data/.
    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: try dataFile(relativePath), encoding: .utf8)
    }

    /// GPT-2's tokenizer from data/gpt2/encoder.json and data/gpt2/vocab.bpe, loaded once.
    static func gpt2() throws -> BPETokenizer {
        try gpt2Loaded.get()
    }

    private static let gpt2Loaded = Result { () throws -> BPETokenizer in
        try BPETokenizer(vocabularyFile: try dataFile("gpt2/encoder.json"), mergesFile: try dataFile("gpt2/vocab.bpe"))
    }

    /// A committed fixture decoded from JSON.
    static func fixture<Value: Decodable>(_ name: String, as type: Value.Type) throws -> Value {
        try JSONDecoder().decode(type, from: Data(contentsOf: fixtures.appendingPathComponent(name)))
    }
}
