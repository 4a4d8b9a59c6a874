// A real `rlhf serve` for end-to-end tests: started with the given arguments, its output
// collected as it comes, waited on for a line, stopped at the end.
import Foundation

/// A running `rlhf serve`, its output collected as it comes.
final class ServeProcess: @unchecked Sendable {
    /// The server's output so far. The readers hold this and never the ServeProcess: a pipe's
    /// last event can be delivered after `waitUntilExit()` returns and after the ServeProcess is
    /// gone (a handler that held it `unowned` crashed the test process so, on a loaded machine).
    private final class Output: @unchecked Sendable {
        let lock = NSLock()
        var output = Data(), errors = Data()
    }

    private let process = Process()
    private let collected = Output()
    /// Left by each reader at its pipe's end.
    private let readers = DispatchGroup()

    init(_ arguments: [String]) throws {
        process.executableURL = try rlhfExecutable()
        process.arguments = ["serve"] + arguments
        let (out, err) = (Pipe(), Pipe())
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        for (pipe, isError) in [(out, false), (err, true)] {
            let (handle, collected, readers) = (pipe.fileHandleForReading, collected, readers)
            readers.enter()
            Thread.detachNewThread {
                defer { readers.leave() }
                while case let data = handle.availableData, !data.isEmpty {
                    collected.lock.withLock { isError ? collected.errors.append(data) : collected.output.append(data) }
                }
            }
        }
    }

    /// Decoded whole, so a character split between two reads is not lost.
    var log: String {
        collected.lock.withLock { String(decoding: collected.output, as: UTF8.self) + String(decoding: collected.errors, as: UTF8.self) }
    }

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

    /// Stops the server and waits for the last of its output, though not for ever: a process
    /// another test spawned meanwhile may hold a copy of a pipe's write end.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        _ = readers.wait(timeout: .now() + 10)
    }
}
