// tokenizer.json: write → read identity, both spellings of merges, what is tolerated, and a typed
// error naming the file and the JSON field for everything that would change ids.

import Foundation
import Testing
@testable import Tokenization

/// A small tokenizer's tokenizer.json, with any one value replaced by a JSON fragment.
enum SampleTokenizerJSON {
    static let path = "tokenizer.json"
    static let byteLevel = #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#
    static let digits = #"{"type": "Digits", "individual_digits": true}"#

    static func tokenizer() throws -> BPETokenizer {
        try BPETrainer(config: BPETrainingConfig(vocabularySize: 300, specialTokens: ["<|endoftext|>"]))
            .train(on: ["hello hello world, the cat sat on the mat in 2024 and 2025; the quick brown fox jumps over the lazy dog 12345 times"])
    }

    static func object() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(TokenizerJSON.serialized(try tokenizer()))) as! [String: Any]
    }

    /// The sample (or `base`) with the value at each path (keys from the root) replaced by its
    /// JSON fragment, or removed where that is nil.
    static func load(_ changes: [(path: [String], fragment: String?)], base: Data? = nil) throws -> BPETokenizer {
        var object = try base.map { try JSONSerialization.jsonObject(with: $0) as! [String: Any] } ?? object()
        for (path, fragment) in changes {
            let value = try fragment.map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
            func set(_ object: [String: Any], _ path: ArraySlice<String>) -> [String: Any] {
                var object = object
                object[path.first!] = path.count == 1 ? value : set(object[path.first!] as? [String: Any] ?? [:], path.dropFirst())
                return object
            }
            object = set(object, path[...])
        }
        return try BPETokenizer(tokenizerJSON: Array(try JSONSerialization.data(withJSONObject: object)), path: Self.path)
    }

    static func load(setting path: [String], to fragment: String?) throws -> BPETokenizer {
        try load([(path, fragment)])
    }
}

/// Whether `error` is an `invalidField` error of `path` naming `field`, with `reason` in its message.
func isInvalidField(_ error: any Error, _ field: String, _ reason: String, path: String = SampleTokenizerJSON.path) -> Bool {
    guard case let .invalidField(errorPath, errorField, errorReason) = error as? TokenizationError else { return false }
    return errorPath == path && errorField == field && errorReason.contains(reason)
}

@Suite("tokenizer.json")
struct TokenizerJSONTests {
    static let sequence = #"{"type": "Sequence", "pretokenizers": [\#(SampleTokenizerJSON.digits), \#(SampleTokenizerJSON.byteLevel)]}"#

    @Test("a written tokenizer.json reads back identical, with or without digits apart")
    func writeRead() throws {
        let tokenizer = try SampleTokenizerJSON.tokenizer()
        #expect(tokenizer.vocabularySize == 300 && tokenizer.specialTokenID("<|endoftext|>") == 299)
        let read = try BPETokenizer(tokenizerJSON: TokenizerJSON.serialized(tokenizer), path: "t.json")
        #expect(read == tokenizer)
        #expect(!read.splitsDigits)
        let split = try SampleTokenizerJSON.load(setting: ["pre_tokenizer"], to: Self.sequence)
        #expect(split.splitsDigits)
        #expect(try BPETokenizer(tokenizerJSON: TokenizerJSON.serialized(split), path: "t.json") == split)
        #expect(split.encode("in 2024") != tokenizer.encode("in 2024"), "the sample's merges should join digits")
    }

    @Test("a vocabulary of bytes alone, without merges or added tokens, round-trips")
    func bytesOnly() throws {
        let tokenizer = try FileFormatTests.load(vocabulary: FileFormatTests.vocabulary(FileFormatTests.spellings()), merges: "")
        let json = TokenizerJSON.serialized(tokenizer)
        #expect(String(decoding: json, as: UTF8.self).contains(#""added_tokens": [],"#))
        #expect(try BPETokenizer(tokenizerJSON: json, path: "t.json") == tokenizer)
    }

