// The iterate loop behind the admin page, end to end at a tiny size: a real `rlhf serve --iterate`
// with a tiny GPT as the starting policy; an annotator cannot start a round, an administrator
// can; the round's tasks are labelled through the store as the labeling page does, and once its
// label budget (and the arena's) is met it trains the reward model and the policy and ranks the
// new checkpoint in the arena. The store holds other work too, and the server is restarted while
// the round waits for labels: the round goes on with the tasks it made, and counts and rates only
// its own and the arena's. The store's own queue policy comes back after the round, and an arena a
// stopped run left open is closed.
import Feedback
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// With either optimiser: DPO reads the round's own batch of the shared store, as the reward model does.
@Test(arguments: ["ppo", "dpo"]) func anAdminStartsARoundThatLabelsFromTheStoreComplete(optimizer: String) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("served-iterate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let (start, _) = try IterateCommandTests.tinyModels(in: folder, workspace: try CrashWorkspace.shared.get())
    let config = folder.appendingPathComponent("tiny.json")
    try """
        {"candidateTasks": 10, "judgmentsPerRound": 6, "evaluationPrompts": 6, "arenaPrompts": 3, "arenaJudgmentsPerTask": 1, "arenaBootstrapRounds": 10,
         "reward": {"epochs": 1, "heldOutPeriod": 3, "normalizationSamples": 4, "optimization": {"batchSize": 2}},
         "ppo": {"iterations": 1, "batchSize": 4, "minibatches": 2, "epochs": 1, "responseLength": 6, "checkpointInterval": 1},
         "optimizer": "\(optimizer)", "dpo": {"heldOutPeriod": 0, "optimization": {"steps": 2, "batchSize": 2, "logInterval": 1}}}
        """.write(to: config, atomically: true, encoding: .utf8)

    let db = folder.appendingPathComponent("feedback.sqlite").path
    let store = try FeedbackStore(path: db)
    let adminToken = try await store.createAnnotator(name: "admin", role: .admin).token
    let alice = try await store.createAnnotator(name: "alice", role: .annotator)
    let bob = try await store.createAnnotator(name: "bob", role: .annotator)
    let other = try await store.createTask(prompt: "Other work:", completions: [
        NewCompletion(text: "one", provenance: Provenance(model: "elsewhere-a")), NewCompletion(text: "two", provenance: Provenance(model: "elsewhere-b")),
    ]).task.id!
    let run = folder.appendingPathComponent("iterate")
    let roundBatch = "\(run.standardizedFileURL.path) round 1"
    // The administrator's queue policy, and an arena that a run of this folder stopped before it
    // finished: the round borrows the one and closes the other.
    let administrators = TaskSelection(uncertaintyWeight: 0.5, disagreementWeight: 0.25, randomShare: 0, seed: 9)
    try await store.setTaskSelection(administrators)
    let staleArena = "\(run.standardizedFileURL.path) arena after round 4"
    _ = try await store.createTask(prompt: "An arena left open:", completions: [
        NewCompletion(text: "three", provenance: Provenance(model: "round-3")), NewCompletion(text: "four", provenance: Provenance(model: "round-4")),
    ], batch: staleArena)
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let arguments = [
        "--db", db, "--model", start.path, "--iterate", run.path, "--iterate-config", config.path,
        "--data", packageRoot.appendingPathComponent("data").path, "--port", "0",
    ]
    let first = try ServeProcess(arguments)
    defer { first.stop() }
    var address = "http://127.0.0.1:\(try await first.waitFor(#"listening on http://127\.0\.0\.1:(\d+)"#))"

    #expect(try await request("\(address)/api/admin/iterate/rounds", method: "POST", token: alice.token).status == 403)
    #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("round-1").path), "an annotator started nothing")
    let started = try await request("\(address)/api/admin/iterate/rounds", method: "POST", token: adminToken)
    #expect(started.status == 202, "\(started.body)")
    #expect(try await request("\(address)/api/admin/iterate/rounds", method: "POST", token: adminToken).status == 409, "one round at a time")

    // The server stops once the round's tasks are in the store, with one judged; a new server
    // goes on with them.
    let tasksMade = Date().addingTimeInterval(5 * 60)
    while try await store.taskIDs(inBatch: roundBatch).count < 10 && Date() < tasksMade { try await Task.sleep(for: .milliseconds(200)) }
    let made = try await store.taskIDs(inBatch: roundBatch)
    #expect(made.count == 10, "\(first.log)")
    let firstTask = try #require(try await store.nextTask(for: alice.annotator.id!))
    try await store.submit(JudgmentSubmission(taskID: firstTask.taskID, kind: .ranking, tiers: firstTask.completions.map { [$0.id] }), by: alice.annotator.id!)
    first.stop()
    let server = try ServeProcess(arguments)
    defer { server.stop() }
    address = "http://127.0.0.1:\(try await server.waitFor(#"listening on http://127\.0\.0\.1:(\d+)"#))"
    let restarted = try await request("\(address)/api/admin/iterate/rounds", method: "POST", token: adminToken)
    #expect(restarted.status == 202, "\(restarted.body)")

    // People label whatever the queue serves them (the longer answer first) until the round ends.
    let deadline = Date().addingTimeInterval(15 * 60)
    var status: [String: Any] = [:]
    repeat {
        for person in [alice.annotator, bob.annotator] {
            guard let task = try await store.nextTask(for: person.id!) else { continue }
            let ranked = task.completions.sorted { ($0.text.count, $0.id) > ($1.text.count, $1.id) }
            try await store.submit(JudgmentSubmission(taskID: task.taskID, kind: .ranking, tiers: ranked.map { [$0.id] }), by: person.id!)
        }
        try await Task.sleep(for: .milliseconds(200))
        let body = try await request("\(address)/api/admin/iterate", method: "GET", token: adminToken).body
        status = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    } while status["isRunning"] as? Bool == true && Date() < deadline

    let state = status["state"] as? String ?? ""
    #expect(state.hasPrefix("Round 1 finished"), "\(state); server output:\n\(server.log)")
    let rounds = try #require(status["rounds"] as? [[String: Any]])
    #expect(rounds.map { $0["round"] as? Int } == [1] && rounds.first?["labels"] as? Int ?? 0 >= 6, "\(rounds)")
    let arena = (status["arena"] as? [[String: Any]] ?? []).compactMap { $0["model"] as? String }
    #expect(Set(arena) == ["round-1", "start"], "the arena rates its own entrants only: \(arena)")
    #expect(try await store.taskIDs(inBatch: roundBatch) == made, "the restarted round made no new tasks")
    // A judgment served just before the round closed its tasks may land after it counted.
    let judged = try await store.judgmentCount(inBatch: roundBatch)
    #expect((6...judged).contains(rounds.first?["labels"] as? Int ?? 0), "the round counts its own tasks' judgments (\(judged))")
    let carol = try await store.createAnnotator(name: "carol", role: .annotator).annotator.id!
    #expect(try await store.nextTask(for: carol)?.taskID == other, "the round's and the arena's tasks are closed; other work is still served")
    #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("round-1/policy/model/model.safetensors").path))
    let metrics = try String(contentsOf: run.appendingPathComponent("round-1/policy/metrics.jsonl"), encoding: .utf8)
    #expect(metrics.contains(optimizer == "dpo" ? "rewards\\/margins" : "objective\\/kl"), "the round trained by \(optimizer): \(metrics)")
    #expect(try await store.adminAudit().contains { $0.action == "start iterate round" && $0.target == "round 1" })
    #expect(try await store.taskSelection() == administrators, "the store has its own queue policy back, though a server was stopped mid-round")
    #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("store-selection.json").path))
    #expect(try await store.closeTasks(inBatch: staleArena) == 0, "the unfinished arena's tasks were closed")
    #expect(first.log.contains("closed 1 open tasks of the unfinished arena after round 4"), "\(first.log)")
}

/// An HTTP request signed in by bearer token; the status and the body as text.
private func request(_ address: String, method: String, token: String) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: try #require(URL(string: address)))
    request.httpMethod = method
    request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}
