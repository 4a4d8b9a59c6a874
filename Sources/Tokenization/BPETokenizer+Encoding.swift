// Text → token ids: special-token recognition, pre-tokenization, per-piece merging with a cache,
// and parallel encoding of long texts in independent work units.

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

/// A stretch of ordinary text (a byte range) or one recognised special token.
enum Segment {
    case text(Range<Int>)
    case special(Int32)
}

extension BPETokenizer {
    /// Texts of at least twice this many bytes are cut into work units of at least this size,
    /// encoded in parallel.
    static let parallelChunkBytes = 1 << 20

    /// The token ids of `text`, as tiktoken's `gpt2` encoding gives them for GPT-2's files.
    ///
    /// Special tokens are recognised where `specialTokens` allows (leftmost match first, the longest
    /// among those starting at one position); the text between them is encoded on its own.
    public func encode(_ text: String, specialTokens policy: SpecialTokenPolicy = .encodeAsText) -> [Int] {
        encode(text, specialTokens: policy, chunkBytes: Self.parallelChunkBytes)
    }

    /// `encode(_:specialTokens:)` with the parallel work-unit size as a parameter, for tests.
    func encode(_ text: String, specialTokens policy: SpecialTokenPolicy, chunkBytes: Int) -> [Int] {
        var text = text
        return text.withUTF8 { bytes in
            let matcher = SpecialTokenMatcher(recognizing: recognizedSpecialTokens(policy))
            // Work units are cut where GPT-2's pattern ends a piece; with digits apart the pieces
            // differ, so such a text is encoded in one unit.
            let segments = matcher.segments(of: bytes)
            let units = splitsDigits ? [segments] : Self.workUnits(segments, in: bytes, chunkBytes: chunkBytes)
            guard units.count > 1 else {
                var encoder = PieceEncoder(tokenizer: self)
                var output: [Int] = []
                output.reserveCapacity(bytes.count / 3)
                encoder.encode(units[0], in: bytes, into: &output)
                return output
            }
            // Every iteration reads the shared text and writes only its own result slot.
            nonisolated(unsafe) let bytes = bytes
            nonisolated(unsafe) let results = UnsafeMutableBufferPointer<[Int]>.allocate(capacity: units.count)
            results.initialize(repeating: [])
            defer { results.deinitialize().deallocate() }
            DispatchQueue.concurrentPerform(iterations: units.count) { unit in
                var encoder = PieceEncoder(tokenizer: self)
                encoder.encode(units[unit], in: bytes, into: &results[unit])
            }
            return Array(results.joined())
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

    /// Groups segments into units of at least `chunkBytes` of text (one unit if the text is
    /// short), cutting long stretches of text only where `PieceScanner` finds the same pieces in
    /// each part as in the whole, so that encoding the units apart gives the same ids.
    static func workUnits(_ segments: [Segment], in text: UnsafeBufferPointer<UInt8>, chunkBytes: Int) -> [[Segment]] {
        var units: [[Segment]] = [[]]
        var unitBytes = 0
        for segment in segments {
            guard case let .text(range) = segment else {
                units[units.count - 1].append(segment)
                continue
            }
            let cuts = PieceScanner(UnsafeBufferPointer(rebasing: text[range])).chunkBoundaries(minimumLength: chunkBytes)
            for (start, end) in zip(cuts, cuts.dropFirst()) {
                if unitBytes >= chunkBytes {
                    units.append([])
                    unitBytes = 0
                }
                units[units.count - 1].append(.text((range.lowerBound + start)..<(range.lowerBound + end)))
                unitBytes += end - start
            }
        }
        return units
    }
}

/// Encodes pieces of one text, remembering the ids of each distinct piece it has merged.
///
/// One per call (or per parallel work unit), so a tokenizer stays an immutable value that threads
/// can share.
struct PieceEncoder {
    /// Bounds the cache on huge inputs; natural text has far fewer distinct multi-byte pieces.
    private static let cacheLimit = 1 << 18

    private let byteTokens: [Int32]
    private let mergeTable: MergeTable
    private let splitsDigits: Bool
    private let hasMissingBytes: Bool
    private var cache: [[UInt8]: [Int32]] = [:]
    private var merger = PieceMerger()
    private var scratch: [Int32] = []

    init(tokenizer: BPETokenizer) {
        byteTokens = tokenizer.byteTokens
        mergeTable = tokenizer.mergeTable
        splitsDigits = tokenizer.splitsDigits
        hasMissingBytes = tokenizer.byteTokens.contains(BPETokenizer.missingByte)
    }

    /// Appends the ids of `segments` of `text` to `output`.
    mutating func encode(_ segments: [Segment], in text: UnsafeBufferPointer<UInt8>, into output: inout [Int]) {
        for segment in segments {
            switch segment {
            case let .special(id):
                output.append(Int(id))
            case let .text(range):
                let stretch = UnsafeBufferPointer(rebasing: text[range])
                PieceScanner(stretch).forEachPiece(digitsApart: splitsDigits) { piece in
                    encodePiece(UnsafeBufferPointer(rebasing: stretch[piece]), into: &output)
                }
            }
        }
    }

    private mutating func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into output: inout [Int]) {
        if hasMissingBytes, piece.contains(where: { byteTokens[Int($0)] == BPETokenizer.missingByte }) {
            let known = piece.filter { byteTokens[Int($0)] != BPETokenizer.missingByte }
            if !known.isEmpty { known.withUnsafeBufferPointer { encodePiece($0, into: &output) } }
            return
        }
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

    /// `text` split into stretches of text and the special tokens between them.
    func segments(of text: UnsafeBufferPointer<UInt8>) -> [Segment] {
        var segments: [Segment] = []
        var position = 0
        while let match = firstMatch(in: text, from: position) {
            if match.range.lowerBound > position { segments.append(.text(position..<match.range.lowerBound)) }
            segments.append(.special(match.id))
            position = match.range.upperBound
        }
        if position < text.count { segments.append(.text(position..<text.count)) }
        return segments
    }

    /// The leftmost match at or after `start`.
    private func firstMatch(in text: UnsafeBufferPointer<UInt8>, from start: Int) -> (range: Range<Int>, id: Int32)? {
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
