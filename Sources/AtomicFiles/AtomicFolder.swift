// Crash-safe replacement of a whole folder, such as a model's (weights, config, tokenizer): the
// folder counterpart of AtomicFile. Files renamed into a folder one by one, each atomically, still
// leave a process killed between them with a folder holding some of the new save's files beside
// the old save's, which loads as neither model. So the new folder is written in full under a
// hidden sibling name, flushed, and only then put in the place of the old one, which the path
// names whole until it names the new one whole.
//
// The names beside a folder NAME, dot-named so that listings of finished work pass over them:
// - `.NAME.partial` is never read: a new folder being written, or the previous one being deleted.
//   Every save first removes one it finds (what a killed save left).
// - `.NAME.old` is the previous folder, complete, moved aside for the instant between two renames
//   where the file system cannot exchange two names in one step (Linux's renameat2 with
//   RENAME_EXCHANGE, which ext4, XFS, Btrfs and tmpfs have). A process killed in that instant
//   leaves NAME missing and `.NAME.old` whole: `readable` sends readers to it, and the next save
//   puts it back before anything else.
// One save at a time per folder. A reader that reads a folder's files while a save swaps it may
// read some from each: the guarantee is against killed processes, not concurrent readers.
import Foundation
import TextFiles
#if canImport(Glibc)
import Glibc
#endif

public enum AtomicFolder {
    /// Where `replace` writes the new folder (and then deletes the previous one).
    public static func stagingURL(of folder: URL) -> URL { sibling(of: folder, suffix: "partial") }

    /// Where the previous folder waits between two renames, where they stand in for an exchange.
    public static func setAsideURL(of folder: URL) -> URL { sibling(of: folder, suffix: "old") }

    /// Writes a new `folder` through `write`, which fills the empty folder it is given (a hidden
    /// sibling of `folder`), flushes it and swaps it in: `folder` is the complete previous folder,
    /// or nothing, until it is the complete new one. Anything else that was in `folder` is gone
    /// with the previous folder. On an error from `write` or the file system, `folder` is as it
    /// was and the sibling removed. Errors are `FileWriteError`s naming the paths, those inside
    /// the sibling by their place in `folder` (which is what the user asked for), as are
    /// Foundation's file errors from `write`; `write`'s own error types pass through.
    public static func replace(_ folder: URL, with write: (URL) throws -> Void) throws {
        try replace(folder, exchanging: true, with: write)
    }

    /// How `replace` put the new folder in place.
    enum Swap: Equatable {
        /// There was no previous folder: one rename.
        case created
        /// One renameat2(RENAME_EXCHANGE).
        case exchanged
        /// The previous folder renamed aside, then the new one into its place.
        case renamedTwice
    }

    /// `exchanging: false` takes the two renames even where an exchange works, and the result
    /// says which way ran, for the tests.
    @discardableResult
    static func replace(_ folder: URL, exchanging: Bool, with write: (URL) throws -> Void) throws -> Swap {
        let manager = FileManager.default
        let folder = folder.standardizedFileURL
        guard !["", "/", ".", ".."].contains(folder.lastPathComponent) else {
            throw FileWriteError(path: folder.path, reason: "names no folder that could be replaced whole")
        }
        let staging = stagingURL(of: folder), setAside = setAsideURL(of: folder)
        try recover(folder)
        var isFolder: ObjCBool = false
        let replacing = manager.fileExists(atPath: folder.path, isDirectory: &isFolder)
        if replacing, !isFolder.boolValue { throw FileWriteError(path: folder.path, reason: "a file is there, not a folder") }
        let swap: Swap
        do {
            do {
                try manager.createDirectory(at: staging, withIntermediateDirectories: true)
            } catch {
                throw FileWriteError(path: staging.path, reason: FileProblem.reason(error))
            }
            try write(staging)
            // A writer's files may come from code that does not flush them (Foundation's own
            // atomic write): a rename that reached the disk before its files would, after a power
            // loss, put an empty file under the real name.
            try synchronizeTree(staging)
            if !replacing {
                try move(staging, to: folder)
                swap = .created
            } else if try exchanging && exchange(staging, folder) {
                swap = .exchanged
            } else {
                try move(folder, to: setAside)
                do {
                    try move(staging, to: folder)
                } catch {
                    _ = rename(setAside.path, folder.path)
                    throw error
                }
                // Under the staging name the previous folder is garbage that no reader takes for
                // current; left as `.NAME.old` it would be, were NAME ever removed.
                _ = rename(setAside.path, staging.path)
                swap = .renamedTwice
            }
        } catch {
            try? manager.removeItem(at: staging)
            throw naming(folder, for: staging, error)
        }
        AtomicFile.synchronizeFolder(folder.deletingLastPathComponent())
        // The previous folder: a save that cannot delete it has still replaced it, and the next
        // save deletes it.
        try? manager.removeItem(at: staging)
        return swap
    }

