// The parallel loop for everything that is not a matrix product: contiguous chunks of a range
// spread over the cores, run inline when the work is too small to pay for a thread hand-off.
#if canImport(Glibc)
import Glibc
#endif

package enum Parallel {
    /// Threads this process computes with: RLHF_THREADS when set; otherwise the cores, shared
    /// evenly among the ranks Open MPI's mpirun started on this machine, so that data-parallel
    /// ranks do not oversubscribe the cores they share.
    package static let threadCount: Int = {
        if let text = getenv("RLHF_THREADS").map({ String(cString: $0) }), let requested = Int(text), requested > 0 {
            return requested
        }
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let localRanks = getenv("OMPI_COMM_WORLD_LOCAL_SIZE").flatMap { Int(String(cString: $0)) } ?? 1
        return max(1, cores / max(localRanks, 1))
    }()

    /// Calls `body` on contiguous, disjoint sub-ranges that cover `0..<count`, in parallel when
    /// each chunk would hold at least `minimumChunk` items. Chunks never overlap, so bodies may
    /// write their own rows without synchronisation.
    @inline(__always)
    package static func forEachChunk(of count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        forEachIndexedChunk(of: count, minimumChunk: minimumChunk) { range, _ in body(range) }
    }

    /// As `forEachChunk`, also passing the chunk's index in `0..<threadCount`, so a chunk can own a
    /// scratch row for partial sums (parameter gradients summed over rows).
    @inline(__always)
    package static func forEachIndexedChunk(of count: Int, minimumChunk: Int, _ body: (Range<Int>, Int) -> Void) {
        let chunks = min(threadCount, count / max(minimumChunk, 1))
        if chunks <= 1 {
            if count > 0 { body(0..<count, 0) }
            return
        }
        // The pool returns only after every chunk ran and no worker still holds `body`, so it never
        // outlives this call; the chunks write disjoint rows, so sharing it across threads is sound.
        withoutActuallyEscaping(body) { body in
            let run: (Int) -> Void = { chunk in body(chunk * count / chunks ..< (chunk + 1) * count / chunks, chunk) }
            if !WorkerPool.shared.run(chunks: chunks, run) {
                for chunk in 0..<chunks { run(chunk) }
            }
        }
    }

    /// Rows per chunk so that each chunk touches at least ~16K floats.
    @inline(__always)
    package static func minimumRows(width: Int) -> Int {
        max(1, 16_384 / max(width, 1))
    }
}
