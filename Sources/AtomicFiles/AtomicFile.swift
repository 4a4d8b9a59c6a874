// Crash-safe writes: data goes to a temporary file of a name no other writer uses, in the same
// folder, is flushed to disk, and only then renamed over the target, so a killed process or a
// full disk never leaves a half-written file under the real name. The one implementation for
// checkpoints and the feedback store's files alike; it needs nothing but Foundation and
// TextFiles, so the store's side imports no tensor code for it.
import Foundation
import TextFiles
#if canImport(Glibc)
import Glibc
#endif

/// A file that could not be written, with the operating system's reason.
public struct FileWriteError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): could not be written (\(reason))" }
}

public enum AtomicFile {
    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { handle in try handle.write(contentsOf: data) }
    }

    /// Creates a temporary sibling of `url`, lets `body` fill it, flushes it and renames it over
    /// `url`. On any error the temporary file is removed and the original is untouched.
    public static func write(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw FileWriteError(path: url.path, reason: "cannot create \(temporary.lastPathComponent) in \(folder.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try body(handle)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw FileWriteError(path: url.path, reason: FileProblem.reason(error))
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw FileWriteError(path: url.path, reason: reason)
        }
        synchronizeFolder(folder)
    }

    /// Flushes a folder's entries, so that a rename into it survives a power loss and not only a
    /// killed process. A file system that cannot flush a folder keeps the rename all the same.
    public static func synchronizeFolder(_ folder: URL) {
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}
