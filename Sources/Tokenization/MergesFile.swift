// The merges file (merges.txt / vocab.bpe): a "#version" header, then one rule per line, two
// token spellings separated by a space, highest priority first.

/// Reads and writes merges files.
enum MergesFile {
    /// One rule as spelled in the file.
    struct Line: Equatable {
        var left: String
        var right: String
        /// 1-based, for error messages.
        var number: Int
    }

    /// The header GPT-2's and transformers' files carry; their readers skip the first line unread.
    static let header = "#version: 0.2"

    /// The rules in `bytes`, in file order. A first line starting with "#" is the header; a final
    /// newline (or several) and Windows line endings are accepted.
    static func lines(in bytes: [UInt8], path: String) throws(TokenizationError) -> [Line] {
        // Split bytes, not Characters: "\r\n" is one Character, and so may be a token spelling
        // followed by a combining scalar.
        var rawLines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        while let last = rawLines.last, last.isEmpty || last.elementsEqual([UInt8(ascii: "\r")]) {
            rawLines.removeLast()
        }
        var result: [Line] = []
        result.reserveCapacity(rawLines.count)
        for (index, rawLine) in rawLines.enumerated() {
            let content = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            guard let text = String(validating: content, as: UTF8.self) else {
                throw .malformedMerge(path: path, line: index + 1, content: String(decoding: content, as: UTF8.self))
            }
            if index == 0 && text.hasPrefix("#") { continue }
            let parts = content.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .malformedMerge(path: path, line: index + 1, content: text)
            }
            result.append(Line(left: String(decoding: parts[0], as: UTF8.self),
                               right: String(decoding: parts[1], as: UTF8.self), number: index + 1))
        }
        return result
    }

    /// A merges file with the header and one `left right` line per pair, newline-terminated.
    static func serialized(_ pairs: [(left: String, right: String)]) -> [UInt8] {
        var output = Array((header + "\n").utf8)
        for pair in pairs {
            output.append(contentsOf: pair.left.utf8)
            output.append(UInt8(ascii: " "))
            output.append(contentsOf: pair.right.utf8)
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }
}
