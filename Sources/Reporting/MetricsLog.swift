// Metrics as JSON lines: one object per event, appended and flushed at once so a killed run
// keeps everything it logged.
import Foundation

public final class MetricsLog {
    public let url: URL
    private let handle: FileHandle

    /// Opens `url` for appending (created if missing).
    public init(url: URL) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Appends one record; keys are sorted so lines diff cleanly.
    public func append(_ record: [String: MetricValue]) throws {
        let object = record.mapValues(\.json)
        var line = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        line.append(0x0A)
        try handle.write(contentsOf: line)
    }

    /// Every record of a metrics file, for reports and for trimming after a resume.
    public static func records(at url: URL) throws -> [[String: Any]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }
}

/// A value a metrics record may hold.
public enum MetricValue: Sendable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    case number(Double)
    case integer(Int)
    case text(String)

    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }

    var json: Any {
        switch self {
        case let .number(value): return value.isFinite ? value : String(describing: value)
        case let .integer(value): return value
        case let .text(value): return value
        }
    }
}
