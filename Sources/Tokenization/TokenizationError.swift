// Everything that can go wrong when a tokenizer meets files, ids or settings it did not make.

/// A failure to load, save, train or decode, naming the file, line and field involved.
public enum TokenizationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be read or written.
    case fileAccess(path: String, reason: String)
    /// A file is not well-formed JSON, or a vocabulary file is not an object of strings to
    /// integers; `line` and `column` are 1-based, the column counting UTF-8 bytes.
    case malformedJSON(path: String, line: Int, column: Int, reason: String)
    /// A field of a well-formed JSON file (`tokenizer.json`, `tokenizer_config.json`) is missing, of
    /// the wrong type, or set to something this tokenizer cannot reproduce; `field` is its path in
    /// the document, such as `pre_tokenizer.pretokenizers[0].type`.
    case invalidField(path: String, field: String, reason: String)
    /// A vocabulary entry is unusable: a duplicate token or id, an id out of range.
    case invalidVocabularyEntry(path: String, token: String, reason: String)
    /// The vocabulary lacks the single-byte token for `byte`, so some text could not be encoded.
    case missingByteToken(path: String, byte: UInt8, spelling: String)
    /// A merges line is not two space-separated tokens.
    case malformedMerge(path: String, line: Int, content: String)
    /// A merges line names a token that is not an ordinary token of the vocabulary.
    case unknownMergeToken(path: String, line: Int, token: String)
    /// A merges line joins two tokens whose concatenation is not in the vocabulary.
    case mergeResultNotInVocabulary(path: String, line: Int, result: String)
    /// The same pair appears on two merges lines, so its rank is ambiguous.
    case duplicateMerge(path: String, line: Int, firstLine: Int)
    /// A token id that this tokenizer does not have.
    case unknownTokenID(Int, vocabularySize: Int)
    /// A training setting is out of range.
    case invalidConfiguration(field: String, reason: String)

    public var description: String {
        switch self {
        case let .fileAccess(path, reason):
            return "\(path): \(reason)"
        case let .malformedJSON(path, line, column, reason):
            return "\(path):\(line):\(column): \(reason)"
        case let .invalidField(path, field, reason):
            return "\(path): \(field) \(reason)"
        case let .invalidVocabularyEntry(path, token, reason):
            return "\(path): entry \(Self.quoted(token)): \(reason)"
        case let .missingByteToken(path, byte, spelling):
            return "\(path): no token for byte 0x\(String(byte, radix: 16)) (spelled \(Self.quoted(spelling))); "
                + "a byte-level vocabulary needs all 256"
        case let .malformedMerge(path, line, content):
            return "\(path):\(line): \(Self.quoted(content)) is not a merge; expected two tokens separated by one space"
        case let .unknownMergeToken(path, line, token):
            return "\(path):\(line): token \(Self.quoted(token)) is not an ordinary token of the vocabulary"
        case let .mergeResultNotInVocabulary(path, line, result):
            return "\(path):\(line): the merged token \(Self.quoted(result)) is not in the vocabulary; "
                + "are the vocabulary and merges files from the same tokenizer?"
        case let .duplicateMerge(path, line, firstLine):
            return "\(path):\(line): the same merge as line \(firstLine)"
        case let .unknownTokenID(id, vocabularySize):
            return "token id \(id) is outside the vocabulary (ids 0..<\(vocabularySize))"
        case let .invalidConfiguration(field, reason):
            return "\(field): \(reason)"
        }
    }

    /// `text` in double quotes with control characters and quotes escaped, for messages.
    static func quoted(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
    }
}
