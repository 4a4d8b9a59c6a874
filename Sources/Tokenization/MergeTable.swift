// The ranked merge rules and the byte-pair merge of one pre-tokenized piece.

/// Two adjacent tokens, by id.
struct TokenPair: Hashable, Comparable, Sendable {
    var left: Int32
    var right: Int32

    /// Both ids in one word, for hashing in the hot loops.
    var key: UInt64 { UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right)) }

    static func < (lhs: TokenPair, rhs: TokenPair) -> Bool {
        (lhs.left, lhs.right) < (rhs.left, rhs.right)
    }
}

/// One merge rule: `pair` becomes `token`. A rule's rank is its position in the merges file.
struct Merge: Equatable, Sendable {
    var pair: TokenPair
    var token: Int32
}

/// Merge rules by rank, with a pair → (rank, token) lookup.
///
/// A pair merges only if it is listed, as in GPT-2's `encoder.py` and transformers'
/// `GPT2Tokenizer`. tiktoken instead merges any two parts whose concatenation is a token; on
/// GPT-2's files the two agree (every token encodes to itself and identically both ways, which
/// `scripts/make_tokenizer_fixtures.py` checks), and the listed-pair rule keeps trained
/// vocabularies in step with transformers.
struct MergeTable: Equatable, Sendable {
    /// The rules in rank order.
    let merges: [Merge]
    /// Pair key → rank in the high half, merged token in the low half.
    private let lookup: [UInt64: UInt64]

    /// `merges` in rank order, with no pair listed twice.
    init(_ merges: [Merge]) {
        self.merges = merges
        var lookup: [UInt64: UInt64] = [:]
        lookup.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            lookup[merge.pair.key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merge.token))
        }
        self.lookup = lookup
    }

    /// The rank and result of merging `left` with `right`, or nil when no rule joins them.
    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> (rank: Int32, token: Int32)? {
        guard let packed = lookup[TokenPair(left: left, right: right).key] else { return nil }
        return (Int32(truncatingIfNeeded: packed >> 32), Int32(truncatingIfNeeded: packed))
    }

    static func == (lhs: MergeTable, rhs: MergeTable) -> Bool {
        lhs.merges == rhs.merges
    }
}

/// Applies merge rules to one piece, lowest rank first and leftmost first among equal ranks.
///
/// Parts live in a linked list over the piece's byte positions and candidate merges in a heap, so
/// a piece of n bytes costs O(n log n) even for a megabyte-long run of one character. Stale heap
/// entries are recognised by re-reading the pair now at their position. The buffers are reused
/// from piece to piece.
struct PieceMerger {
    private struct Candidate: Comparable {
        var rank: Int32
        var position: Int32

        static func < (lhs: Candidate, rhs: Candidate) -> Bool {
            (lhs.rank, lhs.position) < (rhs.rank, rhs.position)
        }
    }

    /// Token of the part starting at each byte position; -1 once absorbed by its left neighbour.
    private var tokens: [Int32] = []
    private var next: [Int32] = []
    private var previous: [Int32] = []
    private var candidates = PriorityQueue<Candidate>()

    /// Appends the tokens of `piece` (at least one byte) to `output`.
    mutating func encode(
        _ piece: UnsafeBufferPointer<UInt8>, byteTokens: [Int32], table: MergeTable, into output: inout [Int32]
    ) {
        let count = Int32(piece.count)
        tokens.removeAll(keepingCapacity: true)
        for byte in piece { tokens.append(byteTokens[Int(byte)]) }
        next.removeAll(keepingCapacity: true)
        next.append(contentsOf: 1...count)
        previous.removeAll(keepingCapacity: true)
        previous.append(contentsOf: -1..<(count - 1))
        candidates.removeAll()
        for position in 0..<(count - 1) { proposeMerge(at: position, count: count, table: table) }

        while let candidate = candidates.popMin() {
            let left = candidate.position
            guard tokens[Int(left)] >= 0 else { continue }
            let right = next[Int(left)]
            guard right < count, let merge = table.merge(tokens[Int(left)], tokens[Int(right)]),
                  merge.rank == candidate.rank else { continue }
            tokens[Int(left)] = merge.token
            tokens[Int(right)] = -1
            next[Int(left)] = next[Int(right)]
            if next[Int(right)] < count { previous[Int(next[Int(right)])] = left }
            if previous[Int(left)] >= 0 { proposeMerge(at: previous[Int(left)], count: count, table: table) }
            proposeMerge(at: left, count: count, table: table)
        }

        var position: Int32 = 0
        while position < count {
            output.append(tokens[Int(position)])
            position = next[Int(position)]
        }
    }

    /// Queues the merge of the part at `position` with its right neighbour, if a rule joins them.
    private mutating func proposeMerge(at position: Int32, count: Int32, table: MergeTable) {
        let right = next[Int(position)]
        guard right < count, let merge = table.merge(tokens[Int(position)], tokens[Int(right)]) else { return }
        candidates.insert(Candidate(rank: merge.rank, position: position))
    }
}
