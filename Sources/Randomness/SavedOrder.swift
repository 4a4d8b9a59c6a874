// A shuffled order saved in a checkpoint indexes the data of the run that wrote it: on other
// data (lines removed, or added) a resumed run would read past the end or never visit the new
// items, so the order is checked before it is used again.

/// A saved order that is not a permutation of the data it would index now.
public struct SavedOrderMismatch: Error, Equatable, CustomStringConvertible {
    /// Items the saved order covers, and items the data has now.
    public var saved: Int
    public var current: Int

    public init(saved: Int, current: Int) {
        self.saved = saved
        self.current = current
    }

    public var description: String {
        saved == current
            ? "its shuffled order of \(current) items is damaged"
            : "it was written for \(saved) items, this data has \(current): resume with the data the run started with"
    }
}

extension RandomGenerator {
    /// Checks that `order` is a permutation of 0..<count, as `permutation(count)` makes, and that
    /// `position` lies within it.
    public static func checkSavedOrder(_ order: [Int], position: Int, count: Int) throws(SavedOrderMismatch) {
        guard order.count == count else { throw SavedOrderMismatch(saved: order.count, current: count) }
        var seen = [Bool](repeating: false, count: count)
        for index in order {
            guard (0..<count).contains(index), !seen[index] else {
                throw SavedOrderMismatch(saved: order.count, current: count)
            }
            seen[index] = true
        }
        guard (0...order.count).contains(position) else { throw SavedOrderMismatch(saved: order.count, current: count) }
    }
}
