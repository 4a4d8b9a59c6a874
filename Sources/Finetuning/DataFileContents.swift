// Data files read with an error that says whether the path is missing or a folder, and, for
// text, which line holds the first byte that is not UTF-8.
import Foundation
import TextFiles

package enum DataFile {
    /// The bytes of the file at `url`; a missing path and a folder are told apart.
    package static func contents(of url: URL) throws(DataError) -> Data {
        if let obstacle = FileProblem.obstacle(toReadingFileAt: url.path) { throw .unreadable(path: url.path, reason: obstacle) }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .unreadable(path: url.path, reason: "permission denied or an I/O error")
        }
        return data
    }

    /// The text of the file at `url`. Bytes that are not UTF-8 are refused, naming their line,
    /// rather than read as U+FFFD: a file in another encoding would otherwise train on text
    /// nobody wrote.
    package static func text(of url: URL) throws(DataError) -> String {
        let data = try contents(of: url)
        do {
            return try UTF8Text.decode(data)
        } catch {
            throw .malformedLine(path: url.path, line: error.line, reason: error.reason)
        }
    }
}
