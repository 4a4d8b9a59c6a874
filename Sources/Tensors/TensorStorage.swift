// Owned, 64-byte aligned Float buffers behind tensors, or views into a larger owner (a parameter
// inside a ParameterStore's flat buffer) that keep the owner alive.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

package final class TensorStorage {
    package let pointer: UnsafeMutablePointer<Float>
    package let count: Int
    /// Set for views: the storage whose memory this points into.
    private let owner: TensorStorage?
    /// Bytes mapped from the kernel for this storage alone (zero: from the pool).
    private let mappedBytes: Int

    /// Uninitialised memory for `count` floats.
    package init(count: Int) {
        let raw = BufferPool.shared.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        owner = nil
        mappedBytes = 0
    }

    /// Zeros for `count` floats in pages of their own, which take no memory until written: a
    /// parameter store whose frozen matrices live in compact form never touches their ranges.
    package init(zeroedPages count: Int) {
        let bytes = (max(count, 1) * MemoryLayout<Float>.stride + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            fatalError("mapping \(bytes) bytes of parameters failed: errno \(errno)")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        owner = nil
        mappedBytes = bytes
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
        mappedBytes = 0
    }

    deinit {
        if mappedBytes > 0 {
            munmap(pointer, mappedBytes)
        } else if owner == nil {
            BufferPool.shared.release(UnsafeMutableRawPointer(pointer), byteCount: count * MemoryLayout<Float>.stride)
        }
    }

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Gives the whole pages inside `range` back to the kernel (storage from `init(zeroedPages:)`
    /// only): they read as zero, and take no memory, until written again.
    package func discardPages(in range: Range<Int>) {
        precondition(mappedBytes > 0, "only mapped storage gives pages back")
        let start = UInt(bitPattern: pointer + range.lowerBound), end = UInt(bitPattern: pointer + range.upperBound)
        let page = UInt(Self.pageSize)
        let first = (start + page - 1) / page * page, last = end / page * page
        guard last > first else { return }
        madvise(UnsafeMutableRawPointer(bitPattern: first), Int(last - first), MADV_DONTNEED)
    }

    package var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    package func copy() -> TensorStorage { TensorStorage(copying: UnsafeBufferPointer(buffer)) }

    package func zero() { pointer.update(repeating: 0, count: count) }
}

/// Recycles large buffers. A fresh multi-megabyte allocation is mapped from the kernel and
/// faults in every page on first touch, on every training step; handing back a freed
/// activation of the same size class avoids that. Small buffers go straight to malloc, which
/// already recycles them. The pool keeps at most `capacity` bytes; what it holds stays part of
/// the process's resident memory until reused.
package final class BufferPool: Sendable {
    package static let shared = BufferPool(capacity: 2 << 30)

    /// Sizes below this are not pooled.
    private static let minimumPooled = 256 << 10
    /// Pooled sizes are rounded up to this granularity so nearby sizes share a class.
    private static let granularity = 64 << 10

    /// Free buffers by size class, as addresses (plain integers cross the lock as Sendable values).
    private struct Free: ~Copyable {
        var bySize: [Int: [UInt]] = [:]
        var bytes = 0
    }

    private let free = Mutex(Free())
    private let capacity: Int

    private init(capacity: Int) {
        self.capacity = capacity
    }

    private static func sizeClass(_ byteCount: Int) -> Int {
        byteCount < minimumPooled ? byteCount : (byteCount + granularity - 1) / granularity * granularity
    }

    package func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = Self.sizeClass(byteCount)
        if size >= Self.minimumPooled {
            let reused = free.withLock { free -> UInt? in
                guard let address = free.bySize[size]?.popLast() else { return nil }
                free.bytes -= size
                return address
            }
            if let reused, let pointer = UnsafeMutableRawPointer(bitPattern: reused) { return pointer }
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    package func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = Self.sizeClass(byteCount)
        let address = UInt(bitPattern: pointer)
        let kept = size >= Self.minimumPooled && free.withLock { free in
            guard free.bytes + size <= capacity else { return false }
            free.bySize[size, default: []].append(address)
            free.bytes += size
            return true
        }
        if !kept { pointer.deallocate() }
    }
}
