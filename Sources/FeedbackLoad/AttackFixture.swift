// The store the attacks run against: an administrator, three annotators, a task whose prompt and
// first answer are markup, and plain tasks for the rest.

import ArgumentParser
import AsyncHTTPClient
import Feedback
import Foundation

/// Tokens and tasks the attacks use.
struct AttackFixture {
    var adminToken: String
    var aliceToken: String
    var bobToken: String
    var carolToken: String
    var aliceID: Int64
    var bobID: Int64
    var carolID: Int64
    /// Task 0 is the markup task; the others are plain pairs.
    var tasks: [TaskDetails]

    static func populate(_ store: FeedbackStore) async throws -> AttackFixture {
        let admin = try await store.createAnnotator(name: "admin", role: .admin)
        let alice = try await store.createAnnotator(name: "alice", role: .annotator)
        let bob = try await store.createAnnotator(name: "bob", role: .annotator)
        let carol = try await store.createAnnotator(name: "carol", role: .annotator)
        var tasks = [try await store.createTask(prompt: attackMarkup, completions: [
            NewCompletion(text: attackMarkup, provenance: Provenance(model: "model-a")),
            NewCompletion(text: "a plain answer", provenance: Provenance(model: "model-b")),
        ])]
        for index in 1...6 {
            tasks.append(try await store.createTask(prompt: "Plain prompt \(index)", completions: [
                NewCompletion(text: "first answer \(index)", provenance: Provenance(model: "model-a")),
                NewCompletion(text: "second answer \(index)", provenance: Provenance(model: "model-b")),
            ]))
        }
        return AttackFixture(
            adminToken: admin.token, aliceToken: alice.token, bobToken: bob.token, carolToken: carol.token,
            aliceID: alice.annotator.id!, bobID: bob.annotator.id!, carolID: carol.annotator.id!, tasks: tasks)
    }
}

extension LoadCommand {
    /// Starts one server on a new SQLite store with a 1 MiB body limit and a vote limit, runs every
    /// attack, prints the table, and fails when any attack got through.
    func runAttacks(rlhf: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-attacks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = directory.appendingPathComponent("feedback.sqlite").path
        let store = try await FeedbackStore(opening: database)
        let people = try await AttackFixture.populate(store)
        let server = try ServerProcess(
            rlhf: rlhf, database: database, port: 0, log: directory.appendingPathComponent("server.log"),
            options: ["--max-body-bytes", String(AttackRun.bodyLimit), "--vote-limit", String(AttackRun.voteLimit), "--vote-window-minutes", "60"])
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let rows: [AttackRow]
        do {
            let port = try await server.waitUntilListening()
            rows = try await AttackRun(client: AttackClient(http: http, base: "http://127.0.0.1:\(port)"), store: store, people: people).rows()
        } catch {
            try? await http.shutdown()
            try? await server.stop()
            print("server log kept in \(directory.path)")
            throw error
        }
        try await http.shutdown()
        try await server.stop()
        print("| attack | what was tried | outcome | held |")
        print("|---|---|---|---|")
        for row in rows {
            let cells = [row.attack, row.attempt, row.outcome, row.held ? "yes" : "**NO**"].map { $0.replacingOccurrences(of: "|", with: "\\|") }
            print("| " + cells.joined(separator: " | ") + " |")
        }
        try? FileManager.default.removeItem(at: directory)
        if rows.contains(where: { !$0.held }) { throw ExitCode(1) }
    }
}
