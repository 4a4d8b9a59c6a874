// The server under load as a child process: started, waited for, killed with SIGKILL, restarted.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why the benchmark could not run.
struct LoadError: Error, CustomStringConvertible {
    var description: String
}

/// `rlhf serve` running as a child process, its output going to a log file.
final class ServerProcess {
    private let process = Process()
    private let log: URL

    /// The server's process id.
    var pid: Int32 { process.processIdentifier }

    /// Starts `rlhf serve` on `database` and `port` (0: any) and waits until it says it listens;
    /// returns once the port it announced is known.
    init(rlhf: String, database: String, port: Int, log: URL) throws {
        self.log = log
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw LoadError(description: "cannot create the server log \(log.path)")
        }
        let output = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: rlhf)
        process.arguments = ["serve", "--db", database, "--host", "127.0.0.1", "--port", String(port), "--bootstrap-rounds", "20"]
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Waits for the "listening on http://HOST:PORT" line and returns the port.
    func waitUntilListening(timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://") }),
               let port = line.split(separator: " ")[2].split(separator: ":").last.flatMap({ Int($0) }) {
                return port
            }
            guard process.isRunning else { throw LoadError(description: "the server exited early:\n\(text)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw LoadError(description: "the server did not start listening within \(timeout)")
    }

    /// Kills the server with SIGKILL (no chance to flush or clean up) and waits until it is gone.
    func kill() async throws {
        Glibc.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// Asks the server to shut down (SIGTERM) and waits until it has.
    func stop() async throws {
        process.terminate()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    }
}
