// The held-out split every trainer uses: a stable hash of a key (a prompt, a movie) decides the
// side, so that no key is on both sides and the split never changes between runs or machines.
import StableHashing

public struct HeldOutSplit: Sendable, Equatable {
    /// One key in this many is held out (0 holds out nothing).
    public var period: Int

    public init(period: Int) {
        self.period = period
    }

    /// Whether items with this key are held out.
    public func isHeldOut(_ key: String) -> Bool {
        period > 0 && StableHash.of(key) % UInt64(period) == 0
    }

    /// The items whose key is not held out, and those whose key is, each in the given order.
    public func split<Item>(_ items: [Item], key: (Item) -> String) -> (training: [Item], heldOut: [Item]) {
        var training: [Item] = [], heldOut: [Item] = []
        for item in items {
            if isHeldOut(key(item)) { heldOut.append(item) } else { training.append(item) }
        }
        return (training, heldOut)
    }
}
