// Learning a byte-level BPE vocabulary from a corpus: count pre-tokenized words, then merge the
// most frequent adjacent pair again and again.

/// Trains a `BPETokenizer` on text.
///
/// The corpus is split with GPT-2's pre-tokenization pattern (so merges never cross a piece
/// boundary) into a table of distinct words and their frequencies. Training then repeatedly
/// merges the most frequent adjacent pair of tokens, summed over all words, until the vocabulary
/// reaches `config.vocabularySize` or no pair is left.
///
/// The result is deterministic, independent of thread count and hash seeds:
/// - Ties in frequency go to the pair whose left token has the smaller id, then to the smaller
///   right id. Byte tokens have ids 0…255 in GPT-2's order (printable bytes first), merged tokens
///   follow in the order they were learned, so earlier-learned tokens win ties.
/// - A pair whose concatenation is already a token (reached by another split) is skipped, so
///   that every merged token has exactly one merge, as tiktoken's file loader requires.
///
/// The vocabulary has GPT-2's layout: byte tokens, merges, then the special tokens in the order
/// given.
public struct BPETrainer: Sendable {
    public var config: BPETrainingConfig

    public init(config: BPETrainingConfig) {
        self.config = config
    }

    /// Learns a vocabulary from `documents`, calling `progress` after each document while
    /// counting words and after each merge.
    ///
    /// Special-token text in the documents is ordinary text here; pass documents separately
    /// rather than joined by `<|endoftext|>`.
    public func train(
        on documents: some Collection<String>, progress: (BPETrainingProgress) -> Void = { _ in }
    ) throws(TokenizationError) -> BPETokenizer {
        try config.validate()
        let wordCounts = Self.countWords(in: documents, progress: progress)
        var tokenBytes = ByteAlphabet.bytesInTokenOrder.map { [$0] }
        var byteTokens = [Int32](repeating: 0, count: 256)
        for (id, byte) in ByteAlphabet.bytesInTokenOrder.enumerated() { byteTokens[Int(byte)] = Int32(id) }
        var idsByBytes = Dictionary(uniqueKeysWithValues: tokenBytes.enumerated().map { ($1, Int32($0)) })

        var statistics = PairStatistics(
            words: wordCounts.map { word, _ in word.map { byteTokens[Int($0)] } },
            frequencies: wordCounts.map(\.count))
        var merges: [Merge] = []
        progress(BPETrainingProgress(phase: .merging, completed: 0, total: config.mergeCount))
        while merges.count < config.mergeCount, let (pair, _) = statistics.popBestPair() {
            let bytes = tokenBytes[Int(pair.left)] + tokenBytes[Int(pair.right)]
            guard idsByBytes[bytes] == nil else {
                statistics.discard(pair)
                continue
            }
            let token = Int32(tokenBytes.count)
            tokenBytes.append(bytes)
            idsByBytes[bytes] = token
            merges.append(Merge(pair: pair, token: token))
            statistics.merge(pair, into: token)
            progress(BPETrainingProgress(phase: .merging, completed: merges.count, total: config.mergeCount))
        }

        var specialTokens: [BPETokenizer.SpecialToken] = []
        for text in config.specialTokens {
            if let spelled = ByteAlphabet.bytes(ofSpelling: text), let clash = idsByBytes[spelled] {
                throw .invalidConfiguration(
                    field: "specialTokens",
                    reason: "\"\(text)\" is also how vocab.json spells token \(clash), so the saved files could not tell them apart")
            }
            specialTokens.append(BPETokenizer.SpecialToken(text: text, id: Int32(tokenBytes.count)))
            tokenBytes.append(Array(text.utf8))
        }
        return BPETokenizer(tokenBytes: tokenBytes, byteTokens: byteTokens, merges: merges, specialTokens: specialTokens)
    }

    /// Distinct pre-tokenized pieces of the corpus with their frequencies, in first-seen order.
    static func countWords(
        in documents: some Collection<String>, progress: (BPETrainingProgress) -> Void
    ) -> [(word: [UInt8], count: Int)] {
        let totalBytes = documents.reduce(0) { $0 + $1.utf8.count }
        var indexOfWord: [[UInt8]: Int] = [:]
        var counts: [(word: [UInt8], count: Int)] = []
        var bytesDone = 0
        progress(BPETrainingProgress(phase: .countingWords, completed: 0, total: totalBytes))
        for document in documents {
            var document = document
            document.withUTF8 { text in
                PieceScanner(text).forEachPiece { piece in
                    let word = Array(text[piece])
                    if let index = indexOfWord[word] {
                        counts[index].count += 1
                    } else {
                        indexOfWord[word] = counts.count
                        counts.append((word, 1))
                    }
                }
            }
            bytesDone += document.utf8.count
            progress(BPETrainingProgress(phase: .countingWords, completed: bytesDone, total: totalBytes))
        }
        return counts
    }
}
