// A real `rlhf serve` for end-to-end tests: started with the given arguments, its output
// collected as it comes, waited on for a line, stopped at the end.
import Foundation

/// A running `rlhf serve`, its output collected as it comes.
final class ServeProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var output = "", errors = ""

    init(_ arguments: [String]) throws {
        process.executableURL = try rlhfExecutable()
        process.arguments = ["serve"] + arguments
        let (out, err) = (Pipe(), Pipe())
        (process.standardOutput, process.standardError) = (out, err)
        out.fileHandleForReading.readabilityHandler = { [unowned self] handle in
            let text = Self.read(handle)
            lock.withLock { output += text }
        }
        err.fileHandleForReading.readabilityHandler = { [unowned self] handle in
            let text = Self.read(handle)
            lock.withLock { errors += text }
        }
        try process.run()
    }

    /// What the pipe holds now; at its end, stops watching it (an ended pipe is always readable).
    private static func read(_ handle: FileHandle) -> String {
        let data = handle.availableData
        if data.isEmpty { handle.readabilityHandler = nil }
        return String(decoding: data, as: UTF8.self)
    }

    var log: String { lock.withLock { output + errors } }

    /// Waits until the output holds a match of `pattern`, or the server exits; returns the first capture group.
    func waitFor(_ pattern: String, minutes: Double = 5) async throws -> String {
        let expression = try NSRegularExpression(pattern: pattern)
        let deadline = Date().addingTimeInterval(minutes * 60)
        while Date() < deadline {
            let text = log
            if let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) {
                return match.numberOfRanges > 1 ? (Range(match.range(at: 1), in: text).map { String(text[$0]) } ?? "") : ""
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "rlhf serve never printed /\(pattern)/; its output:\n\(log)"])
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
