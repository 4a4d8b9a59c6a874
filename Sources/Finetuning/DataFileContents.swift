// Data files read with an error that says whether the path is missing or a folder.
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
