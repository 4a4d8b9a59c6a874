// JSON Lines files: decoding every line with its line number, writing through a temp file + rename.

import AtomicFiles
import Foundation
import TextFiles

/// A line of an imported file that cannot be used, or a file that cannot be read or written.
package struct FileFormatError: Error, Equatable, CustomStringConvertible {
    /// The file.
    package var file: String
    /// The 1-based line, or 0 for the file as a whole.
    package var line: Int
    /// The field at fault (a dotted path such as `completions.1.model`), if one is.
    package var field: String?
    /// What is wrong.
    package var reason: String

    /// Creates an error about `line` (0 for the whole file) of `file`.
    package init(file: String, line: Int, field: String? = nil, reason: String) {
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
    }

    package var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        return field.map { "\(place): field '\($0)': \(reason)" } ?? "\(place): \(reason)"
    }
}

/// A decoded line with its 1-based line number in the file it came from.
package struct NumberedLine<Value> {
    /// The line number.
    package var line: Int
    /// The decoded line.
    package var value: Value

    /// Creates a numbered line.
    package init(line: Int, value: Value) {
        self.line = line
        self.value = value
    }
}

extension NumberedLine: Sendable where Value: Sendable {}

extension Array {
    /// Numbers plain values 1, 2, 3, ... as if each had been a line of a file.
    package func numberedAsLines() -> [NumberedLine<Element>] {
        enumerated().map { NumberedLine(line: $0.offset + 1, value: $0.element) }
    }
}

/// Reads and writes JSON Lines (one JSON object per line).
package enum JSONLines {
    /// Decodes every non-blank line of the file as `T`; the first bad line throws, naming its
    /// number and field, before anything is returned (so callers never act on half a file).
    package static func read<T: Decodable & Sendable>(_ type: T.Type, from url: URL) throws -> [NumberedLine<T>] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw FileFormatError(file: url.path, line: 0, reason: "cannot read: \(error.localizedDescription)")
        }
        let text: String
        do {
            text = try UTF8Text.decode(data)
        } catch {
            throw FileFormatError(file: url.path, line: error.line, reason: error.reason)
        }
        return try decode(type, text: text, source: url.path)
    }

    /// As `read`, for an input that means nothing empty (pairs to score, tasks to import): a file
    /// of blank lines is an error naming it, not a run that does nothing and reports success.
    package static func readAtLeastOne<T: Decodable & Sendable>(_ type: T.Type, from url: URL) throws -> [NumberedLine<T>] {
        let items = try read(type, from: url)
        guard !items.isEmpty else { throw FileFormatError(file: url.path, line: 0, reason: "holds only blank lines") }
        return items
    }

    /// Decodes every non-blank line of `text` as `T`; `source` names the text in errors.
    package static func decode<T: Decodable & Sendable>(_ type: T.Type, text: String, source: String) throws -> [NumberedLine<T>] {
        let decoder = JSONDecoder()
        var items: [NumberedLine<T>] = []
        for (index, line) in text.fileLines.enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            do {
                items.append(NumberedLine(line: index + 1, value: try decoder.decode(T.self, from: Data(line.utf8))))
            } catch let error as DecodingError {
                throw describe(error, file: source, line: index + 1)
            } catch {
                throw FileFormatError(file: source, line: index + 1, reason: "\(error)")
            }
        }
        return items
    }

    /// Writes `items` one per line (keys sorted) to a temporary file beside `url`, then renames
    /// it over `url`: readers see the old file or the whole new one, never a partial one.
    package static func write<T: Encodable>(_ items: [T], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for item in items {
            data.append(try encoder.encode(item))
            data.append(0x0A)
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(data, to: url)
    }

    private static func describe(_ error: DecodingError, file: String, line: Int) -> FileFormatError {
        func path(_ keys: [any CodingKey]) -> String? {
            keys.isEmpty ? nil : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FileFormatError(file: file, line: line, field: path(context.codingPath + [key]), reason: "is missing")
        case .typeMismatch(let type, let context):
            return FileFormatError(file: file, line: line, field: path(context.codingPath), reason: "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return FileFormatError(file: file, line: line, field: path(context.codingPath), reason: "must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            return FileFormatError(file: file, line: line, field: field, reason: field == nil ? "not valid JSON" : context.debugDescription)
        @unknown default:
            return FileFormatError(file: file, line: line, reason: "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        default: "of type \(type)"
        }
    }
}
