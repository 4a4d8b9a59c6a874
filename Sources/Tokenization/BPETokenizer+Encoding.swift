// Text → token ids: special-token recognition, pre-tokenization, per-piece merging with a cache,
// and parallel encoding of long texts.

import Dispatch

/// Which special tokens `BPETokenizer.encode(_:specialTokens:)` recognises in text.
public enum SpecialTokenPolicy: Hashable, Sendable {
    /// None: special-token text is encoded like any other text (tiktoken's `encode_ordinary`).
    /// The default, so that text from users cannot inject control tokens.
    case encodeAsText
    /// All of the tokenizer's special tokens (tiktoken's `allowed_special="all"`).
    case recognizeAll
    /// Only these; strings that are not special tokens of the tokenizer are ignored.
    case recognize(Set<String>)
}

extension BPETokenizer {
    /// Texts longer than this are cut into chunks of about this size and encoded in parallel.
    static let parallelChunkBytes = 1 << 20

    /// The token ids of `text`, as tiktoken's `gpt2` encoding gives them for GPT-2's files.
    ///
    /// Special tokens are recognised where `specialTokens` allows (leftmost match first, the longest
    /// among those starting at one position); the text between them is encoded on its own.
    public func encode(_ text: String, specialTokens policy: SpecialTokenPolicy = .encodeAsText) -> [Int] {
        encode(text, specialTokens: policy, chunkBytes: Self.parallelChunkBytes)
    }

    /// `encode(_:specialTokens:)` with the parallel chunk size as a parameter, for tests.
    func encode(_ text: String, specialTokens policy: SpecialTokenPolicy, chunkBytes: Int) -> [Int] {
        var text = text
        return text.withUTF8 { bytes in
            var output: [Int] = []
            output.reserveCapacity(bytes.count / 3)
            let matcher = SpecialTokenMatcher(recognizing: recognizedSpecialTokens(policy))
            var position = 0
            while let match = matcher.firstMatch(in: bytes, from: position) {
                let ordinary = UnsafeBufferPointer(rebasing: bytes[position..<match.range.lowerBound])
                encodeOrdinary(ordinary, chunkBytes: chunkBytes, into: &output)
                output.append(Int(match.id))
                position = match.range.upperBound
            }
            encodeOrdinary(UnsafeBufferPointer(rebasing: bytes[position...]), chunkBytes: chunkBytes, into: &output)
            return output
        }
    }

    private func recognizedSpecialTokens(_ policy: SpecialTokenPolicy) -> [SpecialToken] {
        switch policy {
        case .encodeAsText: return []
        case .recognizeAll: return specialTokenList
        case let .recognize(texts):
            let wanted = Set(texts.map { Array($0.utf8) })
            return specialTokenList.filter { wanted.contains(Array($0.text.utf8)) }
        }
    }

    /// Encodes text with no special tokens in it; long text is cut into chunks that are encoded
    /// concurrently, at points where that gives the same ids as encoding it whole.
    private func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, chunkBytes: Int, into output: inout [Int]) {
        let chunks = PieceScanner(text).chunkBoundaries(minimumLength: chunkBytes)
        guard chunks.count > 2 else {
            var encoder = PieceEncoder(tokenizer: self)
            encoder.encode(text, into: &output)
            return
        }
        // Every iteration reads the shared text and writes only its own result slot.
        nonisolated(unsafe) let text = text
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<[Int]>.allocate(capacity: chunks.count - 1)
        results.initialize(repeating: [])
        defer { results.deinitialize().deallocate() }
        DispatchQueue.concurrentPerform(iterations: chunks.count - 1) { chunk in
            var encoder = PieceEncoder(tokenizer: self)
            encoder.encode(UnsafeBufferPointer(rebasing: text[chunks[chunk]..<chunks[chunk + 1]]), into: &results[chunk])
        }
        for chunk in results { output.append(contentsOf: chunk) }
    }
}

/// Encodes pieces of one text, remembering the ids of each distinct piece it has merged.
///
/// One per call (or per chunk), so a tokenizer stays an immutable value that threads can share.
struct PieceEncoder {
    /// Bounds the cache on huge inputs; natural text has far fewer distinct multi-byte pieces.
    private static let cacheLimit = 1 << 18

    private let byteTokens: [Int32]
    private let mergeTable: MergeTable
    private var cache: [[UInt8]: [Int32]] = [:]
    private var merger = PieceMerger()
    private var scratch: [Int32] = []

    init(tokenizer: BPETokenizer) {
        byteTokens = tokenizer.byteTokens
        mergeTable = tokenizer.mergeTable
    }

    mutating func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [Int]) {
        PieceScanner(text).forEachPiece { piece in
            encodePiece(UnsafeBufferPointer(rebasing: text[piece]), into: &output)
        }
    }

    private mutating func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into output: inout [Int]) {
        if piece.count == 1 {
            output.append(Int(byteTokens[Int(piece[0])]))
            return
        }
        let key = Array(piece)
        if let ids = cache[key] {
            for id in ids { output.append(Int(id)) }
            return
        }
        scratch.removeAll(keepingCapacity: true)
        merger.encode(piece, byteTokens: byteTokens, table: mergeTable, into: &scratch)
        for id in scratch { output.append(Int(id)) }
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[key] = scratch
    }
}

/// Finds special-token text in UTF-8 bytes.
struct SpecialTokenMatcher {
    private let tokens: [(bytes: [UInt8], id: Int32)]
    /// Whether some token starts with each byte value, to skip most positions at a glance.
    private let startsToken: [Bool]

    init(recognizing specialTokens: [BPETokenizer.SpecialToken]) {
        // Longest first, so that at one position the longest special token wins.
        tokens = specialTokens.map { (Array($0.text.utf8), $0.id) }
            .filter { !$0.0.isEmpty }
            .sorted { $0.0.count > $1.0.count }
        var startsToken = [Bool](repeating: false, count: 256)
        for token in tokens { startsToken[Int(token.bytes[0])] = true }
        self.startsToken = startsToken
    }

    /// The leftmost match at or after `start`.
    func firstMatch(in text: UnsafeBufferPointer<UInt8>, from start: Int) -> (range: Range<Int>, id: Int32)? {
        guard !tokens.isEmpty else { return nil }
        for position in start..<text.count where startsToken[Int(text[position])] {
            for token in tokens where position + token.bytes.count <= text.count {
                let end = position + token.bytes.count
                if text[position..<end].elementsEqual(token.bytes) { return (position..<end, token.id) }
            }
        }
        return nil
    }
}
