// One simulated annotator working over HTTP: fetch the next task, judge it, submit, repeat.

import Annotators
import AsyncHTTPClient
import Feedback
import Foundation
import NIOCore
import SimulatedLabeling

/// What the clients have been told: acknowledged judgments and request latencies.
actor LoadLedger {
    /// Judgment ids the server acknowledged (HTTP 200 with the stored judgment).
    private(set) var acknowledged: [Int64] = []
    /// Seconds per acknowledged submission.
    private(set) var submitLatencies: [Double] = []
    /// Seconds per next-task request that got an answer.
    private(set) var nextTaskLatencies: [Double] = []
    /// Requests that failed (server down) and were retried.
    private(set) var retries = 0

    func acknowledge(_ id: Int64, seconds: Double) {
        acknowledged.append(id)
        submitLatencies.append(seconds)
    }

    func recordNextTask(seconds: Double) { nextTaskLatencies.append(seconds) }
    func recordRetry() { retries += 1 }
    var count: Int { acknowledged.count }
}

/// A simulated annotator that talks to the server like a script would, with its bearer token.
struct AnnotatorClient {
    let http: HTTPClient
    let baseURL: String
    let token: String
    var annotator: SimulatedAnnotator
    let ledger: LoadLedger
    let deadline: ContinuousClock.Instant

    /// Judges up to `quota` tasks; a failed request (the server is down) is retried until the deadline.
    mutating func run(quota: Int) async throws {
        for _ in 0..<quota {
            guard let task = try await retrying({ try await nextTask() }) ?? nil else { return }
            let submission = annotator.judgment(of: task)
            try await retrying { try await submit(submission) }
        }
    }

    private func retrying<T>(_ attempt: () async throws -> T) async throws -> T? {
        while ContinuousClock.now < deadline {
            do {
                return try await attempt()
            } catch let error as LoadError {
                throw error
            } catch {
                await ledger.recordRetry()
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        throw LoadError(description: "gave up retrying at the deadline")
    }

    private func nextTask() async throws -> AnnotationTask? {
        var request = HTTPClientRequest(url: "\(baseURL)/api/tasks/next")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let start = ContinuousClock.now
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        await ledger.recordNextTask(seconds: (ContinuousClock.now - start).seconds)
        switch response.status.code {
        case 204: return nil
        case 200: return try JSONDecoder().decode(AnnotationTask.self, from: Data(body.readableBytesView))
        default: throw LoadError(description: "GET /api/tasks/next answered \(response.status): \(String(buffer: body))")
        }
    }

    private struct Stored: Decodable { var judgmentID: Int64 }

    private func submit(_ submission: JudgmentSubmission) async throws {
        var request = HTTPClientRequest(url: "\(baseURL)/api/tasks/\(submission.taskID)/judgment")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(submission)))
        let start = ContinuousClock.now
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 200 else {
            throw LoadError(description: "PUT judgment answered \(response.status): \(String(buffer: body))")
        }
        let stored = try JSONDecoder().decode(Stored.self, from: Data(body.readableBytesView))
        await ledger.acknowledge(stored.judgmentID, seconds: (ContinuousClock.now - start).seconds)
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