    @Test("special tokens with characters JSON must escape survive")
    func escapedSpecialTokens() throws {
        let special = "<|tab\there \"quoted\" back\\slash \u{1} é|>"
        let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 260, specialTokens: [special])).train(on: ["some text"])
        let read = try BPETokenizer(tokenizerJSON: TokenizerJSON.serialized(tokenizer), path: "t.json")
        #expect(read == tokenizer)
        #expect(read.specialTokenID(special) == 259)
    }

    @Test("merges read the same as \"left right\" strings and as [left, right] pairs")
    func mergeSpellings() throws {
        let strings = try Self.merges()
        let pairs = strings.map { $0.split(separator: " ").map(String.init) }
        #expect(pairs.allSatisfy { $0.count == 2 })
        let pairsJSON = String(decoding: try JSONSerialization.data(withJSONObject: pairs), as: UTF8.self)
        let fromPairs = try SampleTokenizerJSON.load(setting: ["model", "merges"], to: pairsJSON)
        #expect(fromPairs == (try SampleTokenizerJSON.tokenizer()))
        #expect(fromPairs.mergeCount == strings.count)
    }

    static func merges() throws -> [String] {
        (try SampleTokenizerJSON.object()["model"] as! [String: Any])["merges"] as! [String]
    }

    @Test("fields that cannot change ids are tolerated", arguments: [
        (["post_processor"], #"{"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}}"#),
        (["post_processor"], nil),
        (["truncation"], #"{"direction": "Right", "max_length": 5, "strategy": "LongestFirst", "stride": 0}"#),
        (["padding"], #"{"strategy": "BatchLongest", "pad_id": 0, "pad_token": "<|endoftext|>"}"#),
        (["version"], nil),
        (["some_future_field"], #"[1, 2.5e-3, "x", null, true, {"y": []}]"#),
        (["normalizer"], nil),
        (["pre_tokenizer", "trim_offsets"], "false"),
        (["pre_tokenizer", "use_regex"], nil),
        (["model", "type"], nil),
        (["model", "dropout"], nil),
        (["model", "continuing_subword_prefix"], #""""#),
        (["model", "end_of_word_suffix"], #""""#),
        (["model", "fuse_unk"], "true"),
        // With all 256 bytes in the vocabulary no byte is ever unknown, so these never act.
        (["model", "unk_token"], #""<|endoftext|>""#),
        (["model", "byte_fallback"], "true"),
    ] as [([String], String?)])
    func tolerated(path: [String], fragment: String?) throws {
        #expect(try SampleTokenizerJSON.load(setting: path, to: fragment) == (try SampleTokenizerJSON.tokenizer()))
    }

    @Test("what would change ids is refused by field", arguments: [
        (["pre_tokenizer"], #"{"type": "Whitespace"}"#, "pre_tokenizer.type", #"is "Whitespace""#),
        (["pre_tokenizer"], "null", "pre_tokenizer", "is null"),
        (["pre_tokenizer"], nil, "pre_tokenizer", "is missing"),
        (["pre_tokenizer"], #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\s+"}}, \#(SampleTokenizerJSON.byteLevel)]}"#,
         "pre_tokenizer.pretokenizers[0].type", #"is "Split""#),
        (["pre_tokenizer"], #"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": false}, \#(SampleTokenizerJSON.byteLevel)]}"#,
         "pre_tokenizer.pretokenizers[0].individual_digits", "is false"),
        (["pre_tokenizer"], #"{"type": "Sequence", "pretokenizers": [\#(SampleTokenizerJSON.digits), {"type": "Metaspace"}]}"#,
         "pre_tokenizer.pretokenizers[1].type", #"is "Metaspace""#),
        (["pre_tokenizer"], #"{"type": "Sequence", "pretokenizers": [\#(SampleTokenizerJSON.digits)]}"#, "pre_tokenizer.pretokenizers", "has 1 steps"),
        (["pre_tokenizer", "add_prefix_space"], "true", "pre_tokenizer.add_prefix_space", "is true"),
        (["pre_tokenizer", "add_prefix_space"], nil, "pre_tokenizer.add_prefix_space", "is missing"),
        (["pre_tokenizer", "use_regex"], "false", "pre_tokenizer.use_regex", "is false"),
        (["pre_tokenizer", "use_regex"], "1", "pre_tokenizer.use_regex", "must be true or false, not 1"),
        (["normalizer"], #"{"type": "NFC"}"#, "normalizer", #"is a "NFC" normalizer"#),
        (["decoder"], #"{"type": "Metaspace", "replacement": "▁"}"#, "decoder.type", #"is "Metaspace""#),
        (["decoder"], nil, "decoder", "is missing"),
        (["model"], nil, "model", "is missing"),
        (["model", "type"], #""WordPiece""#, "model.type", #"is "WordPiece""#),
        (["model", "dropout"], "0.1", "model.dropout", "BPE dropout makes encoding random"),
        (["model", "continuing_subword_prefix"], "\"##\"", "model.continuing_subword_prefix", "is \"##\""),
        (["model", "ignore_merges"], "true", "model.ignore_merges", "is true"),
        (["model", "vocab"], nil, "model.vocab", "is missing"),
        (["model", "vocab"], #"["a", "b"]"#, "model.vocab", "must be an object, not an array"),
        (["model", "vocab", "!"], #""0""#, "model.vocab.!", #"must be an integer, not "0""#),
        (["model", "merges"], nil, "model.merges", "is missing"),
        (["model", "merges"], "[5]", "model.merges[0]", #"must be a "left right" string or a [left, right] pair, not 5"#),
        (["model", "merges"], #"["a b c"]"#, "model.merges[0]", "a merge is two tokens separated by one space"),
        (["model", "merges"], #"[["a"]]"#, "model.merges[0]", "must be a pair of two token strings"),
        (["model", "merges"], #"["Ġ zz"]"#, "model.merges[0]", #"names "zz", which is not an ordinary token of model.vocab"#),
        (["model", "merges"], #"["Ġ Ġ"]"#, "model.merges[0]", #"makes "ĠĠ", which is not in model.vocab"#),
        (["added_tokens"], #"[{"id": 299, "content": "<|endoftext|>", "special": false}]"#, "added_tokens[0].special", "is false"),
        (["added_tokens"], #"[{"id": 299, "content": "<|endoftext|>", "special": true, "lstrip": true}]"#, "added_tokens[0].lstrip", "is true"),
        (["added_tokens"], #"[{"id": 299, "special": true}]"#, "added_tokens[0].content", "is missing"),
        (["added_tokens"], #"[{"id": 299, "content": "", "special": true}]"#, "added_tokens[0].content", "is empty"),
        (["added_tokens"], #"[{"id": 299, "content": "<|other|>", "special": true}]"#, "added_tokens[0]",
         #"gives id 299 to "<|other|>", which model.vocab gives to "<|endoftext|>""#),
    ] as [([String], String?, String, String)])
    func refused(path: [String], fragment: String?, field: String, reason: String) {
        #expect {
            try SampleTokenizerJSON.load(setting: path, to: fragment)
        } throws: { error in
            isInvalidField(error, field, reason)
        }
    }

    @Test("a repeated merge is refused by its index")
    func repeatedMerge() throws {
        let merges = try Self.merges()
        let repeated = String(decoding: try JSONSerialization.data(withJSONObject: [merges[0], merges[1], merges[0]]), as: UTF8.self)
        #expect {
            try SampleTokenizerJSON.load(setting: ["model", "merges"], to: repeated)
        } throws: { error in
            isInvalidField(error, "model.merges[2]", "repeats model.merges[0]")
        }
    }

    @Test("only added tokens are special; other entries must be byte-level tokens")
    func vocabularyEntries() throws {
        // As in `tokenizers`, a vocabulary entry that is not an added token is an ordinary token,
        // here one that no merge reaches.
        let unlisted = try SampleTokenizerJSON.load(setting: ["added_tokens"], to: nil)
        #expect(unlisted.specialTokens.isEmpty)
        #expect(try unlisted.decode([299]) == "<|endoftext|>")
        #expect(!unlisted.encode("<|endoftext|>", specialTokens: .recognizeAll).contains(299))
        #expect(throws: TokenizationError.invalidVocabularyEntry(
            path: SampleTokenizerJSON.path, token: "end text", reason: "is neither spelled in the byte-level alphabet nor an added token")) {
            try SampleTokenizerJSON.load([(["added_tokens"], "[]"), (["model", "vocab", "<|endoftext|>"], nil), (["model", "vocab", "end text"], "299")])
        }
        #expect(throws: TokenizationError.invalidVocabularyEntry(
            path: SampleTokenizerJSON.path, token: "h", reason: "is an added token, but also a byte token or part of a merge")) {
            try SampleTokenizerJSON.load(setting: ["added_tokens"], to: #"[{"id": 71, "content": "h", "special": true}, {"id": 299, "content": "<|endoftext|>", "special": true}]"#)
        }
    }

    @Test("where the vocabulary lacks bytes, what tokenizers would put in their place is refused", arguments: [
        ("unk_token", #""<|endoftext|>""#, #"is "<|endoftext|>"; the vocabulary lacks some bytes"#),
        ("byte_fallback", "true", "is true; the vocabulary lacks some bytes"),
    ])
    func missingByteHandling(field: String, fragment: String, reason: String) throws {
        let base = try Data(contentsOf: TokenizerFolderTests.digitsJSON)
        #expect(try SampleTokenizerJSON.load([], base: base).byteTokens.contains(BPETokenizer.missingByte))
        #expect {
            try SampleTokenizerJSON.load([(["model", field], fragment)], base: base)
        } throws: { error in
            isInvalidField(error, "model." + field, reason)
        }
    }

    @Test("an added token the vocabulary lacks gets its id")
    func addedTokenBeyondVocabulary() throws {
        let added = #"[{"id": 299, "content": "<|endoftext|>", "special": true}, {"id": 300, "content": "<|pad|>", "special": true}]"#
        let tokenizer = try SampleTokenizerJSON.load(setting: ["added_tokens"], to: added)
        #expect(tokenizer.specialTokens == ["<|endoftext|>": 299, "<|pad|>": 300])
        #expect(tokenizer.encode("a<|pad|>", specialTokens: .recognizeAll).last == 300)
    }

    @Test("a key given twice is refused")
    func duplicateKey() throws {
        var text = String(decoding: TokenizerJSON.serialized(try SampleTokenizerJSON.tokenizer()), as: UTF8.self)
        text.replace(#""normalizer": null,"#, with: #""normalizer": null, "normalizer": null,"#)
        #expect {
            try BPETokenizer(tokenizerJSON: Array(text.utf8), path: SampleTokenizerJSON.path)
        } throws: { error in
            isInvalidField(error, "normalizer", "appears 2 times")
        }
    }

    @Test("malformed JSON names the file, line and column", arguments: [
        ("", 1, 1, "expected a JSON value, found the end of the file"),
        ("[1, 2", 1, 6, "expected ',' or ']' after an element"),
        ("[1 2]", 1, 4, "expected ',' or ']' after an element"),
        ("{\"a\": tru}", 1, 7, "expected a JSON value"),
        ("{\"a\" 1}", 1, 6, "expected ':' after a key"),
        ("{1: 2}", 1, 2, "expected a quoted key"),
        ("{\"a\": 1,\n \"b\": 01}", 2, 7, "malformed number"),
        ("{\"a\": -}", 1, 7, "malformed number"),
        ("{\"a\": 1.}", 1, 7, "malformed number"),
        ("{\"a\": 1e}", 1, 7, "malformed number"),
        ("{\"a\": 1} x", 1, 10, "unexpected text after the JSON value"),
        ("{\"a\": \"\\x\"}", 1, 8, "unknown escape '\\x'"),
        (String(repeating: "[", count: 300), 1, 257, "nested deeper than 256 levels"),
    ])
    func malformed(text: String, line: Int, column: Int, reason: String) {
        #expect(throws: TokenizationError.malformedJSON(path: "t.json", line: line, column: column, reason: reason)) {
            try BPETokenizer(tokenizerJSON: Array(text.utf8), path: "t.json")
        }
    }

    @Test("a file that is not an object, or cannot be read, is named")
    func wholeFile() throws {
        #expect {
            try BPETokenizer(tokenizerJSON: Array("[]".utf8), path: "t.json")
        } throws: { error in
            isInvalidField(error, "(the document)", "must be an object, not an array", path: "t.json")
        }
        let directory = FileFormatTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("tokenizer.json")
        try Data("{\"model\": ".utf8).write(to: file)
        #expect(throws: TokenizationError.malformedJSON(path: file.path, line: 1, column: 11, reason: "expected a JSON value, found the end of the file")) {
            try BPETokenizer(tokenizerJSONFile: file)
        }
        #expect {
            try BPETokenizer(tokenizerJSONFile: directory.appendingPathComponent("absent.json"))
        } throws: { error in
            guard case let .fileAccess(path, _) = error as? TokenizationError else { return false }
            return path.hasSuffix("absent.json")
        }
    }

    @Test("refusals read as file, field and reason")
    func description() {
        let error = TokenizationError.invalidField(path: "t.json", field: "pre_tokenizer.type", reason: "is \"Whitespace\"; ...")
        #expect(error.description == #"t.json: pre_tokenizer.type is "Whitespace"; ..."#)
    }
}
