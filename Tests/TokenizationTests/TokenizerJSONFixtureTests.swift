// tokenizer.json against Hugging Face's own libraries: files that `tokenizers` and transformers
// wrote (Tests/Fixtures/tokenizer/hf) encode to their ids here, and the files written here
// (Tests/Fixtures/tokenizer/written), which scripts/make_tokenizer_json_fixtures.py loads in both
// libraries to the same ids, stay byte-identical to what the writer produces.

import Foundation
import Testing
@testable import Tokenization

/// tokenizer_json_golden.json, which scripts/make_tokenizer_json_fixtures.py writes.
struct TokenizerJSONGolden: Decodable {
    struct Settings: Decodable {
        var bosToken: String?
        var eosToken: String?
        var padToken: String?
        var chatTemplate: String?

        var folderSettings: TokenizerFolderSettings {
            TokenizerFolderSettings(bosToken: bosToken, eosToken: eosToken, padToken: padToken, chatTemplate: chatTemplate)
        }
    }

    struct Case: Decodable {
        var text: String
        /// `tokenizers`' ids with hf/trained, the Swift-trained vocabulary.
        var trained: [Int]
        /// `tokenizers`' ids with hf/digits, and what they decode to (bytes it lacks are dropped).
        var digits: [Int]
        var digitsDecoded: String
        /// Whether plain ByteLevel, without digits apart, gives other ids.
        var digitsDiffersFromBytelevel: Bool
    }

    var settings: [String: Settings]
    var cases: [Case]

    static func load() throws -> TokenizerJSONGolden {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Self.self, from: Data(contentsOf: TestData.fixtures.appendingPathComponent("tokenizer_json_golden.json")))
    }
}

@Suite("tokenizer.json fixtures")
struct TokenizerJSONFixtureTests {
    static let hf = TestData.fixtures.appendingPathComponent("hf")
    static let written = TestData.fixtures.appendingPathComponent("written")

    @Test("tokenizers' file of the trained vocabulary is the tokenizer vocab.json + merges.txt make, and encodes as tokenizers does")
    func trainedFromTokenizers() throws {
        let tokenizer = try BPETokenizer(tokenizerJSONFile: Self.hf.appendingPathComponent("trained/tokenizer.json"))
        #expect(tokenizer == (try BPETokenizer(directory: TrainedFixtureTests.directory)))
        let golden = try TokenizerJSONGolden.load()
        #expect(golden.cases.count >= 10)
        for golden in golden.cases {
            let ids = tokenizer.encode(golden.text, specialTokens: .recognizeAll)
            #expect(ids == golden.trained, "\(golden.text.debugDescription): \(firstDifference(ids, golden.trained))")
            #expect(try tokenizer.decode(ids) == golden.text)
        }
    }

    @Test("transformers' SmolLM2-shaped folder: digits apart, missing bytes dropped, ChatML settings")
    func digitsFromTransformers() throws {
        let folder = try TokenizerFolder(directory: Self.hf.appendingPathComponent("digits"))
        let tokenizer = folder.tokenizer
        let golden = try TokenizerJSONGolden.load()
        #expect(tokenizer.splitsDigits)
        #expect(tokenizer.specialTokens == ["<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2])
        #expect(tokenizer.byteTokens.contains(BPETokenizer.missingByte))
        #expect(golden.cases.contains { $0.digitsDiffersFromBytelevel }, "the fixture should tell digits apart from plain ByteLevel")
        #expect(golden.cases.contains { $0.digitsDecoded != $0.text }, "the fixture should lack some bytes")
        for golden in golden.cases {
            let ids = tokenizer.encode(golden.text, specialTokens: .recognizeAll)
            #expect(ids == golden.digits, "\(golden.text.debugDescription): \(firstDifference(ids, golden.digits))")
            #expect(try tokenizer.decode(ids) == golden.digitsDecoded)
        }
        #expect(folder.settings == golden.settings["digits"]?.folderSettings)
        #expect(folder.settings.chatTemplate?.contains("<|im_start|>assistant\n") == true)
    }

    @Test("writing, then reading, keeps every golden id", arguments: ["trained", "digits"])
    func roundTrip(variant: String) throws {
        let source = try Self.source(variant)
        let directory = FileFormatTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try source.tokenizer.saveTokenizerJSON(to: directory, settings: source.settings)
        let read = try TokenizerFolder(directory: directory)
        #expect(read == source)
        for golden in try TokenizerJSONGolden.load().cases {
            let expected = variant == "trained" ? golden.trained : golden.digits
            #expect(read.tokenizer.encode(golden.text, specialTokens: .recognizeAll) == expected, "\(golden.text.debugDescription)")
        }
    }

    /// With RECORD_TOKENIZER_FIXTURES=1 the files are rewritten instead of compared; then rerun
    /// scripts/make_tokenizer_json_fixtures.py to check them with tokenizers and transformers.
    @Test("the writer reproduces the committed written/ folders byte for byte", arguments: ["trained", "digits"])
    func writtenMatchesFixture(variant: String) throws {
        let source = try Self.source(variant)
        let committed = Self.written.appendingPathComponent(variant)
        if ProcessInfo.processInfo.environment["RECORD_TOKENIZER_FIXTURES"] == "1" {
            try source.tokenizer.saveTokenizerJSON(to: committed, settings: source.settings)
        }
        let fresh = FileFormatTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: fresh) }
        try source.tokenizer.saveTokenizerJSON(to: fresh, settings: source.settings)
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            let written = try Data(contentsOf: fresh.appendingPathComponent(name))
            #expect(written == (try Data(contentsOf: committed.appendingPathComponent(name))),
                    "\(name) differs from Tests/Fixtures/tokenizer/written/\(variant)/\(name)")
        }
    }

    /// What the written/ folders are made from: the trained vocabulary with GPT-2's special-token
    /// settings, and the transformers-written digits folder as read here.
    static func source(_ variant: String) throws -> TokenizerFolder {
        let golden = try TokenizerJSONGolden.load()
        let settings = try #require(golden.settings[variant]).folderSettings
        switch variant {
        case "trained": return TokenizerFolder(tokenizer: try BPETokenizer(directory: TrainedFixtureTests.directory), settings: settings)
        default:
            let folder = try TokenizerFolder(directory: hf.appendingPathComponent("digits"))
            #expect(folder.settings == settings)
            return folder
        }
    }
}
