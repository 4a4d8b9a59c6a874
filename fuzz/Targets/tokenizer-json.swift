// Hugging Face's tokenizer.json (Sources/Tokenization/TokenizerJSON+Reading.swift), and encoding
// and decoding text with whatever tokenizer it describes.
@testable import Tokenization

let inputName = "tokenizer.json"

func isTyped(_ error: any Error) -> Bool { error is TokenizationError }

func fuzz(_ bytes: [UInt8]) throws {
    let tokenizer = try BPETokenizer(tokenizerJSON: bytes, path: inputName)
    exercise(tokenizer)
}

/// Text with every kind of piece GPT-2's pattern and the digit splitter cut: a tokenizer that
/// loads must encode it and decode the ids back.
func exercise(_ tokenizer: BPETokenizer) {
    let text = "Hello, world! It's 2026: café ✓ \u{0}\t\n  <|endoftext|>x"
    let ids = tokenizer.encode(text, specialTokens: .recognizeAll)
    _ = try! tokenizer.decode(ids)
}
