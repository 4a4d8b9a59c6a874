// The order a trainer visits its examples in: epoch after epoch, each a fresh seeded permutation
// of every example. The whole state is a checkpoint's data cursor, so a resumed run reads exactly
// the examples an unbroken one would have read.
import Randomness

public struct ShuffledEpochs: Codable, Sendable {
    private var order: [Int]
    private var position = 0
    private var epoch = 0
    private var generator: RandomGenerator

    /// The order of `count` examples, seeded.
    public init(count: Int, seed: UInt64) {
        generator = RandomGenerator(seed: seed)
        order = generator.permutation(count)
    }

    /// How many examples each epoch visits.
    public var count: Int { order.count }

    /// Checks a saved cursor against the `count` examples it would index now.
    public func check(count: Int) throws(SavedOrderMismatch) {
        try RandomGenerator.checkSavedOrder(order, position: position, count: count)
    }

    /// Passes completed over all the examples.
    public var epochsCompleted: Int { epoch }

    /// Passes completed, counting the current one's visited share (TRL's fractional `epoch`).
    public var fractionalEpoch: Double {
        order.isEmpty ? 0 : Double(epoch) + Double(position) / Double(order.count)
    }

    /// The indices of the next `count` examples, starting a newly shuffled epoch whenever one
    /// ends; empty when there are no examples.
    public mutating func next(_ count: Int) -> [Int] {
        guard !order.isEmpty else { return [] }
        var chosen: [Int] = []
        while chosen.count < count {
            if position == order.count {
                order = generator.permutation(order.count)
                position = 0
                epoch += 1
            }
            chosen.append(order[position])
            position += 1
        }
        return chosen
    }
}
