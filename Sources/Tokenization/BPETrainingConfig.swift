// What to train (vocabulary size, special tokens) and how training reports its progress.

/// Settings for training a byte-level BPE vocabulary with `BPETrainer`.
public struct BPETrainingConfig: Codable, Sendable, Equatable {
    /// Tokens in all: 256 byte tokens, then one per merge, then the special tokens.
    public var vocabularySize: Int
    /// Special tokens, in the order of their ids at the end of the vocabulary.
    public var specialTokens: [String]

    public init(vocabularySize: Int = 4096, specialTokens: [String] = ["<|endoftext|>"]) {
        self.vocabularySize = vocabularySize
        self.specialTokens = specialTokens
    }

    /// The number of merges training aims for.
    public var mergeCount: Int { vocabularySize - 256 - specialTokens.count }

    /// Checks that the vocabulary has room for the byte and special tokens and that the special
    /// tokens are distinct and non-empty.
    public func validate() throws(TokenizationError) {
        guard vocabularySize >= 256 + specialTokens.count else {
            throw .invalidConfiguration(
                field: "vocabularySize",
                reason: "\(vocabularySize) leaves no room for 256 byte tokens and \(specialTokens.count) special tokens")
        }
        guard vocabularySize <= Int(Int32.max) else {
            throw .invalidConfiguration(field: "vocabularySize", reason: "\(vocabularySize) exceeds 2^31 - 1 token ids")
        }
        var seen: Set<[UInt8]> = []
        for token in specialTokens {
            guard !token.isEmpty else {
                throw .invalidConfiguration(field: "specialTokens", reason: "a special token cannot be empty")
            }
            guard seen.insert(Array(token.utf8)).inserted else {
                throw .invalidConfiguration(field: "specialTokens", reason: "\"\(token)\" is listed twice")
            }
        }
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case vocabularySize, specialTokens
    }

    /// Decodes with defaults for missing fields and rejects unknown ones, so that a misspelled
    /// setting is an error rather than silently ignored.
    public init(from decoder: any Decoder) throws {
        let names = try decoder.container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue)
        if let unknown = names.first(where: { CodingKeys(stringValue: $0) == nil }) {
            let known = CodingKeys.allCases.map(\.stringValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: decoder.codingPath + [AnyCodingKey(stringValue: unknown)],
                debugDescription: "unknown setting \"\(unknown)\"; known settings: \(known)"))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = BPETrainingConfig()
        vocabularySize = try container.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? defaults.vocabularySize
        specialTokens = try container.decodeIfPresent([String].self, forKey: .specialTokens) ?? defaults.specialTokens
    }
}

/// Any key of a keyed container, for listing the keys a document actually has.
private struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        return nil
    }
}

/// How far training has got, reported to `BPETrainer.train(on:progress:)`'s callback.
public struct BPETrainingProgress: Sendable, Equatable {
    /// The two passes of training.
    public enum Phase: String, Sendable {
        /// Pre-tokenizing the corpus into a word-frequency table; counts UTF-8 bytes.
        case countingWords
        /// Learning merges; counts merges.
        case merging
    }

    public var phase: Phase
    /// Work done in this phase, in its unit.
    public var completed: Int
    /// Work in this phase in all. Merging can end early when the corpus has no pairs left.
    public var total: Int

    public init(phase: Phase, completed: Int, total: Int) {
        self.phase = phase
        self.completed = completed
        self.total = total
    }
}
