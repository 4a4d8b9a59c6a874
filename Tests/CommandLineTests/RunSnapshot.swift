// A run folder's files, to hold a killed or resumed run against the unbroken one: every file under
// its real name must be complete, which here means byte-equal to the unbroken run's file (logs:
// their records a prefix of its records), and a finished run must hold the same files.
import Foundation

struct RunSnapshot {
    /// Files under their real names, by path relative to the run folder.
    var files: [String: Data]
    /// Paths with a dot-named component: temporary files and folders of interrupted writes.
    var temporaries: [String]

    init(_ folder: URL) throws {
        files = [:]
        temporaries = []
        let manager = FileManager.default
        for path in manager.subpaths(atPath: folder.path) ?? [] {
            let url = folder.appendingPathComponent(path)
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isFolder) else { continue }
            if path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                if !isFolder.boolValue || path.hasSuffix(".partial") { temporaries.append(path) }
            } else if !isFolder.boolValue {
                files[path] = try Data(contentsOf: url)
            }
        }
        temporaries.sort()
    }

    /// Whether a checkpoint was being written: its temporary folder is there (the final model's,
    /// `.model.partial`, is not one).
    var interruptedCheckpoint: Bool { temporaries.contains { $0.hasPrefix("checkpoints/") && $0.hasSuffix(".partial") } }

    /// Metric fields that measure wall-clock time, different in every run.
    static func isWallClock(_ field: String) -> Bool {
        field.hasPrefix("time/") || field.hasSuffix("_per_second") || field == "seconds"
    }

    /// How this folder falls short of `reference` (the unbroken run's): a file that is not the
    /// reference's file, a torn or extra log record, a `latest` pointer to no checkpoint; when
    /// `finished`, also a file missing or a log shorter.
    func problems(against reference: RunSnapshot, finished: Bool) -> [String] {
        var problems: [String] = []
        for (path, data) in files.sorted(by: { $0.key < $1.key }) {
            guard let expected = reference.files[path] else {
                problems.append("\(path): the unbroken run has no such file")
                continue
            }
            if path.hasSuffix(".jsonl") {
                problems += Self.logProblems(path, data, expected: expected, finished: finished)
            } else if path == "checkpoints/latest" {
                let name = String(decoding: data, as: UTF8.self)
                if !files.keys.contains(where: { $0.hasPrefix("checkpoints/\(name)/") }) { problems.append("\(path) names \(name), not a checkpoint") }
                if finished, data != expected { problems.append("\(path) names \(name), the unbroken run's \(String(decoding: expected, as: UTF8.self))") }
            } else if path == "summary.json" ? Self.withoutWallClock(data) != Self.withoutWallClock(expected) : data != expected {
                problems.append("\(path): \(data.count) bytes, not the unbroken run's \(expected.count)")
            }
        }
        if finished {
            problems += reference.files.keys.filter { files[$0] == nil }.sorted().map { "\($0): missing" }
        }
        return problems
    }

    /// A log's lines must each be a whole JSON record, and its records (without wall-clock
    /// fields) the reference's first ones: all of them when `finished`.
    static func logProblems(_ path: String, _ data: Data, expected: Data, finished: Bool) -> [String] {
        if !data.isEmpty, data.last != 0x0A { return ["\(path): the last line is cut short"] }
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
        let expectedLines = expected.split(separator: 0x0A).map { withoutWallClock(Data($0)) }
        for (index, line) in lines.enumerated() {
            guard (try? JSONSerialization.jsonObject(with: Data(line))) is [String: Any] else { return ["\(path) line \(index + 1): not a JSON record"] }
            guard index < expectedLines.count else { return ["\(path) line \(index + 1): beyond the unbroken run's \(expectedLines.count) lines"] }
            if withoutWallClock(Data(line)) != expectedLines[index] { return ["\(path) line \(index + 1) differs from the unbroken run's"] }
        }
        return finished && lines.count != expectedLines.count ? ["\(path): \(lines.count) lines, the unbroken run's \(expectedLines.count)"] : []
    }

    /// A JSON object's canonical bytes without its wall-clock fields (a log record, or a reward
    /// run's summary.json, which times the run); other data as it is.
    static func withoutWallClock(_ data: Data) -> Data {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let canonical = try? JSONSerialization.data(withJSONObject: object.filter { !isWallClock($0.key) }, options: [.sortedKeys])
        else { return data }
        return canonical
    }
}
