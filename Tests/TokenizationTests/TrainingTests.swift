// BPE training: merges worked out by hand, determinism, vocabulary layout, round trips,
// progress reports and configuration errors.

import Foundation
import Randomness
import Testing
@testable import Tokenization

@Suite("Training")
struct TrainingTests {
    static func train(_ documents: [String], vocabularySize: Int, specialTokens: [String] = []) throws -> BPETokenizer {
        try BPETrainer(config: BPETrainingConfig(vocabularySize: vocabularySize, specialTokens: specialTokens))
            .train(on: documents)
    }

    static func mergedTokens(_ tokenizer: BPETokenizer) -> [String] {
        tokenizer.mergeTable.merges.map { String(decoding: tokenizer.tokenBytes[Int($0.token)], as: UTF8.self) }
    }

    @Test("merges of a small corpus follow frequency, then the documented tie-break")
    func handWorkedMerges() throws {
        // "aaabdaaabac": (a,a) occurs 4 times → "aa". Then (aa,a) and (a,b) tie at 2; a's id (64)
        // is below aa's (256), so "ab" comes first, then "aaab" (2). All remaining pairs occur
        // once; the one with the smallest left id is (a,c).
        let tokenizer = try Self.train(["aaabdaaabac"], vocabularySize: 260)
        #expect(Self.mergedTokens(tokenizer) == ["aa", "ab", "aaab", "ac"])
        #expect(tokenizer.mergeTable.merges.map(\.token) == [256, 257, 258, 259])
        #expect(tokenizer.encode("aaabdaaabac") == [258, 67, 258, 259])
    }

    @Test("merges stay inside pre-tokenization pieces")
    func mergesRespectPieces() throws {
        let corpus = Array(repeating: "the cat sat on the mat, the end. ", count: 50)
        let tokenizer = try Self.train(corpus, vocabularySize: 300)
        for token in tokenizer.tokenBytes {
            #expect(!token.dropFirst().contains(UInt8(ascii: " ")), "\(token) spans a space")
        }
        #expect(Self.mergedTokens(tokenizer).contains(" the"))
    }

    @Test("layout: byte tokens in GPT-2 order, then merges, then special tokens")
    func vocabularyLayout() throws {
        let tokenizer = try Self.train(["hello world, hello there"], vocabularySize: 266, specialTokens: ["<|endoftext|>", "<|pad|>"])
        #expect(tokenizer.vocabularySize == 266)
        #expect(tokenizer.mergeCount == 8)
        #expect(tokenizer.specialTokens == ["<|endoftext|>": 264, "<|pad|>": 265])
        #expect(tokenizer.tokenBytes[0] == [UInt8(ascii: "!")])
        #expect(tokenizer.tokenBytes[188] == [0])
        #expect(tokenizer.encode("<|pad|>", specialTokens: .recognizeAll) == [265])
    }

    @Test("training stops early when no pairs are left")
    func earlyStop() throws {
        let tokenizer = try Self.train(["ab ab"], vocabularySize: 1000, specialTokens: ["<|endoftext|>"])
        #expect(Self.mergedTokens(tokenizer) == ["ab", " ab"])
        #expect(tokenizer.vocabularySize == 256 + 2 + 1)
        #expect(tokenizer.specialTokens == ["<|endoftext|>": 258])
    }

    @Test("the result depends on the corpus, not on document order or the process")
    func deterministic() throws {
        let corpus = try TestData.text("corpus/hamlet.txt").components(separatedBy: "\n\n")
        let first = try Self.train(corpus, vocabularySize: 700)
        let again = try Self.train(corpus, vocabularySize: 700)
        let reversed = try Self.train(corpus.reversed(), vocabularySize: 700)
        #expect(first == again)
        #expect(first == reversed)
        #expect(first.mergeCount == 444)
    }

    @Test("a trained tokenizer round-trips its corpus and random text")
    func roundTrip() throws {
        let corpus = try TestData.text("corpus/hamlet.txt")
        let tokenizer = try Self.train([corpus], vocabularySize: 1000, specialTokens: ["<|endoftext|>"])
        let ids = tokenizer.encode(corpus)
        #expect(try tokenizer.decodeBytes(ids) == Array(corpus.utf8))
        #expect(ids.count < corpus.utf8.count / 2, "a 1000-token vocabulary should compress its own corpus")
        var random = RandomGenerator(seed: 5)
        for trial in 0..<200 {
            let text = RoundTripTests.randomText(length: random.integer(in: 0..<60), using: &random)
            #expect(try tokenizer.decodeBytes(tokenizer.encode(text)) == Array(text.utf8), "trial \(trial)")
        }
    }

    @Test("progress covers both phases in order and ends complete")
    func progressReports() throws {
        var reports: [BPETrainingProgress] = []
        let documents = ["one two three", "two three", "three"]
        let config = BPETrainingConfig(vocabularySize: 260, specialTokens: [])
        _ = try BPETrainer(config: config).train(on: documents) { reports.append($0) }
        let counting = reports.filter { $0.phase == .countingWords }
        let merging = reports.filter { $0.phase == .merging }
        #expect(reports.firstIndex { $0.phase == .merging }! > reports.lastIndex { $0.phase == .countingWords }!)
        #expect(counting.map(\.completed) == [0, 13, 22, 27])
        #expect(counting.allSatisfy { $0.total == 27 })
        #expect(merging.map(\.completed) == [0, 1, 2, 3, 4])
        #expect(merging.allSatisfy { $0.total == 4 })
    }

    @Test("invalid settings are reported by field", arguments: [
        (BPETrainingConfig(vocabularySize: 256, specialTokens: ["<|endoftext|>"]), "vocabularySize"),
        (BPETrainingConfig(vocabularySize: 1 << 40, specialTokens: []), "vocabularySize"),
        (BPETrainingConfig(vocabularySize: 300, specialTokens: [""]), "specialTokens"),
        (BPETrainingConfig(vocabularySize: 300, specialTokens: ["<|x|>", "<|x|>"]), "specialTokens"),
    ])
    func invalidConfig(config: BPETrainingConfig, field: String) {
        #expect {
            try BPETrainer(config: config).train(on: ["text"])
        } throws: { error in
            guard case let .invalidConfiguration(reported, _) = error as? TokenizationError else { return false }
            return reported == field
        }
    }

    @Test("a special token spelled like a learned token is refused")
    func specialTokenClash() {
        #expect {
            try Self.train(["abab"], vocabularySize: 300, specialTokens: ["ab"])
        } throws: { error in
            guard case let .invalidConfiguration(field, reason) = error as? TokenizationError else { return false }
            return field == "specialTokens" && reason.contains("\"ab\"")
        }
    }

    @Test("configuration JSON: defaults for missing fields, unknown fields rejected")
    func configDecoding() throws {
        let decoded = try JSONDecoder().decode(BPETrainingConfig.self, from: Data(#"{"vocabularySize": 512}"#.utf8))
        #expect(decoded == BPETrainingConfig(vocabularySize: 512, specialTokens: ["<|endoftext|>"]))
        let encoded = try JSONEncoder().encode(decoded)
        #expect(try JSONDecoder().decode(BPETrainingConfig.self, from: encoded) == decoded)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(BPETrainingConfig.self, from: Data(#"{"vocabSize": 512}"#.utf8))
        }
    }
}
