// What went wrong with a file, in words: Foundation reports file errors with a Cocoa domain and
// a code (512, "File exists"), which say neither what is in the way nor the operating system's
// reason. The command line, checkpoints and crash-safe writes all show these words.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum FileProblem {
    /// The operating system's words for a failed file operation ("No space left on device",
    /// "File too large", "Not a directory"), which Foundation wraps in an error whose own
    /// description gives a Cocoa domain and code instead.
    public static func reason(_ error: Error) -> String {
        let wrapped = error as NSError
        if let path = path(of: error), let found = pathProblem(path, alreadyThere: wrapped.code == CocoaError.Code.fileWriteFileExists.rawValue) {
            return found
        }
        let posix = wrapped.domain == NSPOSIXErrorDomain ? wrapped : wrapped.userInfo[NSUnderlyingErrorKey] as? NSError
        if let posix, posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
        guard wrapped.domain == NSCocoaErrorDomain else { return "\(error)" }
        switch CocoaError.Code(rawValue: wrapped.code) {
        case .fileWriteFileExists: return "something of that name is already there"
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on device"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        default: return wrapped.localizedDescription
        }
    }

    /// What stands in the way at `path`, which Foundation reports with a bare code (512) or as
    /// "File exists": something already there (`alreadyThere`, a creation or a move refused), a
    /// folder where a file was to be written, or a file where a folder above it should be.
    static func pathProblem(_ path: String, alreadyThere: Bool) -> String? {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            if alreadyThere { return isFolder.boolValue ? "a folder of that name is already there" : "a file of that name is already there" }
            return isFolder.boolValue ? "a folder is there, not a file" : nil
        }
        var above = URL(fileURLWithPath: path).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: above.path, isDirectory: &isFolder) {
            let next = above.deletingLastPathComponent()
            if next.path == above.path { return nil }
            above = next
        }
        return isFolder.boolValue ? nil : "\(above.path) is a file, not a folder"
    }

    /// What would stop a file being read at `path`: nothing there, or a folder.
    public static func obstacle(toReadingFileAt path: String) -> String? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return "file not found" }
        return isFolder.boolValue ? "a folder, not a file" : nil
    }

    /// What would stop a file being written at `path` (a folder there, or a file where a folder
    /// above it should be), checked before a long job whose result it is to hold.
    public static func obstacle(toFileAt path: String) -> String? {
        pathProblem(path, alreadyThere: false)
    }

    /// The path a Foundation file error is about, when it says.
    public static func path(of error: Error) -> String? {
        let wrapped = error as NSError
        guard wrapped.domain == NSCocoaErrorDomain || wrapped.domain == NSPOSIXErrorDomain else { return nil }
        return wrapped.userInfo[NSFilePathErrorKey] as? String ?? (wrapped.userInfo[NSURLErrorKey] as? URL)?.path
    }
}
