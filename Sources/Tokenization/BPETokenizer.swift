// The byte-level BPE tokenizer value: its vocabulary, merge rules and special tokens, and decoding.
// Encoding, file I/O and training live in the BPETokenizer+…, TokenizerJSON+… and BPETrainer files.

/// A byte-level byte-pair-encoding tokenizer in the manner of GPT-2.
///
/// Every token stands for a byte string. Text is split into pieces by GPT-2's pre-tokenization
/// pattern, each piece starts as one token per UTF-8 byte, and ranked merge rules join adjacent
/// tokens until none applies. Special tokens (such as `<|endoftext|>`) stand for their own text but
/// are never produced by merging; `encode(_:specialTokens:)` recognises them only when asked.
///
/// Load GPT-2's files with `init(vocabularyFile:mergesFile:)`, Hugging Face's `tokenizer.json` with
/// `init(tokenizerJSONFile:)`, a folder of either with `init(directory:)` (or `TokenizerFolder`,
/// which adds tokenizer_config.json's settings); train a new vocabulary with `BPETrainer`; write
/// vocab.json + merges.txt with `save(to:)`, tokenizer.json + tokenizer_config.json with
/// `saveTokenizerJSON(to:settings:)`.
public struct BPETokenizer: Equatable, Sendable {
    /// A token that is recognised in text as a whole rather than built by merges.
    struct SpecialToken: Equatable, Sendable {
        var text: String
        var id: Int32
    }

    /// The bytes of every token, by id; a special token's are its text in UTF-8.
    let tokenBytes: [[UInt8]]
    /// `byteTokens[b]` is the id of the token for the single byte `b`, or `missingByte` where a
    /// vocabulary has none (SmolLM2 lacks a few control bytes; such bytes are dropped from text,
    /// as transformers' BPE drops characters its vocabulary lacks).
    let byteTokens: [Int32]
    let mergeTable: MergeTable
    /// In id order.
    let specialTokenList: [SpecialToken]
    /// Whether every number character is a piece of its own before GPT-2's pattern splits the
    /// rest (the `Digits(individual_digits=True)` pre-tokenizer of SmolLM2 and Llama 3).
    public let splitsDigits: Bool

    /// Assembles a tokenizer from parts that the caller has checked: 256 distinct byte tokens whose
    /// bytes are that byte, merges whose token bytes are the concatenation of the pair's, and
    /// special tokens whose bytes are their text.
    init(tokenBytes: [[UInt8]], byteTokens: [Int32], merges: [Merge], specialTokens: [SpecialToken], splitsDigits: Bool = false) {
        precondition(byteTokens.count == 256, "a byte-level tokenizer needs 256 byte tokens, got \(byteTokens.count)")
        for (byte, id) in byteTokens.enumerated() where id != Self.missingByte {
            precondition(tokenBytes[Int(id)] == [UInt8(byte)], "token \(id) should be byte \(byte)")
        }
        for merge in merges {
            precondition(
                tokenBytes[Int(merge.token)] == tokenBytes[Int(merge.pair.left)] + tokenBytes[Int(merge.pair.right)],
                "merge \(merge) does not produce the concatenation of its pair")
        }
        self.tokenBytes = tokenBytes
        self.byteTokens = byteTokens
        self.mergeTable = MergeTable(merges)
        self.specialTokenList = specialTokens.sorted { $0.id < $1.id }
        self.splitsDigits = splitsDigits
    }

    static let missingByte: Int32 = -1

    /// The number of token ids: byte tokens, merged tokens and special tokens.
    public var vocabularySize: Int { tokenBytes.count }

    /// The number of merge rules.
    public var mergeCount: Int { mergeTable.merges.count }

    /// Special-token text → id.
    public var specialTokens: [String: Int] {
        Dictionary(specialTokenList.map { ($0.text, Int($0.id)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The id of the special token spelled `text`, if there is one.
    public func specialTokenID(_ text: String) -> Int? {
        specialTokenList.first { $0.text.utf8.elementsEqual(text.utf8) }.map { Int($0.id) }
    }

    /// The bytes token `id` stands for.
    public func bytes(ofToken id: Int) throws(TokenizationError) -> [UInt8] {
        guard tokenBytes.indices.contains(id) else {
            throw .unknownTokenID(id, vocabularySize: vocabularySize)
        }
        return tokenBytes[id]
    }

    /// The bytes that `ids` stand for, concatenated.
    ///
    /// Any id sequence decodes, including ones that split a UTF-8 character, so this is the form to
    /// use when streaming tokens or when exact bytes matter.
    public func decodeBytes(_ ids: some Sequence<Int>) throws(TokenizationError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(ids.underestimatedCount * 4)
        for id in ids {
            guard tokenBytes.indices.contains(id) else {
                throw .unknownTokenID(id, vocabularySize: vocabularySize)
            }
            result.append(contentsOf: tokenBytes[id])
        }
        return result
    }

    /// The text that `ids` stand for. Byte sequences that are not valid UTF-8 (from ids that split
    /// a character) become U+FFFD; `decode(encode(s)) == s` for every string `s`.
    public func decode(_ ids: some Sequence<Int>) throws(TokenizationError) -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }
}
