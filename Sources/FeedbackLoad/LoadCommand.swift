// rlhf-feedback-load: simulated annotators judging over loopback against real `rlhf serve`
// processes, one of which is SIGKILLed mid-run and restarted; prints throughput, latency and
// the check that no acknowledged judgment was lost or duplicated. With --attacks it attacks one
// server instead (AttackRun) and prints what each attack achieved.

import Annotators
import ArgumentParser
import AsyncHTTPClient
import Feedback
import Foundation

@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlhf-feedback-load",
        abstract: "Load-test the feedback server and check that a SIGKILL loses or duplicates no judgment.")

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

    @Option(help: "rlhf serve processes sharing the database; annotator i starts on server i mod N and fails over to the next server when its own is down (2 or more need --db postgres://).")
    var servers = 1

    @Option(help: "SIGKILL the first server after this share of all planned judgments has been acknowledged.")
    var killAfter = 0.5

    @Option(help: "Seed of the tasks and of the annotators' choices.")
    var seed: UInt64 = 0

    @Option(help: "An empty PostgreSQL database to run on, postgres://user@host:port/database (default: a new SQLite file).")
    var db: String?

    @Flag(help: "With --db postgres://: create a new database on that server for this run instead of using the one named.")
    var newDatabase = false

    @Flag(help: "Attack one server (CSRF, markup in every field, cross-annotator access, forged and replayed sessions, oversize bodies, vote flooding, token guessing) and print a table of the outcomes instead of loading it.")
    var attacks = false

    func validate() throws {
        guard annotators > 0, judgmentsPerAnnotator > 0, tasks > 0, servers > 0 else { throw ValidationError("counts must be positive") }
        guard killAfter > 0, killAfter < 1 else { throw ValidationError("--kill-after must be between 0 and 1") }
        guard judgmentsPerAnnotator <= tasks else { throw ValidationError("an annotator judges each task at most once: --judgments-per-annotator ≤ --tasks") }
        let onPostgres = try db.map { if case .postgres = try FeedbackLocation(parsing: $0) { true } else { false } } ?? false
        guard servers == 1 || onPostgres else {
            throw ValidationError("--servers \(servers) needs --db postgres://...: a SQLite file belongs to one server")
        }
        guard !newDatabase || onPostgres else { throw ValidationError("--new-database needs --db postgres://...") }
    }

    func run() async throws {
        let executable = rlhf ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rlhf").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw LoadError(description: "no rlhf executable at \(executable): build it (swift build -c release) or pass --rlhf")
        }
        if attacks { return try await runAttacks(rlhf: executable) }
        let raters = try RaterLexicon(contentsOf: URL(fileURLWithPath: lexicon))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-feedback-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try await prepareDatabase(default: directory.appendingPathComponent("feedback.sqlite").path)
        let tokens = try await LoadFixture.populate(try await FeedbackStore(opening: database), annotators: annotators, tasks: tasks, seed: seed)
        let planned = annotators * judgmentsPerAnnotator

        let loadAtStart = Self.loadAverage()
        let group = try await ServerGroup(count: servers, rlhf: executable, database: database, directory: directory)
        let urls = group.ports.map { "http://127.0.0.1:\($0)" }
        print("\(annotators) annotators, \(tasks) three-way tasks, \(planned) judgments planned, database \(Self.masked(database))")
        print("rlhf serve: " + zip(group.pids, urls).map { "pid \($0) on \($1)" }.joined(separator: ", "))
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(loadAtStart)")

        let ledger = LoadLedger()
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            timeout: .init(connect: .seconds(2)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: annotators)))
        let panel = try SimulatedAnnotator.panel(lexicon: raters, count: annotators, temperature: 0.5, seed: seed)
        let start = ContinuousClock.now
        let deadline = start + .seconds(600)
        var kill: KillOutcome?
        do {
            try await withThrowingTaskGroup(of: Void.self) { clients in
                for (index, (token, annotator)) in zip(tokens, panel).enumerated() {
                    clients.addTask { [judgmentsPerAnnotator] in
                        var client = AnnotatorClient(
                            http: http, servers: urls, index: index, token: token, annotator: annotator, ledger: ledger, deadline: deadline)
                        do {
                            try await client.run(quota: judgmentsPerAnnotator, home: index % urls.count)
                        } catch {
                            await ledger.recordFailure()
                            throw error
                        }
                    }
                }
                // A client that fails before the kill point ends the run with its error, without a kill.
                while await ledger.isWaiting(forAcknowledgments: Int(Double(planned) * killAfter)) {
                    try await Task.sleep(for: .milliseconds(2))
                }
                if await !ledger.failed {
                    let acknowledgedAtKill = Set(await ledger.acknowledged.map(\.judgmentID))
                    let downtime = try await group.killAndRestart(0)
                    let stored = try await FeedbackStore(opening: database).judgmentIDs()
                    kill = KillOutcome(acknowledged: acknowledgedAtKill.count, missing: acknowledgedAtKill.subtracting(stored).count, downtime: downtime)
                }
                try await clients.waitForAll()
            }
        } catch {
            // No server may outlive the run; a failed run keeps its server logs.
            try? await http.shutdown()
            try? await group.stop()
            print("server logs kept in \(directory.path)")
            throw error
        }
        let elapsed = (ContinuousClock.now - start).seconds
        try await http.shutdown()
        try await group.stop()
        let audit = LoadAudit(
            acknowledgments: await ledger.acknowledged, stored: try await FeedbackStore(opening: database).rankedComparisons(),
            names: (0..<annotators).map(LoadFixture.name(ofAnnotator:)))
        do {
            try await summarize(ledger: ledger, audit: audit, kill: kill, elapsed: elapsed, loadAtStart: loadAtStart)
        } catch {
            print("server logs kept in \(directory.path)")
            throw error
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The database the servers share: `--db` (checked empty, or a new database on its server) or a new SQLite file.
    private func prepareDatabase(default path: String) async throws -> String {
        guard let db else { return path }
        var database = db
        if newDatabase, case .postgres(let server) = try FeedbackLocation(parsing: db), var url = URLComponents(string: db) {
            let name = "rlhf_load_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try await PostgresFeedbackDatabase.createDatabase(named: name, on: server)
            url.path = "/" + name
            database = url.string ?? db
        }
        let counts = try await FeedbackStore(opening: database).counts()
        guard counts.annotators == 0 && counts.tasks == 0 && counts.judgments == 0 else {
            throw LoadError(description: "\(Self.masked(database)) is not empty: the load needs a database of its own (or pass --new-database)")
        }
        return database
    }

    /// What the first server's SIGKILL did: acknowledged judgments before it, and any missing after its restart.
    struct KillOutcome {
        var acknowledged: Int
        var missing: Int
        var downtime: Duration
    }

    private func summarize(ledger: LoadLedger, audit: LoadAudit, kill: KillOutcome?, elapsed: Double, loadAtStart: String) async throws {
        let acknowledged = await ledger.acknowledged
        let submits = await ledger.submitLatencies
        let nexts = await ledger.nextTaskLatencies
        let perServer = (0..<servers).map { server in acknowledged.filter { $0.server == server }.count }
        let backend = db == nil ? "SQLite" : "PostgreSQL"
        print("--- \(annotators) annotators, \(servers) server\(servers == 1 ? "" : "s") on \(backend) ---")
        if let kill {
            print(String(format: "SIGKILL of server 1 after %d acknowledged judgments; restarted in %.2f s; %d of them missing after the restart",
                         kill.acknowledged, kill.downtime.seconds, kill.missing))
        }
        var throughput = String(format: "throughput: %d judgments acknowledged in %.2f s = %.0f judgments/s",
                                acknowledged.count, elapsed, Double(acknowledged.count) / elapsed)
        if servers == 1, let downtime = kill?.downtime.seconds {
            throughput += String(format: " (%.0f/s excluding the %.2f s restart)", Double(acknowledged.count) / (elapsed - downtime), downtime)
        }
        print(throughput + "; per server " + perServer.map(String.init).joined(separator: " / "))
        print(String(format: "submit judgment latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms (n = %d)",
                     percentile(submits, 0.5) * 1000, percentile(submits, 0.99) * 1000, (submits.max() ?? .nan) * 1000, submits.count))
        print(String(format: "next task latency: p50 %.1f ms, p99 %.1f ms (n = %d)", percentile(nexts, 0.5) * 1000, percentile(nexts, 0.99) * 1000, nexts.count))
        print("requests sent again after a failure: \(await ledger.retries) (\(await ledger.resubmissions) judgment submissions), "
              + "\(await ledger.failovers) of them to another server")
        audit.lines.forEach { print($0) }
        print("load average at start \(loadAtStart), at end \(Self.loadAverage()) (other work on the machine shares the cores)")
        let shortfall = annotators * judgmentsPerAnnotator - audit.acknowledged
        if shortfall > 0 { print("\(shortfall) planned judgments were never acknowledged: the server ran out of tasks for some annotators") }
        let failed = audit.lost + audit.duplicated + (kill?.missing ?? 0) > 0 || shortfall > 0
        print(failed ? "FAIL" : "PASS: every acknowledged judgment stored once, none duplicated")
        if failed { throw ExitCode(1) }
    }

    /// A postgres:// URL without its password, or the SQLite path.
    private static func masked(_ database: String) -> String {
        (try? FeedbackLocation(parsing: database).description) ?? database
    }

    private static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }
}
