// One rank's part of a global batch. Every rank draws the whole batch from the same data cursor
// (token ids are cheap), then computes only its own rows; so the data order, the checkpoint
// cursor and resuming do not depend on how many ranks there are.

public struct BatchShard: Sendable, Equatable {
    public let rank: Int
    public let count: Int

    /// The whole batch: a single process.
    public static let whole = BatchShard(rank: 0, count: 1)

    public init(rank: Int, count: Int) {
        precondition(count > 0 && (0..<count).contains(rank), "rank \(rank) of \(count)")
        self.rank = rank
        self.count = count
    }

    public init(_ communicator: Communicator) {
        self.init(rank: communicator.rank, count: communicator.size)
    }

    /// This rank's contiguous rows of a batch of `rows`, as even a split as the count allows.
    public func rows(of rows: Int) -> Range<Int> {
        (rank * rows / count)..<((rank + 1) * rows / count)
    }

    /// This rank's elements of `items`.
    public func slice<Element>(_ items: [Element]) -> [Element] {
        Array(items[rows(of: items.count)])
    }
}
