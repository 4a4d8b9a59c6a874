// One attempt at a run: `rlhf` as a child process, SIGKILLed at a chosen moment. The run folder
// is watched through inotify, which reports each file created, renamed into place or appended to
// as it happens, so a kill can follow a given change closely enough to land inside a checkpoint
// write (the kill still trails the change by the watcher's wake-up time, so the exact point can
// vary a little between runs of the same seed).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// When an attempt is killed.
enum KillMoment: Equatable, CustomStringConvertible {
    case never
    /// This long after the process starts.
    case afterSeconds(Double)
    /// Right after the run folder's n-th change (see `FolderWatch`).
    case afterChange(Int)
    /// Right after the n-th checkpoint write begins (its temporary folder appears).
    case inCheckpointWrite(Int)
    /// Right after the n-th record is appended to metrics.jsonl.
    case afterRecord(Int)

    var description: String {
        switch self {
        case .never: "never"
        case let .afterSeconds(seconds): String(format: "at %.2f s", seconds)
        case let .afterChange(count): "after change \(count)"
        case let .inCheckpointWrite(count): "in checkpoint write \(count)"
        case let .afterRecord(count): "after metrics record \(count)"
        }
    }
}

struct Attempt {
    /// Ended by the harness's SIGKILL (false: it exited first).
    var killed: Bool
    var status: Int32
    /// The run folder's changes the attempt made, in order.
    var changes: Int
    var checkpointWrites: Int
    /// Appends to metrics.jsonl, and those before the first checkpoint write.
    var records: Int
    var recordsBeforeCheckpoint: Int
    var seconds: Double
    var log: URL
}

enum KilledRunError: Error, CustomStringConvertible {
    case watch(path: String, errno: Int32)
    case timedOut(seconds: Double, log: URL)

    var description: String {
        switch self {
        case let .watch(path, code): "cannot watch \(path): \(String(cString: strerror(code)))"
        case let .timedOut(seconds, log): "the run took over \(seconds) s; its output is in \(log.path)"
        }
    }
}

/// Changes to a run folder and its checkpoints/ subfolder: a name created or renamed into place, or a
/// visible file (not a dot-named temporary) written to. inotify merges identical events that
/// queue up unread, so a burst of appends can count as one.
final class FolderWatch {
    private let descriptor: Int32
    private var checkpointsWatch: Int32 = -1

    init(run: URL, checkpoints: URL) throws {
        descriptor = inotify_init1(Int32(O_CLOEXEC | O_NONBLOCK))
        guard descriptor >= 0 else { throw KilledRunError.watch(path: run.path, errno: errno) }
        for folder in [run, checkpoints] {
            let watch = inotify_add_watch(descriptor, folder.path, UInt32(IN_CREATE | IN_MOVED_TO | IN_MODIFY))
            guard watch >= 0 else { throw KilledRunError.watch(path: folder.path, errno: errno) }
            if folder == checkpoints { checkpointsWatch = watch }
        }
    }

    deinit { close(descriptor) }

    struct Change {
        var inCheckpoints: Bool
        var name: String
        var created: Bool
    }

    /// The changes since the last call, waiting up to `milliseconds` for the first.
    func changes(waiting milliseconds: Int32) -> [Change] {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, milliseconds) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return [] }
        var changes: [Change] = [], offset = 0
        buffer.withUnsafeBytes { raw in
            while offset + 16 <= count {
                let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = raw[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                offset += 16 + length
                let created = mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0
                if created || !name.hasPrefix(".") { changes.append(Change(inCheckpoints: watch == checkpointsWatch, name: name, created: created)) }
            }
        }
        return changes
    }
}

/// Runs `rlhf arguments` with its output in `log`, killing it at `moment`. `folder` and its
/// checkpoints/ subfolder are created first so they can be watched from the start.
func attempt(_ arguments: [String], folder: URL, moment: KillMoment, log: URL, timeout: Double = 300) throws -> Attempt {
    let checkpoints = folder.appendingPathComponent("checkpoints")
    try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
    let watch = try FolderWatch(run: folder, checkpoints: checkpoints)
    guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: log.path]) }
    let output = try FileHandle(forWritingTo: log)
    defer { try? output.close() }
    let process = Process()
    process.executableURL = try rlhfExecutable()
    process.arguments = arguments
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    let start = Date()
    try process.run()
    var (changes, checkpointWrites, records, recordsBeforeCheckpoint, killed) = (0, 0, 0, 0, false)
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        killed = true
    }
    func observe(_ change: FolderWatch.Change) {
        changes += 1
        let beginsCheckpoint = change.created && change.inCheckpoints && change.name.hasSuffix(".partial")
        let logsRecord = !change.created && !change.inCheckpoints && change.name == "metrics.jsonl"
        if beginsCheckpoint { checkpointWrites += 1 }
        if logsRecord {
            records += 1
            if checkpointWrites == 0 { recordsBeforeCheckpoint += 1 }
        }
        switch moment {
        case let .afterChange(count) where changes == count: kill()
        case let .inCheckpointWrite(count) where beginsCheckpoint && checkpointWrites == count: kill()
        case let .afterRecord(count) where logsRecord && records == count: kill()
        default: break
        }
    }
    while process.isRunning, !killed {
        for change in watch.changes(waiting: 1) where !killed { observe(change) }
        let elapsed = Date().timeIntervalSince(start)
        if case let .afterSeconds(seconds) = moment, elapsed >= seconds, !killed { kill() }
        if elapsed > timeout {
            kill()
            process.waitUntilExit()
            throw KilledRunError.timedOut(seconds: timeout, log: log)
        }
    }
    process.waitUntilExit()
    // What the last moments wrote, so an unbroken run's counts are complete.
    if moment == .never { watch.changes(waiting: 0).forEach(observe) }
    let bySignal = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
    return Attempt(
        killed: killed && bySignal, status: process.terminationStatus, changes: changes, checkpointWrites: checkpointWrites,
        records: records, recordsBeforeCheckpoint: recordsBeforeCheckpoint, seconds: Date().timeIntervalSince(start), log: log)
}
