// Crash-safe writes: data goes to a temporary file of a name no other writer uses, in the same
// folder, is flushed to disk, and only then renamed over the target, so a killed process or a
// full disk never leaves a half-written file under the real name. The one implementation for
// checkpoints and the feedback store's files alike; it needs nothing but Foundation, so the
// store's side imports no tensor code for it.
import Foundation
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
            throw FileWriteError(path: url.path, reason: systemReason(error))
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

    /// The operating system's words for a failed file operation ("No space left on device",
    /// "File too large", "Not a directory"), which Foundation wraps in an error whose own
    /// description gives a Cocoa domain and code instead.
    public static func systemReason(_ error: Error) -> String {
        let wrapped = error as NSError
        if let path = path(of: error), let found = pathProblem(path, wantedFolder: wrapped.code == CocoaError.Code.fileWriteFileExists.rawValue) {
            return found
        }
        let posix = wrapped.domain == NSPOSIXErrorDomain ? wrapped : wrapped.userInfo[NSUnderlyingErrorKey] as? NSError
        if let posix, posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
        guard wrapped.domain == NSCocoaErrorDomain else { return "\(error)" }
        switch CocoaError.Code(rawValue: wrapped.code) {
        case .fileWriteFileExists: return "a file is in the way where a folder is needed"
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on device"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        default: return wrapped.localizedDescription
        }
    }

    /// What stands in the way of a file or folder at `path`: a file where a folder is needed (the
    /// path itself, or a folder above it), or a folder where a file is. Foundation reports these
    /// with a bare code (512) or as "File exists".
    static func pathProblem(_ path: String, wantedFolder: Bool) -> String? {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            if wantedFolder && !isFolder.boolValue { return "a file is there, not a folder" }
            if !wantedFolder && isFolder.boolValue { return "a folder is there, not a file" }
            return nil
        }
        var above = URL(fileURLWithPath: path).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: above.path, isDirectory: &isFolder) {
            let next = above.deletingLastPathComponent()
            if next.path == above.path { return nil }
            above = next
        }
        return isFolder.boolValue ? nil : "\(above.path) is a file, not a folder"
    }

    /// The path a Foundation file error is about, when it says.
    public static func path(of error: Error) -> String? {
        let wrapped = error as NSError
        guard wrapped.domain == NSCocoaErrorDomain || wrapped.domain == NSPOSIXErrorDomain else { return nil }
        return wrapped.userInfo[NSFilePathErrorKey] as? String ?? (wrapped.userInfo[NSURLErrorKey] as? URL)?.path
    }
}
