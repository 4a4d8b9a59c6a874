// Owned, 64-byte aligned Float buffers behind tensors, or views into a larger owner (a parameter
// inside a ParameterStore's flat buffer) that keep the owner alive.

package final class TensorStorage {
    package let pointer: UnsafeMutablePointer<Float>
    package let count: Int
    /// Set for views: the storage whose memory this points into.
    private let owner: TensorStorage?

    /// Uninitialised memory for `count` floats.
    package init(count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        owner = nil
    }

    package convenience init(repeating value: Float, count: Int) {
        self.init(count: count)
        pointer.initialize(repeating: value, count: count)
    }

    package convenience init(copying values: UnsafeBufferPointer<Float>) {
        self.init(count: values.count)
        if let base = values.baseAddress { pointer.initialize(from: base, count: values.count) }
    }

    /// A view of `count` floats starting at `offset` of `owner`.
    package init(viewing owner: TensorStorage, offset: Int, count: Int) {
        precondition(offset >= 0 && offset + count <= owner.count, "view \(offset)..<\(offset + count) outside storage of \(owner.count)")
        pointer = owner.pointer + offset
        self.count = count
        self.owner = owner
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    package var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    package func copy() -> TensorStorage { TensorStorage(copying: UnsafeBufferPointer(buffer)) }

    package func zero() { pointer.update(repeating: 0, count: count) }
}
