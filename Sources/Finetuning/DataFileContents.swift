// Data files read with an error that says whether the path is missing or a folder.
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
}
