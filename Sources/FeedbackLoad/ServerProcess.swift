// The servers under load as child processes: started, waited for, killed with SIGKILL, restarted.

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

    /// Starts `rlhf serve` on `database` and `port` (0: any), with `options` added to its command line.
    init(rlhf: String, database: String, port: Int, log: URL, options: [String] = []) throws {
        self.log = log
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw LoadError(description: "cannot create the server log \(log.path)")
        }
        let output = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: rlhf)
        process.arguments = ["serve", "--db", database, "--host", "127.0.0.1", "--port", String(port), "--bootstrap-rounds", "20"] + options
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

/// The `rlhf serve` processes under load, all on one database, each launch logging to its own file.
final class ServerGroup {
    private let rlhf: String
    private let database: String
    private let directory: URL
    private var processes: [ServerProcess] = []
    /// Each server's port; a restarted server keeps its port.
    private(set) var ports: [Int] = []
    private var launches = 0

    /// Starts `count` servers on `database`, one after another, each on a free port.
    init(count: Int, rlhf: String, database: String, directory: URL) async throws {
        self.rlhf = rlhf
        self.database = database
        self.directory = directory
        for _ in 0..<count {
            let (process, port) = try await launch(port: 0)
            processes.append(process)
            ports.append(port)
        }
    }

    /// The servers' process ids.
    var pids: [Int32] { processes.map(\.pid) }

    /// SIGKILLs server `index`, starts it again on its port, and returns how long it was down.
    func killAndRestart(_ index: Int) async throws -> Duration {
        try await processes[index].kill()
        let killedAt = ContinuousClock.now
        (processes[index], _) = try await launch(port: ports[index])
        return ContinuousClock.now - killedAt
    }

    /// Stops every server (SIGTERM).
    func stop() async throws {
        for process in processes { try await process.stop() }
    }

    private func launch(port: Int) async throws -> (ServerProcess, Int) {
        launches += 1
        let log = directory.appendingPathComponent("server-launch-\(launches).log")
        let process = try ServerProcess(rlhf: rlhf, database: database, port: port, log: log)
        return (process, try await process.waitUntilListening())
    }
}
