// rlhf-feedback-load: 50 simulated annotators judging over loopback against a real `rlhf serve`,
// which is SIGKILLed mid-run and restarted; prints throughput, latency and the durability check.

import Annotators
import ArgumentParser
import AsyncHTTPClient
import Feedback
import Foundation

@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlhf-feedback-load",
        abstract: "Load-test the feedback server and check that a SIGKILL loses no acknowledged judgment.")

    @Option(help: "The rlhf executable (default: the one built beside this benchmark).")
    var rlhf: String?

    @Option(help: "VADER's lexicon, for the simulated annotators' judgments.")
    var lexicon = "data/reward/vader_lexicon.txt"

    @Option(help: "Concurrent simulated annotators.")
    var annotators = 50

    @Option(help: "Judgments each annotator submits.")
    var judgmentsPerAnnotator = 40

    @Option(help: "Three-way tasks in the database.")
    var tasks = 400

    @Option(help: "Kill the server after this share of all planned judgments has been acknowledged.")
    var killAfter = 0.5

    @Option(help: "Seed of the tasks and of the annotators' choices.")
    var seed: UInt64 = 0

    @Option(help: "An empty PostgreSQL database to run on, postgres://user@host:port/database (default: a new SQLite file).")
    var db: String?

    func validate() throws {
        guard annotators > 0, judgmentsPerAnnotator > 0, tasks > 0 else { throw ValidationError("counts must be positive") }
        guard killAfter > 0, killAfter < 1 else { throw ValidationError("--kill-after must be between 0 and 1") }
    }

    func run() async throws {
        let executable = rlhf ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rlhf").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw LoadError(description: "no rlhf executable at \(executable): build it (swift build -c release) or pass --rlhf")
        }
        let raters = try RaterLexicon(contentsOf: URL(fileURLWithPath: lexicon))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-feedback-load-\(UUID().uuidString)")
        let database = db ?? directory.appendingPathComponent("feedback.sqlite").path
        let fixture = try await FeedbackStore(opening: database)
        let existing = try await fixture.counts()
        guard existing.annotators == 0 && existing.tasks == 0 && existing.judgments == 0 else {
            throw LoadError(description: "\(database) is not empty: the load needs a database of its own")
        }
        let tokens = try await LoadFixture.populate(fixture, annotators: annotators, tasks: tasks, seed: seed)
        let planned = annotators * judgmentsPerAnnotator

        var server = try ServerProcess(rlhf: executable, database: database, port: 0, log: directory.appendingPathComponent("server-1.log"))
        let port = try await server.waitUntilListening()
        print("\(annotators) annotators, \(tasks) three-way tasks, \(planned) judgments planned; rlhf serve pid \(server.pid) on 127.0.0.1:\(port)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(Self.loadAverage())")

        let ledger = LoadLedger()
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            timeout: .init(connect: .seconds(2)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: annotators)))
        let panel = try SimulatedAnnotator.panel(lexicon: raters, count: annotators, temperature: 0.5, seed: seed)
        let start = ContinuousClock.now
        let deadline = start + .seconds(600)
        var downtime = Duration.zero
        var killReport = ""
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (token, annotator) in zip(tokens, panel) {
                group.addTask { [judgmentsPerAnnotator] in
                    var client = AnnotatorClient(http: http, baseURL: "http://127.0.0.1:\(port)", token: token,
                                                 annotator: annotator, ledger: ledger, deadline: deadline)
                    try await client.run(quota: judgmentsPerAnnotator)
                }
            }
            while await ledger.count < Int(Double(planned) * killAfter) { try await Task.sleep(for: .milliseconds(2)) }
            let acknowledgedAtKill = await ledger.acknowledged
            try await server.kill()
            let killedAt = ContinuousClock.now
            server = try ServerProcess(rlhf: executable, database: database, port: port, log: directory.appendingPathComponent("server-2.log"))
            _ = try await server.waitUntilListening()
            downtime = ContinuousClock.now - killedAt
            killReport = try await Self.checkDurability(database: database, acknowledged: acknowledgedAtKill, downtime: downtime)
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - start).seconds
        try await http.shutdown()
        try await server.stop()
        try await report(ledger: ledger, elapsed: elapsed, downtime: downtime.seconds, killReport: killReport, database: database)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Compares the judgments acknowledged before the kill with what the restarted server's database holds.
    static func checkDurability(database: String, acknowledged: [Int64], downtime: Duration) async throws -> String {
        let stored = try await FeedbackStore(opening: database).judgmentIDs()
        let missing = Set(acknowledged).subtracting(stored)
        guard missing.isEmpty else {
            throw LoadError(description: "LOST \(missing.count) acknowledged judgments across the SIGKILL: \(missing.sorted().prefix(10))")
        }
        return "SIGKILL after \(acknowledged.count) acknowledged judgments; restarted in \(String(format: "%.2f", downtime.seconds)) s; "
            + "\(stored.count) judgments stored after restart, all \(acknowledged.count) acknowledged ones present"
    }

    private func report(ledger: LoadLedger, elapsed: Double, downtime: Double, killReport: String, database: String) async throws {
        let acknowledged = await ledger.acknowledged
        let submits = await ledger.submitLatencies
        let nexts = await ledger.nextTaskLatencies
        let stored = try await FeedbackStore(opening: database).judgmentIDs()
        let missing = Set(acknowledged).subtracting(stored)
        print(killReport)
        print(String(format: "throughput: %d judgments acknowledged in %.2f s = %.0f judgments/s (%.0f/s excluding %.2f s of restart)",
                     acknowledged.count, elapsed, Double(acknowledged.count) / elapsed,
                     Double(acknowledged.count) / (elapsed - downtime), downtime))
        print(String(format: "submit judgment latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms (n = %d)",
                     percentile(submits, 0.5) * 1000, percentile(submits, 0.99) * 1000, (submits.max() ?? .nan) * 1000, submits.count))
        print(String(format: "next task latency: p50 %.1f ms, p99 %.1f ms (n = %d); %d requests retried while the server was down",
                     percentile(nexts, 0.5) * 1000, percentile(nexts, 0.99) * 1000, nexts.count, await ledger.retries))
        print("durability: \(acknowledged.count) acknowledged in the whole run, \(stored.count) stored, \(missing.count) missing")
        guard missing.isEmpty else { throw LoadError(description: "acknowledged judgments are missing: \(missing.sorted().prefix(10))") }
    }

    private static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }
}
