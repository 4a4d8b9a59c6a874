// Text files as people write them: read with an error that says whether the path is missing or a
// folder, and split at LF or CRLF. Swift reads "\r\n" as one Character, so splitting at "\n"
// alone leaves a CRLF file as one line.
import Foundation

package enum TextFile {
    /// The bytes of the file at `url`; a missing path and a folder are told apart.
    package static func contents(of url: URL) throws(DataError) -> Data {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw .unreadable(path: url.path, reason: "file not found")
        }
        guard !isFolder.boolValue else { throw .unreadable(path: url.path, reason: "a folder, not a file") }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .unreadable(path: url.path, reason: "permission denied or an I/O error")
        }
        return data
    }
}

extension StringProtocol {
    /// The lines between LF and CRLF breaks, blank ones kept so that an index is its line number − 1.
    /// Other Unicode line separators stay inside a line, where a JSON string may hold them raw.
    package var fileLines: [SubSequence] {
        split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    }
}
