// One simulated annotator working over HTTP: fetch the next task, judge it, submit, repeat.

import Annotators
import AsyncHTTPClient
import Feedback
import Foundation
import NIOCore
import SimulatedLabeling

/// A judgment the server acknowledged: who submitted what, where, and the id it was stored under.
struct Acknowledgment: Sendable {
    /// The annotator's index in the panel.
    var annotator: Int
    /// The server that answered.
    var server: Int
    /// The task judged.
    var taskID: Int64
    /// The judgment's id, as the server answered it.
    var judgmentID: Int64
    /// The tiers submitted, best first.
    var tiers: [[Int64]]
}

/// What the clients have been told: acknowledged judgments and request latencies.
actor LoadLedger {
    /// Every acknowledgment, in the order they arrived.
    private(set) var acknowledged: [Acknowledgment] = []
    /// Seconds per acknowledged submission.
    private(set) var submitLatencies: [Double] = []
    /// Seconds per next-task request that got an answer.
    private(set) var nextTaskLatencies: [Double] = []
    /// Requests that failed (their server was down) and were sent again.
    private(set) var retries = 0
    /// Of those, judgment submissions (which the killed server may or may not have stored).
    private(set) var resubmissions = 0
    /// Of those, the ones sent again to another server.
    private(set) var failovers = 0

    func acknowledge(_ acknowledgment: Acknowledgment, seconds: Double) {
        acknowledged.append(acknowledgment)
        submitLatencies.append(seconds)
    }

    func recordNextTask(seconds: Double) { nextTaskLatencies.append(seconds) }

    func recordRetry(submission: Bool, movedServer: Bool) {
        retries += 1
        if submission { resubmissions += 1 }
        if movedServer { failovers += 1 }
    }

    /// Whether a client has failed (the run is over).
    private(set) var failed = false

    func recordFailure() { failed = true }

    /// Whether fewer than `count` judgments are acknowledged and every client is still going.
    func isWaiting(forAcknowledgments count: Int) -> Bool { !failed && acknowledged.count < count }
}

/// A simulated annotator that talks to the servers like a script would, with its bearer token.
///
/// Submitting is idempotent: the server stores one judgment per annotator and task and a resubmission
/// replaces it under the same id. So a request that failed because its server was killed is simply
/// sent again, whether or not the killed server had committed it; with several servers on one
/// database it is sent to the next server (failover), alone it waits for the restart.
struct AnnotatorClient {
    let http: HTTPClient
    /// The servers' base URLs, `http://127.0.0.1:PORT`.
    let servers: [String]
    /// This annotator's index in the panel.
    let index: Int
    let token: String
    var annotator: SimulatedAnnotator
    let ledger: LoadLedger
    let deadline: ContinuousClock.Instant

    /// Judges up to `quota` tasks, starting on server `home`.
    mutating func run(quota: Int, home: Int) async throws {
        var server = home
        for _ in 0..<quota {
            guard let task = try await retrying(&server, { try await nextTask(on: $0) }) else { return }
            let submission = annotator.judgment(of: task)
            try await retrying(&server, submission: true) { try await submit(submission, on: $0) }
        }
    }

    /// Runs `attempt` against `server` until it gets an answer; a transport failure (the server is
    /// down) moves on to the next server. A wrong answer is a `LoadError` and ends the run.
    private func retrying<T>(_ server: inout Int, submission: Bool = false, _ attempt: (Int) async throws -> T) async throws -> T {
        while ContinuousClock.now < deadline {
            do {
                return try await attempt(server)
            } catch let error as LoadError {
                throw error
            } catch {
                server = (server + 1) % servers.count
                await ledger.recordRetry(submission: submission, movedServer: servers.count > 1)
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        throw LoadError(description: "annotator \(index) gave up retrying at the deadline")
    }

    private func nextTask(on server: Int) async throws -> AnnotationTask? {
        var request = HTTPClientRequest(url: "\(servers[server])/api/tasks/next")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let start = ContinuousClock.now
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        await ledger.recordNextTask(seconds: (ContinuousClock.now - start).seconds)
        switch response.status.code {
        case 204: return nil
        case 200: return try JSONDecoder().decode(AnnotationTask.self, from: Data(body.readableBytesView))
        default: throw LoadError(description: "GET /api/tasks/next on server \(server + 1) answered \(response.status): \(String(buffer: body))")
        }
    }

    private struct Stored: Decodable { var judgmentID: Int64 }

    private func submit(_ submission: JudgmentSubmission, on server: Int) async throws {
        var request = HTTPClientRequest(url: "\(servers[server])/api/tasks/\(submission.taskID)/judgment")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(submission)))
        let start = ContinuousClock.now
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 200 else {
            throw LoadError(description: "PUT judgment on server \(server + 1) answered \(response.status): \(String(buffer: body))")
        }
        let stored = try JSONDecoder().decode(Stored.self, from: Data(body.readableBytesView))
        let acknowledgment = Acknowledgment(
            annotator: index, server: server, taskID: submission.taskID, judgmentID: stored.judgmentID, tiers: submission.tiers)
        await ledger.acknowledge(acknowledgment, seconds: (ContinuousClock.now - start).seconds)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

/// The `q` quantile of `values` (nearest rank on the sorted values).
func percentile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
    return sorted[min(rank, sorted.count) - 1]
}
