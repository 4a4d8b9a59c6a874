// Persistent worker threads for the parallel loop. A GCD hand-off costs several microseconds
// (a futex wake per region), which is more than the work of a whole matrix-vector product when
// decoding one token; these workers spin briefly between regions and sleep when idle.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: Parallel.threadCount - 1)

    /// Round (high 24 bits), chunk count (next 20) and next chunk index (low 20) in one word, so
    /// a worker claims a chunk of the current round with one compare-and-swap and can never
    /// claim one of a round that is not published yet.
    private let ticket = Atomic<UInt64>(0)
    private let unfinished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    /// Workers inside `drain`: the dispatcher waits for 0 so no worker still holds the body
    /// (a retained copy pending release) when the caller's closure must stop existing.
    private let draining = Atomic<Int>(0)
    /// The current round's work: written by the dispatching thread before the round's ticket is
    /// published and read by a worker only after it claimed a chunk of that round.
    private var body: ((Int) -> Void)?
    private var round: UInt64 = 0
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    /// Idle polls before a worker sleeps: about 50 µs (a poll takes about a nanosecond), enough to
    /// catch the next region of a forward pass, or of a decoding step past its serial stretches
    /// (attention, sampling), without burning a core between jobs.
    private static let spinLimit = 45_000
    static let maximumChunks = (1 << 20) - 1

    private init(workers: Int) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for _ in 0..<max(0, workers) {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            pthread_create(&thread, nil, { context in
                Unmanaged<WorkerPool>.fromOpaque(context!).takeRetainedValue().work()
            }, context)
            pthread_detach(thread)
        }
    }

    /// Runs `body(0..<chunks)` on the calling thread and the workers; returns false without
    /// running anything when a region is already in progress (a nested or concurrent call),
    /// in which case the caller runs the chunks itself.
    func run(chunks: Int, _ body: @escaping (Int) -> Void) -> Bool {
        precondition(chunks <= Self.maximumChunks, "\(chunks) chunks exceed the pool's \(Self.maximumChunks)")
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        self.body = body
        unfinished.store(chunks, ordering: .relaxed)
        round = (round + 1) & 0xFF_FFFF
        pthread_mutex_lock(&mutex)
        ticket.store(round << 40 | UInt64(chunks) << 20, ordering: .releasing)
        if sleepers.load(ordering: .relaxed) > 0 { pthread_cond_broadcast(&condition) }
        pthread_mutex_unlock(&mutex)
        drain(round: round)
        while unfinished.load(ordering: .acquiring) > 0 || draining.load(ordering: .acquiring) > 0 { spinPause() }
        self.body = nil
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims and runs chunks of `round` until none is left. Out of line, so every reference it
    /// takes to the body is released before it returns.
    @inline(never)
    private func drain(round: UInt64) {
        var current = ticket.load(ordering: .acquiring)
        while current >> 40 == round {
            let index = Int(current & 0xF_FFFF), count = Int((current >> 20) & 0xF_FFFF)
            guard index < count else { return }
            let (exchanged, original) = ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                body!(index)
                unfinished.subtract(1, ordering: .releasing)
                current = ticket.load(ordering: .acquiring)
            } else {
                current = original
            }
        }
    }

    private func work() -> Never {
        var seen: UInt64 = 0
        while true {
            var polls = 0
            var current = ticket.load(ordering: .acquiring) >> 40
            while current == seen {
                polls += 1
                if polls < Self.spinLimit {
                    spinPause()
                } else {
                    sleep(while: seen)
                    polls = 0
                }
                current = ticket.load(ordering: .acquiring) >> 40
            }
            seen = current
            draining.add(1, ordering: .acquiring)
            drain(round: seen)
            draining.subtract(1, ordering: .releasing)
        }
    }

    /// Blocks until a round other than `seen` is published.
    private func sleep(while seen: UInt64) {
        pthread_mutex_lock(&mutex)
        sleepers.add(1, ordering: .relaxed)
        while ticket.load(ordering: .acquiring) >> 40 == seen {
            pthread_cond_wait(&condition, &mutex)
        }
        sleepers.subtract(1, ordering: .relaxed)
        pthread_mutex_unlock(&mutex)
    }

    @inline(__always) private func spinPause() {
        for _ in 0..<16 { _ = ticket.load(ordering: .relaxed) }
    }
}
