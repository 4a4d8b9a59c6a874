// The labeling page and the task and judgment API, every query scoped to the signed-in annotator.

import Feedback
import Foundation
import Hummingbird

/// Routes for judging tasks: the page, the next task, submitting, reading and withdrawing one's own judgments.
struct LabelingController {
    let store: FeedbackStore
    let pages: PageRenderer
    let voteLimit: VoteLimit?
    let now: @Sendable () -> Date

    /// A task as the page and the API show it: no model names, an annotator-specific order.
    struct TaskResponse: ResponseEncodable {
        var taskID: Int64
        var prompt: String
        var completions: [AnnotationTask.ShownCompletion]

        init(_ task: AnnotationTask) {
            taskID = task.taskID
            prompt = task.prompt
            completions = task.completions
        }
    }

    /// The body of PUT /api/tasks/:taskID/judgment.
    struct JudgmentRequest: Decodable {
        var kind: JudgmentKind
        var tiers: [[Int64]]
        var bothBad: Bool?
        var reason: String?
        var betterAnswer: String?
    }

    /// A stored judgment.
    struct JudgmentResponse: ResponseEncodable {
        var judgmentID: Int64
        var taskID: Int64
        var kind: JudgmentKind
        var tiers: [[Int64]]
        var bothBad: Bool
        var reason: String?
        var createdAt: Date
        var updatedAt: Date

        init(_ stored: StoredJudgment) {
            judgmentID = stored.judgment.id!
            taskID = stored.judgment.taskID
            kind = stored.judgment.kind
            tiers = stored.tiers
            bothBad = stored.judgment.bothBad
            reason = stored.judgment.reason
            createdAt = stored.judgment.createdAt
            updatedAt = stored.judgment.updatedAt
        }
    }

    func addRoutes(pages pageGroup: RouterGroup<SignedInContext>, api: RouterGroup<SignedInContext>) {
        pageGroup.get("label", use: labelPage)
        api.get("tasks/next") { _, context in
            try await store.nextTask(for: context.annotatorID).map(TaskResponse.init)
        }
        api.get("tasks/:taskID") { _, context in
            TaskResponse(try await store.annotationTask(id: try context.parameters.require("taskID", as: Int64.self), for: context.annotatorID))
        }
        api.put("tasks/:taskID/judgment", use: submit)
        api.get("judgments") { _, context in
            try await store.judgments(for: context.annotatorID).map(JudgmentResponse.init)
        }
        api.get("judgments/:judgmentID") { _, context in
            JudgmentResponse(try await store.judgment(id: try context.parameters.require("judgmentID", as: Int64.self), for: context.annotatorID))
        }
        api.delete("judgments/:judgmentID") { _, context in
            try await store.deleteJudgment(id: try context.parameters.require("judgmentID", as: Int64.self), for: context.annotatorID)
            return HTTPResponse.Status.noContent
        }
    }

    @Sendable func submit(_ request: Request, context: SignedInContext) async throws -> JudgmentResponse {
        let taskID = try context.parameters.require("taskID", as: Int64.self)
        let body = try await RequestBodies.json(JudgmentRequest.self, from: request, context: context)
        let submission = JudgmentSubmission(
            taskID: taskID, kind: body.kind, tiers: body.tiers, bothBad: body.bothBad ?? false,
            reason: body.reason, betterAnswer: body.betterAnswer)
        return JudgmentResponse(try await store.submit(submission, by: context.annotatorID, now: now(), voteLimit: voteLimit))
    }

    @Sendable func labelPage(_ request: Request, context: SignedInContext) async throws -> Response {
        var values: [String: Any] = [:]
        if let task = try await store.nextTask(for: context.annotatorID) {
            let rankOptions = [["value": "", "label": "–"]]
                + task.completions.indices.map { ["value": "\($0 + 1)", "label": "\($0 + 1)"] }
            values["task"] = [
                "taskID": task.taskID, "prompt": task.prompt,
                "completions": task.completions.map { ["id": $0.id, "text": $0.text, "rankOptions": rankOptions] },
            ] as [String: Any]
        }
        return pages.page("label", title: "Label", annotator: context.annotator, csrfToken: context.csrfToken, values: values)
    }
}
