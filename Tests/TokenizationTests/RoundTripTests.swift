// decode(encode(s)) == s, byte for byte, on seeded random text and random bytes; decoding of
// arbitrary ids; and parallel chunked encoding giving the same ids as encoding whole.

import Randomness
import Testing
@testable import Tokenization

@Suite("Round trips")
struct RoundTripTests {
    /// Scalar ranges that stress the pattern: ASCII, whitespace of every kind, Latin-1, combining
    /// marks, CJK, emoji with joiners and modifiers, and the apostrophe.
    static let scalarRanges: [ClosedRange<UInt32>] = [
        0x20...0x7E, 0x00...0x1F, 0x85...0x85, 0xA0...0xFF, 0x300...0x36F, 0x2000...0x200D,
        0x2028...0x2029, 0x3000...0x3000, 0x4E00...0x4E80, 0x1F300...0x1F64F, 0x1F3FB...0x1F3FF,
        0x27...0x27, 0x20...0x20,
    ]

    static func randomText(length: Int, using random: inout RandomGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            let range = scalarRanges[random.integer(in: 0..<scalarRanges.count)]
            let value = range.lowerBound + UInt32(random.integer(in: 0..<Int(range.upperBound - range.lowerBound + 1)))
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }

    @Test("random Unicode text round-trips exactly")
    func randomUnicode() throws {
        let tokenizer = try TestData.gpt2()
        var random = RandomGenerator(seed: 1)
        for trial in 0..<500 {
            let text = Self.randomText(length: random.integer(in: 0..<80), using: &random)
            let decoded = try tokenizer.decodeBytes(tokenizer.encode(text))
            #expect(decoded == Array(text.utf8), "trial \(trial): \(text.debugDescription)")
        }
    }

    @Test("random bytes, repaired to UTF-8, round-trip exactly")
    func randomBytes() throws {
        let tokenizer = try TestData.gpt2()
        var random = RandomGenerator(seed: 2)
        for trial in 0..<500 {
            let bytes = (0..<random.integer(in: 0..<64)).map { _ in UInt8(random.integer(in: 0..<256)) }
            let text = String(decoding: bytes, as: UTF8.self)
            let ids = tokenizer.encode(text, specialTokens: .recognizeAll)
            #expect(try tokenizer.decodeBytes(ids) == Array(text.utf8), "trial \(trial): \(bytes)")
        }
    }

    @Test("any ids decode to the concatenation of their bytes")
    func arbitraryIDs() throws {
        let tokenizer = try TestData.gpt2()
        var random = RandomGenerator(seed: 3)
        for _ in 0..<200 {
            let ids = (0..<random.integer(in: 0..<20)).map { _ in random.integer(in: 0..<tokenizer.vocabularySize) }
            let bytes = try tokenizer.decodeBytes(ids)
            #expect(try bytes == ids.flatMap { try tokenizer.bytes(ofToken: $0) })
            #expect(try tokenizer.decode(ids) == String(decoding: bytes, as: UTF8.self))
        }
        // 0xE2 0x80, the first two bytes of "—", are not valid UTF-8 alone: kept as bytes, and
        // repaired only in String form.
        let split = [Int(tokenizer.byteTokens[0xE2]), Int(tokenizer.byteTokens[0x80]), 64]
        #expect(try tokenizer.decodeBytes(split) == [0xE2, 0x80, UInt8(ascii: "a")])
        #expect(try tokenizer.decode(split) == "\u{FFFD}a")
    }

    @Test("unknown ids are an error, not a crash")
    func unknownIDs() throws {
        let tokenizer = try TestData.gpt2()
        #expect(throws: TokenizationError.unknownTokenID(50257, vocabularySize: 50257)) {
            try tokenizer.decode([1, 50257])
        }
        #expect(throws: TokenizationError.unknownTokenID(-1, vocabularySize: 50257)) {
            try tokenizer.bytes(ofToken: -1)
        }
    }

    @Test("chunked encoding equals whole encoding, for chunk sizes down to a few bytes")
    func chunkedEncoding() throws {
        let tokenizer = try TestData.gpt2()
        var random = RandomGenerator(seed: 4)
        for trial in 0..<100 {
            let text = Self.randomText(length: 200, using: &random)
            let whole = tokenizer.encode(text, specialTokens: .encodeAsText, chunkBytes: Int.max / 4)
            for chunkBytes in [1, 3, 16] {
                let chunked = tokenizer.encode(text, specialTokens: .encodeAsText, chunkBytes: chunkBytes)
                #expect(chunked == whole, "trial \(trial), chunks of \(chunkBytes): \(firstDifference(chunked, whole))")
            }
        }
    }

    @Test("chunked encoding around special tokens equals whole encoding")
    func chunkedEncodingWithSpecialTokens() throws {
        let tokenizer = try TestData.gpt2()
        var random = RandomGenerator(seed: 6)
        for trial in 0..<50 {
            let documents = (0..<5).map { _ in Self.randomText(length: random.integer(in: 0..<40), using: &random) }
            let text = documents.joined(separator: "<|endoftext|>")
            let whole = tokenizer.encode(text, specialTokens: .recognizeAll, chunkBytes: Int.max / 4)
            #expect(whole.count { $0 == 50256 } == 4)
            for chunkBytes in [1, 7, 64] {
                let chunked = tokenizer.encode(text, specialTokens: .recognizeAll, chunkBytes: chunkBytes)
                #expect(chunked == whole, "trial \(trial), units of \(chunkBytes): \(firstDifference(chunked, whole))")
            }
        }
    }

    @Test("a multi-megabyte corpus encodes in parallel to the same ids and round-trips")
    func largeCorpus() throws {
        let tokenizer = try TestData.gpt2()
        let text = try TestData.text("corpus/kjv.txt")
        #expect(text.utf8.count > 2 * BPETokenizer.parallelChunkBytes)
        let parallel = tokenizer.encode(text)
        let sequential = tokenizer.encode(text, specialTokens: .encodeAsText, chunkBytes: Int.max / 4)
        #expect(parallel == sequential, "\(firstDifference(parallel, sequential))")
        #expect(try tokenizer.decodeBytes(parallel) == Array(text.utf8))
    }
}