    /// `error` with the paths inside `staging` named by their place in `folder`: the staging name
    /// is the save's own business and is gone once the save failed. Foundation's file errors
    /// become `FileWriteError`s; other types are the writer's own, and pass through as they are.
    private static func naming(_ folder: URL, for staging: URL, _ error: Error) -> Error {
        let stagingPath = staging.path
        func inFolder(_ path: String) -> String? {
            guard path == stagingPath || path.hasPrefix(stagingPath + "/") else { return nil }
            return folder.path + path.dropFirst(stagingPath.count)
        }
        let note = "while it was being written as \(staging.lastPathComponent)"
        if let error = error as? FileWriteError {
            guard let path = inFolder(error.path) else { return error }
            return FileWriteError(path: path, reason: "\(error.reason.replacingOccurrences(of: stagingPath, with: folder.path)), \(note)")
        }
        guard let path = FileProblem.path(of: error).flatMap(inFolder) else { return error }
        return FileWriteError(path: path, reason: "\(FileProblem.reason(error)), \(note)")
    }

    /// The folder to read for `folder`: `folder` itself, unless a save was killed between the two
    /// renames of its swap, leaving `folder` missing and the previous folder, complete, as
    /// `.NAME.old`. Reading does not move it back, lest it race a save under way.
    public static func readable(_ folder: URL) -> URL {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: folder.path) else { return folder }
        let setAside = setAsideURL(of: folder)
        var isFolder: ObjCBool = false
        return manager.fileExists(atPath: setAside.path, isDirectory: &isFolder) && isFolder.boolValue ? setAside : folder
    }

    /// Undoes what a killed save left: the previous folder set aside goes back to its name when
    /// nothing took its place, and is deleted when the new folder did; a staging folder goes.
    static func recover(_ folder: URL) throws {
        let manager = FileManager.default
        let staging = stagingURL(of: folder), setAside = setAsideURL(of: folder)
        if manager.fileExists(atPath: setAside.path) {
            if manager.fileExists(atPath: folder.path) {
                try remove(staging)
                try move(setAside, to: staging)
            } else {
                try move(setAside, to: folder)
            }
        }
        try remove(staging)
    }

    private static func remove(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw FileWriteError(path: url.path, reason: "the leftover of an interrupted save cannot be removed: \(FileProblem.reason(error))")
        }
    }

    private static func move(_ source: URL, to target: URL) throws {
        guard rename(source.path, target.path) == 0 else {
            throw FileWriteError(path: target.path, reason: "cannot rename \(source.path) to it: \(String(cString: strerror(errno)))")
        }
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32

    /// Swaps the two names in one step; false where the C library, kernel or file system cannot,
    /// for the caller to fall back on two renames. Glibc declares renameat2 only for GNU sources,
    /// which Swift's import of it leaves out, so the function is looked up by name.
    private static func exchange(_ first: URL, _ second: URL) throws -> Bool {
        guard let symbol = dlsym(nil, "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let exchangeFlag: UInt32 = 1 << 1  // RENAME_EXCHANGE
        if renameat2(AT_FDCWD, first.path, AT_FDCWD, second.path, exchangeFlag) == 0 { return true }
        let error = errno
        if [EINVAL, ENOSYS, EOPNOTSUPP].contains(error) { return false }
        throw FileWriteError(path: second.path, reason: "cannot exchange it with \(first.path): \(String(cString: strerror(error)))")
    }

    /// Flushes every file and folder under `root`; one that cannot be listed is an error, since
    /// swapping in files that were never flushed is what this is here to prevent.
    private static func synchronizeTree(_ root: URL) throws {
        let manager = FileManager.default
        guard let subpaths = manager.subpaths(atPath: root.path) else {
            throw FileWriteError(path: root.path, reason: "its files cannot be listed to flush them")
        }
        for path in subpaths.map({ root.appendingPathComponent($0).path }) + [root.path] {
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue {
                AtomicFile.synchronizeFolder(URL(fileURLWithPath: path))
                continue
            }
            let descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { throw FileWriteError(path: path, reason: "cannot be opened to flush it: \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else { throw FileWriteError(path: path, reason: "cannot be flushed: \(String(cString: strerror(errno)))") }
        }
    }

    private static func sibling(of folder: URL, suffix: String) -> URL {
        let folder = folder.standardizedFileURL
        return folder.deletingLastPathComponent().appendingPathComponent(".\(folder.lastPathComponent).\(suffix)")
    }
}
