// Small data files written for a test, and the check that an error names a file's line.
import Foundation

/// `lines` joined by line breaks, written to a new folder as `name`.
public func jsonLinesFile(named name: String, _ lines: [String]) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try Data(lines.joined(separator: "\n").utf8).write(to: url)
    return url
}

/// Whether `error` reads "PATH:LINE: ..." for `url` and `line`, with `words` in its reason.
public func names(_ error: any Error, _ url: URL, line: Int, saying words: String) -> Bool {
    let text = "\(error)"
    return text.hasPrefix("\(url.path):\(line): ") && text.contains(words)
}
