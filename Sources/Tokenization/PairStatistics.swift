// The state of BPE training between merges: every distinct word as its current tokens, how often
// each adjacent pair occurs, and which words hold each pair; updated incrementally per merge.

/// Adjacent-pair counts over a word-frequency table, kept current as merges are applied.
///
/// A merge only revisits the words that contain its pair, and pair counts change by the
/// difference those words make, so a merge costs time in proportion to its pair's occurrences
/// rather than to the corpus.
struct PairStatistics {
    /// A pair with its count, ordered best first: higher count, then smaller left id, then smaller
    /// right id. The order is total, so which pair wins never depends on hashing or insertion order.
    private struct RankedPair: Comparable {
        var count: Int
        var pair: TokenPair

        static func < (lhs: RankedPair, rhs: RankedPair) -> Bool {
            lhs.count != rhs.count ? lhs.count > rhs.count : lhs.pair < rhs.pair
        }
    }

    /// Each distinct word as its current token ids.
    private var words: [[Int32]]
    /// How often each word occurs in the corpus.
    private let frequencies: [Int]
    /// Occurrences of every pair present, weighted by word frequency; absent pairs have no entry.
    private var pairCounts: [UInt64: Int] = [:]
    /// Words that contain (or once contained) each pair; entries may repeat or be stale.
    private var wordsContaining: [UInt64: [Int32]] = [:]
    /// Every pair's current count has an entry here; entries with other counts are stale.
    private var queue = PriorityQueue<RankedPair>()
    /// Pairs never to offer again.
    private var discarded: Set<UInt64> = []
    /// The merge during which each word was last rewritten, to visit it once per merge.
    private var lastVisit: [Int]
    private var mergesApplied = 0

    /// `words[i]` (byte token ids) occurs `frequencies[i]` times.
    init(words: [[Int32]], frequencies: [Int]) {
        self.words = words
        self.frequencies = frequencies
        lastVisit = [Int](repeating: -1, count: words.count)
        for (index, word) in words.enumerated() {
            for (left, right) in zip(word, word.dropFirst()) {
                let key = TokenPair(left: left, right: right).key
                pairCounts[key, default: 0] += frequencies[index]
                wordsContaining[key, default: []].append(Int32(index))
            }
        }
        for (key, count) in pairCounts { queue.insert(RankedPair(count: count, pair: Self.pair(key))) }
    }

    /// Removes and returns the best pair and its count, or nil when no pairs are left.
    mutating func popBestPair() -> (pair: TokenPair, count: Int)? {
        while let top = queue.popMin() {
            let current = pairCounts[top.pair.key] ?? 0
            if discarded.contains(top.pair.key) { continue }
            if current == top.count {
                return (top.pair, current)
            }
            // A lower count means merges elsewhere took occurrences away: requeue it at its true
            // count. A higher one already has its own entry.
            if current > 0 && current < top.count {
                queue.insert(RankedPair(count: current, pair: top.pair))
            }
        }
        return nil
    }

    /// Replaces every occurrence of `pair`, left to right, by `token` and updates the counts.
    mutating func merge(_ pair: TokenPair, into token: Int32) {
        guard let candidates = wordsContaining.removeValue(forKey: pair.key) else { return }
        var deltas: [UInt64: Int] = [:]
        for index in candidates where lastVisit[Int(index)] != mergesApplied {
            lastVisit[Int(index)] = mergesApplied
            rewrite(word: Int(index), merging: pair, into: token, deltas: &deltas)
        }
        for (key, delta) in deltas where delta != 0 {
            let count = pairCounts[key, default: 0] + delta
            pairCounts[key] = count > 0 ? count : nil
            if delta > 0 { queue.insert(RankedPair(count: count, pair: Self.pair(key))) }
        }
        mergesApplied += 1
    }

    /// Drops `pair` for good: it is never offered again, however often it occurs later.
    mutating func discard(_ pair: TokenPair) {
        discarded.insert(pair.key)
    }

    /// Rewrites one word, recording how its pair counts change: all its old pairs are taken
    /// away and all its new ones added, so that unchanged pairs cancel out.
    private mutating func rewrite(word index: Int, merging pair: TokenPair, into token: Int32, deltas: inout [UInt64: Int]) {
        let old = words[index]
        guard zip(old, old.dropFirst()).contains(where: { $0 == (pair.left, pair.right) }) else { return }
        let frequency = frequencies[index]
        var new: [Int32] = []
        new.reserveCapacity(old.count - 1)
        var position = 0
        while position < old.count {
            if position + 1 < old.count && old[position] == pair.left && old[position + 1] == pair.right {
                new.append(token)
                position += 2
            } else {
                new.append(old[position])
                position += 1
            }
        }
        for (left, right) in zip(old, old.dropFirst()) {
            deltas[TokenPair(left: left, right: right).key, default: 0] -= frequency
        }
        for (left, right) in zip(new, new.dropFirst()) {
            let key = TokenPair(left: left, right: right).key
            deltas[key, default: 0] += frequency
            if left == token || right == token { wordsContaining[key, default: []].append(Int32(index)) }
        }
        words[index] = new
    }

    private static func pair(_ key: UInt64) -> TokenPair {
        TokenPair(left: Int32(truncatingIfNeeded: key >> 32), right: Int32(truncatingIfNeeded: key))
    }
}
