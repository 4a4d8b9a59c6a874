// Reading and crash-safe writing of the tokenizer's files. Writes go to a temporary file in the
// same folder, are flushed to disk, and only then renamed over the target, so a killed process
// or a full disk never leaves a half-written vocabulary or tokenizer.json under the real name.
// (Checkpoints has the same helper; this module depends on nothing, so it keeps its own.)

import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum TokenizerFiles {
    static func read(_ file: URL) throws(TokenizationError) -> [UInt8] {
        do {
            return Array(try Data(contentsOf: file))
        } catch {
            throw .fileAccess(path: file.path, reason: "cannot read the file: \(error.localizedDescription)")
        }
    }

    static func exists(_ file: URL) -> Bool {
        FileManager.default.fileExists(atPath: file.path)
    }

    static func createDirectory(_ directory: URL) throws(TokenizationError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileAccess(path: directory.path, reason: "cannot create the directory: \(error.localizedDescription)")
        }
    }

    /// Replaces `file` with `bytes` atomically; on failure the old file is untouched and no
    /// temporary file is left behind.
    static func write(_ bytes: [UInt8], to file: URL) throws(TokenizationError) {
        let temporary = file.deletingLastPathComponent()
            .appendingPathComponent(".\(file.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw .fileAccess(path: file.path, reason: "cannot create a temporary file in \(temporary.deletingLastPathComponent().path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .fileAccess(path: file.path, reason: "cannot write the file: \(error.localizedDescription)")
        }
        guard rename(temporary.path, file.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .fileAccess(path: file.path, reason: "cannot write the file: \(reason)")
        }
    }
}
