// The ranks of a data-parallel job and the collectives training needs, on Open MPI. A process
// that `mpirun` did not start is a world of one, whose collectives do nothing, so every trainer
// runs the same code with or without MPI.
import CMessagePassing
import Foundation

public enum DataParallelError: Error, Equatable, CustomStringConvertible {
    /// mpirun started this process but Open MPI could not be loaded or initialised.
    case unavailable(reason: String)
    case collectiveFailed(operation: String, code: Int32)
    /// The job cannot be split as asked.
    case unsplittable(reason: String)

    public var description: String {
        switch self {
        case let .unavailable(reason):
            return "this process was started by mpirun, but Open MPI could not be initialised: \(reason) (install Debian's openmpi-bin)"
        case let .collectiveFailed(operation, code):
            return "MPI \(operation) failed with error code \(code)"
        case let .unsplittable(reason):
            return "data-parallel training cannot split this job: \(reason)"
        }
    }
}

/// Every process of a job. Only the thread that created the world communicates (MPI's
/// "funneled" threading), which is the training loop's thread.
public final class Communicator: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    private let usesMPI: Bool
    /// Bytes this rank has contributed to sums (the per-step traffic; broadcasts happen once),
    /// and the seconds spent in every collective.
    public private(set) var bytesSummed = 0
    public private(set) var secondsCommunicating = 0.0

    /// A world of one process: the collectives are identities.
    public static let single = Communicator(rank: 0, size: 1, usesMPI: false)

    private init(rank: Int, size: Int, usesMPI: Bool) {
        self.rank = rank
        self.size = size
        self.usesMPI = usesMPI
    }

    /// The rank that writes run folders, metrics and the final model, and prints progress.
    public var isRoot: Bool { rank == 0 }

    /// The processes launched together with this one: initialises Open MPI the first time when
    /// `mpirun` started this process (it sets OMPI_COMM_WORLD_SIZE), else a world of one.
    public static func world() throws -> Communicator {
        try worldLock.withLock {
            if let worldInstance { return worldInstance }
            let made = try launchedByMPIRun ? initializeMPI() : single
            worldInstance = made
            return made
        }
    }

    private static let worldLock = NSLock()
    nonisolated(unsafe) private static var worldInstance: Communicator?

    /// True under Open MPI's mpirun, whose every process has these variables.
    public static var launchedByMPIRun: Bool {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil
    }

    /// `environment` for the processes `mpirun` starts here. Open MPI refuses to run as root
    /// unless told (CI runs as root in a container), and containers often forbid the
    /// cross-process memory reads its shared-memory transport's single-copy path uses.
    public static func mpirunEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.merging([
            "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
        ]) { _, set in set }
    }

    private static func initializeMPI() throws -> Communicator {
        var message = [CChar](repeating: 0, count: 512)
        let status = mp_initialize(&message, message.count)
        guard status == 0 else {
            let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw DataParallelError.unavailable(reason: reason.isEmpty ? "code \(status)" : reason)
        }
        return Communicator(rank: Int(mp_rank()), size: Int(mp_size()), usesMPI: true)
    }

    /// Ends this rank's part in the job once its work is done; no collective may follow. A rank
    /// that exits without it (after an error) makes mpirun stop every rank, instead of leaving
    /// them waiting in a collective for it.
    public func finalize() throws {
        guard usesMPI else { return }
        let code = mp_finalize()
        guard code == 0 else { throw DataParallelError.collectiveFailed(operation: "Finalize", code: code) }
    }

    /// Replaces `values` on every rank with their sum over the ranks.
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        guard usesMPI, let base = values.baseAddress, !values.isEmpty else { return }
        try collective("Allreduce", summing: values.count * MemoryLayout<Float>.size) {
            mp_allreduce_sum_float(base, values.count)
        }
    }

    /// Replaces `values` on every rank with their sum over the ranks.
    public func sum(_ values: inout [Double]) throws {
        guard usesMPI, !values.isEmpty else { return }
        let count = values.count
        try values.withUnsafeMutableBufferPointer { buffer in
            try collective("Allreduce", summing: count * MemoryLayout<Double>.size) {
                mp_allreduce_sum_double(buffer.baseAddress!, count)
            }
        }
    }

    /// Overwrites `values` on every rank with rank `root`'s.
    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, from root: Int = 0) throws {
        guard usesMPI, let base = values.baseAddress, !values.isEmpty else { return }
        let bytes = values.count * MemoryLayout<Float>.size
        try collective("Bcast") { mp_broadcast_bytes(base, bytes, Int32(root)) }
    }

    /// Returns once every rank has called it.
    public func barrier() throws {
        guard usesMPI else { return }
        try collective("Barrier") { mp_barrier() }
    }

    private func collective(_ operation: String, summing bytes: Int = 0, _ call: () -> Int32) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let code = call()
        secondsCommunicating += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        bytesSummed += bytes
        guard code == 0 else { throw DataParallelError.collectiveFailed(operation: operation, code: code) }
    }
}
