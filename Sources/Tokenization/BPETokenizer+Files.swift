// Loading and saving GPT-2's two-file format, vocab.json (encoder.json) + merges.txt (vocab.bpe),
// and choosing between it and tokenizer.json in a folder.

import Foundation

extension BPETokenizer {
    /// The two-file names that `init(directory:)` looks for after `tokenizer.json`, in order of
    /// preference: transformers' names, then OpenAI's original ones.
    static let fileNamePairs = [("vocab.json", "merges.txt"), ("encoder.json", "vocab.bpe")]

    /// Loads a tokenizer from a vocabulary file (spelling → id, in GPT-2's byte alphabet) and a
    /// merges file, as GPT-2's `encoder.json` + `vocab.bpe` or transformers' `vocab.json` +
    /// `merges.txt`.
    ///
    /// Ids must be exactly `0..<n`. Vocabulary entries that no merge produces or names and that are
    /// not single bytes are special tokens, spelled as their literal text (`<|endoftext|>`).
    public init(vocabularyFile: URL, mergesFile: URL) throws(TokenizationError) {
        try self.init(
            vocabularyJSON: try TokenizerFiles.read(vocabularyFile), vocabularyPath: vocabularyFile.path,
            merges: try TokenizerFiles.read(mergesFile), mergesPath: mergesFile.path)
    }

    /// A tokenizer from token spellings by id and `left right` merge rules in rank order, as a
    /// GGUF file's `tokenizer.ggml.tokens` and `tokenizer.ggml.merges` hold them; `source` names
    /// them in errors (merge n is reported as line n + 1). Bytes without a token are dropped
    /// from text, as transformers does for such vocabularies.
    public init(tokens: [String], merges: [String], splitsDigits: Bool, source: String) throws(TokenizationError) {
        let entries = tokens.enumerated().map { VocabularyJSON.Entry(spelling: $0.element, id: $0.offset) }
        let mergeBytes = Array(([MergesFile.header] + merges).joined(separator: "\n").utf8)
        try self.init(
            entries: entries, vocabularyPath: source + " (tokens)",
            mergeLines: try MergesFile.lines(in: mergeBytes, path: source + " (merges)"), mergesPath: source + " (merges)",
            splitsDigits: splitsDigits, allowsMissingBytes: true)
    }

    /// Loads a tokenizer folder: `tokenizer.json` when there is one (Hugging Face's single-file
    /// form, which transformers now writes alone), else `vocab.json` + `merges.txt`, else
    /// `encoder.json` + `vocab.bpe`. `TokenizerFolder` also reads the folder's settings.
    public init(directory: URL) throws(TokenizationError) {
        let tokenizerJSON = directory.appendingPathComponent(TokenizerJSON.fileName)
        if TokenizerFiles.exists(tokenizerJSON) {
            try self.init(tokenizerJSONFile: tokenizerJSON)
            return
        }
        for (vocabulary, merges) in Self.fileNamePairs {
            let vocabularyFile = directory.appendingPathComponent(vocabulary)
            let mergesFile = directory.appendingPathComponent(merges)
            if TokenizerFiles.exists(vocabularyFile) && TokenizerFiles.exists(mergesFile) {
                try self.init(vocabularyFile: vocabularyFile, mergesFile: mergesFile)
                return
            }
        }
        let lookedFor = [TokenizerJSON.fileName] + Self.fileNamePairs.map { "\($0.0) + \($0.1)" }
        throw .fileAccess(path: directory.path, reason: "found none of " + lookedFor.joined(separator: ", "))
    }

    /// Writes `vocab.json` and `merges.txt` into `directory` (created if needed), each replaced
    /// atomically. transformers' `GPT2Tokenizer` reads them, and so does tiktoken's
    /// `data_gym_to_mergeable_bpe_ranks` when the only special token is `<|endoftext|>`. A
    /// tokenizer the two files cannot express (`vocabularyAndMergesShortfall`) is refused, with
    /// nothing written: write `tokenizer.json` instead.
    public func save(to directory: URL) throws(TokenizationError) {
        if let shortfall = try saveIfExpressible(to: directory) {
            throw .invalidField(
                path: directory.path, field: "vocab.json + merges.txt",
                reason: "cannot express this tokenizer: \(shortfall); write tokenizer.json instead")
        }
    }

