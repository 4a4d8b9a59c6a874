// GPT-2's two-file tokenizer (Sources/Tokenization/VocabularyJSON.swift, MergesFile.swift): the
// input is vocab.json, a NUL byte, then merges.txt.
@testable import Tokenization

let inputName = "vocab.json"

func isTyped(_ error: any Error) -> Bool { error is TokenizationError }

func fuzz(_ bytes: [UInt8]) throws {
    let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
    let merges = split < bytes.endIndex ? Array(bytes[(split + 1)...]) : []
    let tokenizer = try BPETokenizer(vocabularyJSON: Array(bytes[..<split]), vocabularyPath: inputName, merges: merges, mergesPath: inputName + " merges")
    let ids = tokenizer.encode("Hello, world! It's 2026: café ✓ <|endoftext|>", specialTokens: .recognizeAll)
    _ = try! tokenizer.decode(ids)
}
