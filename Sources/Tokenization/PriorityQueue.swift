// A binary min-heap: the merge loop of encoding and the pair selection of training both need
// "the smallest element under a total order" with entries added as they go.

/// A binary min-heap ordered by `Element`'s `<`.
///
/// Both users keep stale entries in the heap and discard them when they surface, so there is no
/// decrease-key; with a total order the pop sequence does not depend on insertion order.
struct PriorityQueue<Element: Comparable> {
    private var storage: [Element] = []

    var isEmpty: Bool { storage.isEmpty }

    /// Empties the queue, keeping its memory for the next use.
    mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
    }

    mutating func insert(_ element: Element) {
        storage.append(element)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child] < storage[parent] else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the smallest element, or nil when empty.
    mutating func popMin() -> Element? {
        guard let last = storage.popLast() else { return nil }
        guard !storage.isEmpty else { return last }
        let minimum = storage[0]
        storage[0] = last
        siftDown(from: 0)
        return minimum
    }

    private mutating func siftDown(from index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            guard left < storage.count else { return }
            let right = left + 1
            let smaller = right < storage.count && storage[right] < storage[left] ? right : left
            guard storage[smaller] < storage[parent] else { return }
            storage.swapAt(parent, smaller)
            parent = smaller
        }
    }
}
