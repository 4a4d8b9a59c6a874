// GPT-2 encoding against tiktoken: ids and pre-tokenization pieces from the committed fixture that
// scripts/make_tokenizer_fixtures.py wrote, plus the known values quoted in the project notes.

import Testing
@testable import Tokenization

struct GoldenFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var text: String
        /// Whether tiktoken was allowed to see special tokens (`allowed_special="all"`).
        var special: Bool
        var ids: [Int]
        /// `regex.findall` of GPT-2's pattern; absent for the special-token cases.
        var pieces: [String]?
    }

    var tiktoken: String
    var cases: [Case]
}

@Suite("GPT-2 golden vectors")
struct GoldenVectorTests {
    let fixture = Result { try TestData.fixture("gpt2_golden.json", as: GoldenFixture.self) }

    @Test("well-known ids from tiktoken's gpt2 encoding")
    func knownIDs() throws {
        let tokenizer = try TestData.gpt2()
        #expect(tokenizer.encode("hello world") == [31373, 995])
        #expect(tokenizer.encode("Hello world") == [15496, 995])
        #expect(tokenizer.encode("It's 2024 — naïve café! 🙂") == [1026, 338, 48609, 851, 41492, 40304, 0, 32485])
        #expect(tokenizer.encode("  two  spaces\n\nnewline") == [220, 734, 220, 9029, 198, 198, 3605, 1370])
        #expect(tokenizer.vocabularySize == 50257)
        #expect(tokenizer.mergeCount == 50000)
        #expect(tokenizer.specialTokens == ["<|endoftext|>": 50256])
    }

    @Test("every fixture string encodes to tiktoken's ids")
    func fixtureIDs() throws {
        let tokenizer = try TestData.gpt2()
        let cases = try fixture.get().cases
        #expect(cases.count > 40)
        for golden in cases {
            let ids = tokenizer.encode(golden.text, specialTokens: golden.special ? .recognizeAll : .encodeAsText)
            #expect(ids == golden.ids, "\(golden.name): \(firstDifference(ids, golden.ids))")
        }
    }

    @Test("pre-tokenization pieces match Python regex on GPT-2's pattern")
    func fixturePieces() throws {
        let cases = try fixture.get().cases.filter { $0.pieces != nil }
        #expect(!cases.isEmpty)
        for golden in cases {
            let pieces = Self.pieces(of: golden.text)
            let expected = golden.pieces!.map { Array($0.utf8) }
            #expect(pieces == expected, "\(golden.name): \(firstDifference(pieces, expected))")
        }
    }

    @Test("hand-checked pattern cases", arguments: [
        ("   word", ["  ", " word"]),
        ("  \tword", ["  ", "\t", "word"]),
        ("\t\tword", ["\t", "\t", "word"]),
        ("end  ", ["end", "  "]),
        ("x\n\n y", ["x", "\n\n", " y"]),
        ("!'s 'S", ["!'", "s", " '", "S"]),
        ("we'll they're I've he'd", ["we", "'ll", " they", "'re", " I", "'ve", " he", "'d"]),
        ("abc123def", ["abc", "123", "def"]),
        (" 42 ...", [" 42", " ..."]),
        ("e\u{301}t\u{E9}", ["e", "\u{301}", "t\u{E9}"]),
    ])
    func handCheckedPieces(text: String, expected: [String]) {
        #expect(Self.pieces(of: text) == expected.map { Array($0.utf8) })
    }

    @Test("special tokens are text unless the caller allows them")
    func specialTokenPolicy() throws {
        let tokenizer = try TestData.gpt2()
        let text = "a<|endoftext|>b"
        let asText = tokenizer.encode(text)
        #expect(!asText.contains(50256))
        #expect(tokenizer.encode(text, specialTokens: .recognizeAll) == [64, 50256, 65])
        #expect(tokenizer.encode(text, specialTokens: .recognize(["<|endoftext|>"])) == [64, 50256, 65])
        #expect(tokenizer.encode(text, specialTokens: .recognize(["<|other|>"])) == asText)
        #expect(try tokenizer.decode(asText) == text)
        #expect(try tokenizer.decode([64, 50256, 65]) == text)
        #expect(tokenizer.specialTokenID("<|endoftext|>") == 50256)
        #expect(tokenizer.specialTokenID("<|other|>") == nil)
    }

    static func pieces(of text: String) -> [[UInt8]] {
        var text = text
        return text.withUTF8 { bytes in
            var pieces: [[UInt8]] = []
            PieceScanner(bytes).forEachPiece { pieces.append(Array(bytes[$0])) }
            return pieces
        }
    }
}

/// Where two sequences part, for failure messages.
func firstDifference<Element: Equatable>(_ actual: [Element], _ expected: [Element]) -> String {
    guard let index = zip(actual, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else {
        return actual.count == expected.count ? "equal" : "lengths \(actual.count) vs \(expected.count)"
    }
    return "first difference at [\(index)]: \(actual[index]) vs \(expected[index]) (lengths \(actual.count), \(expected.count))"
}