    /// As `save`, but a tokenizer the two files cannot express writes nothing and returns why
    /// (nil when written): the files are built and read back once for both the check and the write.
    public func saveIfExpressible(to directory: URL) throws(TokenizationError) -> String? {
        let files = vocabularyAndMergesFiles
        if let shortfall = shortfall(of: files) { return shortfall }
        try TokenizerFiles.createDirectory(directory)
        try TokenizerFiles.write(files.vocabulary, to: directory.appendingPathComponent("vocab.json"))
        try TokenizerFiles.write(files.merges, to: directory.appendingPathComponent("merges.txt"))
        return nil
    }

    /// Why vocab.json + merges.txt cannot express this tokenizer, or nil when they read back as
    /// exactly it (GPT-2's and every tokenizer `BPETrainer` makes). The pair has no word for
    /// splitting digits apart, needs a token for every byte, and takes as special exactly the
    /// tokens that no merge makes or names; SmolLM2's tokenizer fails the first two.
    public var vocabularyAndMergesShortfall: String? { shortfall(of: vocabularyAndMergesFiles) }

    private var vocabularyAndMergesFiles: (vocabulary: [UInt8], merges: [UInt8]) {
        let spellings = self.spellings
        let pairs = mergeTable.merges.map { (spellings[Int($0.pair.left)], spellings[Int($0.pair.right)]) }
        return (VocabularyJSON.serialized(spellings), MergesFile.serialized(pairs))
    }

    private func shortfall(of files: (vocabulary: [UInt8], merges: [UInt8])) -> String? {
        if splitsDigits { return "it splits every digit apart before GPT-2's pattern, which the two files have no field for" }
        let missing = byteTokens.filter { $0 == Self.missingByte }.count
        if missing > 0 { return "its vocabulary lacks \(missing) of the 256 single-byte tokens, and the two files need all of them" }
        // The check that needs no list of causes: the files read back as this tokenizer.
        let read = try? BPETokenizer(vocabularyJSON: files.vocabulary, vocabularyPath: "vocab.json", merges: files.merges, mergesPath: "merges.txt")
        guard read == self else {
            return "they read back as another tokenizer (the two files take as special exactly the tokens no merge makes or names)"
        }
        return nil
    }

    /// Every token's vocabulary-file spelling, by id.
    var spellings: [String] {
        var result = tokenBytes.map { ByteAlphabet.spelling(of: $0) }
        for special in specialTokenList { result[Int(special.id)] = special.text }
        return result
    }

    /// Builds a tokenizer from the two files' contents; the paths only name them in errors.
    init(vocabularyJSON: [UInt8], vocabularyPath: String, merges: [UInt8], mergesPath: String) throws(TokenizationError) {
        try self.init(
            entries: try VocabularyJSON.entries(in: vocabularyJSON, path: vocabularyPath), vocabularyPath: vocabularyPath,
            mergeLines: try MergesFile.lines(in: merges, path: mergesPath), mergesPath: mergesPath)
    }

