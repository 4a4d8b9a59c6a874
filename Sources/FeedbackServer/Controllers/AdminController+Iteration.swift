// The iterate loop on the admin page: an administrator starts the next round, and the page
// shows what the running round is doing, every finished round and the arena. The loop itself
// runs in the process that holds the models (`IterationControl`); each start is audited.

import Feedback
import Foundation
import Hummingbird

extension AdminController {
    func addIterationRoutes(pages pageGroup: RouterGroup<AdminContext>, api: RouterGroup<AdminContext>) {
        pageGroup.post("admin/iterate/start") { _, context in
            try await formAction(context) {
                let started = try await startRound(context)
                return ["message": "Round \(started.nextRound) started: label its tasks on the labeling page."]
            }
        }
        api.get("admin/iterate") { _, _ in try await requireIteration().status() }
        api.post("admin/iterate/rounds") { _, context in
            EditedResponse(status: .accepted, response: try await startRound(context))
        }
    }

    private func requireIteration() throws -> any IterationControl {
        guard let iteration else {
            throw HTTPError(.serviceUnavailable, message: "no iterate loop: start the server with --iterate DIR and --model")
        }
        return iteration
    }

    /// Starts the next round; a round already running is a conflict (409), not a second round.
    private func startRound(_ context: AdminContext) async throws -> IterationStatus {
        let iteration = try requireIteration()
        let status: IterationStatus
        do {
            status = try await iteration.startRound()
        } catch let error as IterationControlError {
            throw HTTPError(.conflict, message: error.description)
        }
        try await audit(context, "start iterate round", "round \(status.nextRound)")
        return status
    }

    /// The admin page's iterate panel, or nil when the server runs no loop.
    func iterationPanel() async throws -> [String: Any]? {
        guard let iteration else { return nil }
        let status = try await iteration.status()
        let format = { (value: Double?, pattern: String) in value.map { String(format: pattern, $0) } ?? "–" }
        return [
            "isRunning": status.isRunning, "state": status.state, "nextRound": status.nextRound,
            "rounds": status.rounds.map {
                ["round": $0.round, "judge": format($0.judgeScore, "%.3f"), "labels": $0.labels,
                 "rewardAccuracy": format($0.rewardAccuracy.map { 100 * $0 }, "%.1f%%"), "seconds": format($0.seconds, "%.0f")] as [String: Any]
            },
            "arena": status.arena.map {
                ["model": $0.model, "rating": format($0.rating, "%.0f"), "interval": "[\(format($0.lower, "%.0f")), \(format($0.upper, "%.0f"))]"]
            },
        ]
    }
}

extension IterationStatus: ResponseEncodable {}
