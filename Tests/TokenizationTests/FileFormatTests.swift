// vocab.json + merges.txt: save → load identity, byte-exact agreement with GPT-2's own files, and
// a typed error naming file, line and column for each kind of malformed input.

import Foundation
import Testing
@testable import Tokenization

@Suite("Vocabulary and merges files")
struct FileFormatTests {
    /// The 256 byte tokens in GPT-2's order, then `extra` spellings.
    static func spellings(_ extra: [String] = []) -> [String] {
        ByteAlphabet.bytesInTokenOrder.map { ByteAlphabet.spelling(of: [$0]) } + extra
    }

    static func load(vocabulary: String, merges: String) throws -> BPETokenizer {
        try BPETokenizer(vocabularyJSON: Array(vocabulary.utf8), vocabularyPath: "vocab.json",
                         merges: Array(merges.utf8), mergesPath: "merges.txt")
    }

    static func vocabulary(_ spellings: [String]) -> String {
        String(decoding: VocabularyJSON.serialized(spellings), as: UTF8.self)
    }

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("tokenization-tests-\(UUID().uuidString)")
    }

    @Test("a small vocabulary loads: merges apply by rank, unmerged entries are special")
    func smallVocabulary() throws {
        let tokenizer = try Self.load(vocabulary: Self.vocabulary(Self.spellings(["bc", "abc", "<|endoftext|>"])),
                                      merges: "#version: 0.2\nb c\na bc\n")
        #expect(tokenizer.vocabularySize == 259)
        #expect(tokenizer.specialTokens == ["<|endoftext|>": 258])
        #expect(tokenizer.encode("abcbc") == [257, 256])
        #expect(tokenizer.encode("a\u{301}") == [64, Int(tokenizer.byteTokens[0xCC]), Int(tokenizer.byteTokens[0x81])])
    }

    @Test("JSON escapes decode, surrogate pairs included")
    func jsonEscapes() throws {
        var vocabulary = Self.vocabulary(Self.spellings())
        vocabulary.replace("\n}", with: ",\n  " + #""<|\ud83d\ude42\u00e9\n\"\/|>": 256"# + "\n}")
        let tokenizer = try Self.load(vocabulary: vocabulary, merges: "#version: 0.2\n")
        #expect(tokenizer.specialTokens == ["<|🙂é\n\"/|>": 256])
    }

    @Test("GPT-2's files: saved merges are byte-identical to vocab.bpe, the vocabulary the same map")
    func gpt2SaveMatchesOriginal() throws {
        let tokenizer = try TestData.gpt2()
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try tokenizer.save(to: directory)
        let saved = try Data(contentsOf: directory.appendingPathComponent("merges.txt"))
        #expect(saved == (try Data(contentsOf: try TestData.dataFile("gpt2/vocab.bpe"))))
        let map = { (url: URL) in try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: url)) }
        #expect(try map(directory.appendingPathComponent("vocab.json")) == (try map(try TestData.dataFile("gpt2/encoder.json"))))
        #expect(try BPETokenizer(directory: directory) == tokenizer)
    }

    @Test("a trained tokenizer saves and loads back identical, and saves the same bytes again")
    func trainedSaveLoad() throws {
        let corpus = try TestData.text("corpus/hamlet.txt")
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 600)).train(on: [corpus])
        let first = Self.temporaryDirectory(), second = Self.temporaryDirectory()
        defer { for directory in [first, second] { try? FileManager.default.removeItem(at: directory) } }
        try tokenizer.save(to: first)
        let loaded = try BPETokenizer(directory: first)
        #expect(loaded == tokenizer)
        try loaded.save(to: second)
        for name in ["vocab.json", "merges.txt"] {
            #expect(try Data(contentsOf: first.appendingPathComponent(name)) == Data(contentsOf: second.appendingPathComponent(name)))
        }
        #expect(loaded.encode(corpus) == tokenizer.encode(corpus))
    }

    /// SmolLM2's tokenizer splits digits and lacks 21 byte tokens: its pair was written beside
    /// tokenizer.json, and read back (by this engine's own loader, for one) as no tokenizer or another.
    @Test("vocab.json + merges.txt are written only for a tokenizer they express exactly")
    func twoFilesOnlyWhenExact() throws {
        #expect(try TestData.gpt2().vocabularyAndMergesShortfall == nil)
        let digits = try BPETokenizer(tokenizerJSONFile: TokenizerFolderTests.digitsJSON)
        #expect(digits.vocabularyAndMergesShortfall?.contains("splits every digit apart") == true)
        let zero = ByteAlphabet.spelling(of: [0])
        let gaps = try BPETokenizer(tokens: Self.spellings().filter { $0 != zero }, merges: [], splitsDigits: false, source: "test")
        #expect(gaps.vocabularyAndMergesShortfall?.contains("lacks 1 of the 256 single-byte tokens") == true)
        // A token no merge makes is ordinary in tokenizer.json's added_tokens, special in the pair.
        let entries = Self.spellings(["ab"]).enumerated().map { VocabularyJSON.Entry(spelling: $0.element, id: $0.offset) }
        let orphan = try BPETokenizer(entries: entries, vocabularyPath: "tokenizer.json", mergeLines: [], mergesPath: "tokenizer.json", specialTokenIDs: [])
        #expect(orphan.vocabularyAndMergesShortfall?.contains("read back as another tokenizer") == true)
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for tokenizer in [digits, gaps, orphan] {
            #expect(throws: TokenizationError.self) { try tokenizer.save(to: directory) }
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path), "nothing is written")
    }

    @Test("special tokens with characters JSON must escape survive a save")
    func escapedSpecialTokens() throws {
        let special = "<|tab\there \"quoted\" back\\slash \u{1} é|>"
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 260, specialTokens: [special]))
            .train(on: ["some text to merge"])
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try tokenizer.save(to: directory)
        let loaded = try BPETokenizer(directory: directory)
        #expect(loaded == tokenizer)
        #expect(loaded.specialTokenID(special) == 259)
    }

    @Test("malformed JSON names line, column and what was expected", arguments: [
        ("", 1, 1, "the file must start with '{'"),
        (#"["a"]"#, 1, 1, "the file must start with '{'"),
        (#"{"a": 1,}"#, 1, 9, "expected a quoted token string"),
        (#"{"a" 1}"#, 1, 6, "expected ':' after a key"),
        ("{\n  \"a\": 0,\n  \"b\": x\n}", 3, 8, "expected an integer token id"),
        (#"{"a": 1.5}"#, 1, 7, "token ids must be integers"),
        (#"{"a": "1"}"#, 1, 7, "expected an integer token id"),
        (#"{"a": 1 "b": 2}"#, 1, 9, "expected ',' or '}' after a value"),
        (#"{"a": 1} x"#, 1, 10, "unexpected text after the closing '}'"),
        (#"{"a\q": 1}"#, 1, 4, #"unknown escape '\q'"#),
        (#"{"\ud800": 1}"#, 1, 9, "high surrogate not followed by a low surrogate"),
        (#"{"\u12": 1}"#, 1, 5, "\\u must be followed by four hexadecimal digits"),
        ("{\"a\tb\": 1}", 1, 4, "control character in a string must be escaped"),
        (#"{"abc"#, 1, 2, "unterminated string"),
    ])
    func malformedJSON(text: String, line: Int, column: Int, reason: String) {
        #expect(throws: TokenizationError.malformedJSON(path: "vocab.json", line: line, column: column, reason: reason)) {
            try Self.load(vocabulary: text, merges: "")
        }
    }

    @Test("bad vocabulary entries are named")
    func badEntries() {
        let bytes = Self.spellings()
        var duplicateID = Self.vocabulary(bytes)
        duplicateID.replace("\"!\": 0", with: "\"!\": 1")
        #expect(throws: TokenizationError.invalidVocabularyEntry(path: "vocab.json", token: "\"", reason: "id 1 is also the id of \"!\"")) {
            try Self.load(vocabulary: duplicateID, merges: "")
        }
        #expect(throws: TokenizationError.invalidVocabularyEntry(
            path: "vocab.json", token: "x", reason: "id 300 is outside 0..<2, the range for this many entries")) {
            try Self.load(vocabulary: #"{"!": 0, "x": 300}"#, merges: "")
        }
        #expect(throws: TokenizationError.invalidVocabularyEntry(path: "vocab.json", token: "!", reason: "the token appears twice")) {
            try Self.load(vocabulary: #"{"!": 0, "!": 1}"#, merges: "")
        }
        let withoutA = Self.vocabulary(bytes.filter { $0 != "A" } + ["<|endoftext|>"])
        #expect(throws: TokenizationError.missingByteToken(path: "vocab.json", byte: 0x41, spelling: "A")) {
            try Self.load(vocabulary: withoutA, merges: "")
        }
    }

    @Test("bad merges lines are named by line", arguments: [
        ("#version: 0.2\na b c\n", TokenizationError.malformedMerge(path: "merges.txt", line: 2, content: "a b c")),
        ("#version: 0.2\nab\n", .malformedMerge(path: "merges.txt", line: 2, content: "ab")),
        ("a  b\n", .malformedMerge(path: "merges.txt", line: 1, content: "a  b")),
        ("#version: 0.2\na b\n\nb c\n", .malformedMerge(path: "merges.txt", line: 3, content: "")),
        ("#version: 0.2\na zz\n", .unknownMergeToken(path: "merges.txt", line: 2, token: "zz")),
        ("#version: 0.2\n€ a\n", .unknownMergeToken(path: "merges.txt", line: 2, token: "€")),
        ("#version: 0.2\nb a\n", .mergeResultNotInVocabulary(path: "merges.txt", line: 2, result: "ba")),
        ("#version: 0.2\na b\r\na b\r\n", .duplicateMerge(path: "merges.txt", line: 3, firstLine: 2)),
    ])
    func malformedMerges(merges: String, expected: TokenizationError) {
        let vocabulary = Self.vocabulary(Self.spellings(["ab", "€a", "€"]))
        #expect(throws: expected) {
            try Self.load(vocabulary: vocabulary, merges: merges)
        }
    }

    @Test("merges that are not UTF-8 are named by line")
    func invalidUTF8Merges() {
        #expect {
            try BPETokenizer(vocabularyJSON: Array(Self.vocabulary(Self.spellings()).utf8), vocabularyPath: "vocab.json",
                             merges: Array("#version: 0.2\na b\n".utf8) + [0xFF, 0x20, 0x61], mergesPath: "merges.txt")
        } throws: { error in
            guard case let .malformedMerge(path, line, _) = error as? TokenizationError else { return false }
            return path == "merges.txt" && line == 3
        }
    }

    @Test("missing files are reported with their path")
    func missingFiles() {
        let directory = Self.temporaryDirectory()
        #expect {
            try BPETokenizer(vocabularyFile: directory.appendingPathComponent("vocab.json"),
                             mergesFile: directory.appendingPathComponent("merges.txt"))
        } throws: { error in
            guard case let .fileAccess(path, _) = error as? TokenizationError else { return false }
            return path.hasSuffix("vocab.json")
        }
        #expect {
            try BPETokenizer(directory: directory)
        } throws: { error in
            guard case let .fileAccess(path, reason) = error as? TokenizationError else { return false }
            return path == directory.path && reason.contains("vocab.json + merges.txt")
        }
    }

    @Test("error descriptions lead with file and line")
    func descriptions() {
        let merge = TokenizationError.unknownMergeToken(path: "m.txt", line: 7, token: "Ġx\n")
        #expect(merge.description == #"m.txt:7: token "Ġx\n" is not an ordinary token of the vocabulary"#)
        let json = TokenizationError.malformedJSON(path: "v.json", line: 2, column: 5, reason: "expected ':' after a key")
        #expect(json.description.hasPrefix("v.json:2:5: expected ':' after a key"))
    }
}