    /// Builds a tokenizer from vocabulary entries and merge rules in GPT-2's byte alphabet.
    ///
    /// `specialTokenIDs` names the special tokens where a file lists them (tokenizer.json's
    /// `added_tokens`); without it they are inferred, as the two-file format requires.
    init(
        entries: [VocabularyJSON.Entry], vocabularyPath: String, mergeLines: [MergesFile.Line], mergesPath: String,
        splitsDigits: Bool = false, allowsMissingBytes: Bool = false, specialTokenIDs: Set<Int>? = nil
    ) throws(TokenizationError) {
        let idsBySpelling = try Self.idsBySpelling(entries, path: vocabularyPath)
        func id(of spelling: String) -> Int32? { idsBySpelling[Array(spelling.utf8)] }

        var byteTokens: [Int32] = []
        for byte in 0...255 {
            let spelling = String(ByteAlphabet.scalars[byte])
            guard let tokenID = id(of: spelling) else {
                guard allowsMissingBytes else { throw .missingByteToken(path: vocabularyPath, byte: UInt8(byte), spelling: spelling) }
                byteTokens.append(Self.missingByte)
                continue
            }
            byteTokens.append(tokenID)
        }
        func ordinaryID(_ spelling: String, line: Int) throws(TokenizationError) -> Int32 {
            guard let tokenID = id(of: spelling), ByteAlphabet.bytes(ofSpelling: spelling) != nil else {
                throw .unknownMergeToken(path: mergesPath, line: line, token: spelling)
            }
            return tokenID
        }
        var rules: [Merge] = []
        var lineOfPair: [TokenPair: Int] = [:]
        for line in mergeLines {
            let pair = TokenPair(left: try ordinaryID(line.left, line: line.number),
                                 right: try ordinaryID(line.right, line: line.number))
            guard let result = id(of: line.left + line.right) else {
                throw .mergeResultNotInVocabulary(path: mergesPath, line: line.number, result: line.left + line.right)
            }
            if let firstLine = lineOfPair.updateValue(line.number, forKey: pair) {
                throw .duplicateMerge(path: mergesPath, line: line.number, firstLine: firstLine)
            }
            rules.append(Merge(pair: pair, token: result))
        }

        // Tokens named by a merge are ordinary even if no merge produces them, so that every merge
        // joins byte strings; without a list of special tokens, the rest are special.
        let ordinary = Set(byteTokens.filter { $0 != Self.missingByte }).union(rules.flatMap { [$0.pair.left, $0.pair.right, $0.token] })
        var tokenBytes = [[UInt8]](repeating: [], count: entries.count)
        var specialTokens: [SpecialToken] = []
        for entry in entries {
            let bytes = ByteAlphabet.bytes(ofSpelling: entry.spelling)
            if let specialTokenIDs {
                let isSpecial = specialTokenIDs.contains(entry.id)
                if isSpecial && ordinary.contains(Int32(entry.id)) {
                    throw .invalidVocabularyEntry(path: vocabularyPath, token: entry.spelling,
                                                  reason: "is an added token, but also a byte token or part of a merge")
                }
                if !isSpecial && bytes == nil {
                    throw .invalidVocabularyEntry(path: vocabularyPath, token: entry.spelling,
                                                  reason: "is neither spelled in the byte-level alphabet nor an added token")
                }
            }
            if let bytes, specialTokenIDs.map({ !$0.contains(entry.id) }) ?? ordinary.contains(Int32(entry.id)) {
                tokenBytes[entry.id] = bytes
            } else {
                tokenBytes[entry.id] = Array(entry.spelling.utf8)
                specialTokens.append(SpecialToken(text: entry.spelling, id: Int32(entry.id)))
            }
        }
        self.init(tokenBytes: tokenBytes, byteTokens: byteTokens, merges: rules, specialTokens: specialTokens, splitsDigits: splitsDigits)
    }

    /// Spelling (as UTF-8, which unlike `String` equality tells canonically equivalent spellings
    /// apart) → id, after checking that the ids are exactly `0..<entries.count` with no repeats.
    private static func idsBySpelling(
        _ entries: [VocabularyJSON.Entry], path: String
    ) throws(TokenizationError) -> [[UInt8]: Int32] {
        var idsBySpelling: [[UInt8]: Int32] = [:]
        idsBySpelling.reserveCapacity(entries.count)
        var spellingOfID = [String?](repeating: nil, count: entries.count)
        for entry in entries {
            guard spellingOfID.indices.contains(entry.id) else {
                throw .invalidVocabularyEntry(path: path, token: entry.spelling,
                                              reason: "id \(entry.id) is outside 0..<\(entries.count), the range for this many entries")
            }
            if let other = spellingOfID[entry.id] {
                throw .invalidVocabularyEntry(path: path, token: entry.spelling, reason: "id \(entry.id) is also the id of \"\(other)\"")
            }
            if idsBySpelling.updateValue(Int32(entry.id), forKey: Array(entry.spelling.utf8)) != nil {
                throw .invalidVocabularyEntry(path: path, token: entry.spelling, reason: "the token appears twice")
            }
            spellingOfID[entry.id] = entry.spelling
        }
        return idsBySpelling
    }
}
