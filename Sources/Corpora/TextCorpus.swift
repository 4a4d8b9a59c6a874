// Plain-text corpora as documents: files and folders (read recursively in name order), where a
// fortune file (entries separated by lines holding only "%") yields one document per entry.
import Foundation

public enum CorpusError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case malformedRecord(path: String, line: Int, reason: String)
    case empty(paths: [String])

    public var description: String {
        switch self {
        case let .missing(path): return "\(path): not found (run scripts/fetch-data.sh to fetch the corpora)"
        case let .unreadable(path, reason): return "\(path): cannot be read (\(reason))"
        case let .malformedRecord(path, line, reason): return "\(path):\(line): \(reason)"
        case let .empty(paths): return "no text found in \(paths.joined(separator: ", "))"
        }
    }
}

public enum TextCorpus {
    /// The documents under `urls`, in a stable order. Hidden files are skipped; files are read as
    /// UTF-8 (invalid bytes repaired).
    public static func documents(at urls: [URL]) throws -> [String] {
        var documents: [String] = []
        for url in urls {
            for file in try files(at: url) {
                let data: Data
                do { data = try Data(contentsOf: file) } catch {
                    throw CorpusError.unreadable(path: file.path, reason: error.localizedDescription)
                }
                documents += split(String(decoding: data, as: UTF8.self))
            }
        }
        guard !documents.isEmpty else { throw CorpusError.empty(paths: urls.map(\.path)) }
        return documents
    }

    /// Regular files at `url`: the file itself, or everything below a folder in path order.
    static func files(at url: URL) throws -> [URL] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { throw CorpusError.missing(path: url.path) }
        guard isFolder.boolValue else { return [url] }
        guard let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else {
            throw CorpusError.unreadable(path: url.path, reason: "cannot list the folder")
        }
        var found: [URL] = []
        for case let file as URL in enumerator where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            if file.pathExtension != "dat" { found.append(file) }  // strfile indexes beside fortune files
        }
        return found.sorted { $0.path < $1.path }
    }

    /// One document, or the entries of a fortune file.
    static func split(_ text: String) -> [String] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        guard normalized.contains("\n%\n") || normalized.hasPrefix("%\n") else {
            let trimmed = normalized.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? [] : [trimmed]
        }
        return normalized.components(separatedBy: "\n%\n").compactMap { entry in
            let trimmed = entry.trimmingCharacters(in: CharacterSet(charactersIn: "%").union(.whitespacesAndNewlines))
            return trimmed.isEmpty ? nil : trimmed
        }
    }
}
