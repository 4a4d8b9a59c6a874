// Administration: creating annotators and loading tasks, as forms and as a JSON API, each change
// written to the audit log (adapter versions: AdminController+Adapters).

import Feedback
import Hummingbird

/// Routes only administrators may use.
struct AdminController {
    let store: FeedbackStore
    let pages: PageRenderer
    let source: (any CompletionSource)?
    /// The iterate loop the admin page starts rounds of, when the server runs one.
    let iteration: (any IterationControl)?

    /// The body of POST /api/admin/annotators (and the admin page's form).
    struct NewAnnotatorRequest: Decodable {
        var name: String
        var role: AnnotatorRole?
    }

    /// A created annotator with its token, which is shown this once.
    struct NewAnnotatorResponse: ResponseEncodable {
        var name: String
        var role: AnnotatorRole
        var token: String
    }

    /// How many tasks were stored, and how many of those given the store held already.
    struct ImportResponse: ResponseEncodable {
        var imported: Int
        var alreadyPresent = 0
    }

    /// The body of POST /api/admin/tasks/generate (and the form).
    struct GenerateRequest: Decodable {
        var prompts: [String]
        var count: Int
    }

    func addRoutes(pages pageGroup: RouterGroup<AdminContext>, api: RouterGroup<AdminContext>) {
        pageGroup.get("admin") { _, context in try await adminPage(context) }
        pageGroup.post("admin/annotators") { request, context in
            try await formAction(context) {
                let form = try await RequestBodies.form(NewAnnotatorRequest.self, from: request, context: context)
                let created = try await store.createAnnotator(name: form.name, role: form.role ?? .annotator)
                try await audit(context, "create annotator", "\(created.annotator.name) (\(created.annotator.role.rawValue))")
                return ["newToken": ["name": created.annotator.name, "token": created.token]]
            }
        }
        pageGroup.post("admin/tasks/import") { request, context in
            try await formAction(context) {
                let form = try await RequestBodies.form([String: String].self, from: request, context: context)
                let lines = try JSONLines.decode(TaskLine.self, text: form["lines"] ?? "", source: "pasted tasks")
                let report = try await store.importTasks(lines, source: "pasted tasks")
                try await audit(context, "import tasks", Self.auditTarget(report))
                let present = report.alreadyPresent == 0 ? "" : " \(report.alreadyPresent) already present."
                return ["message": "Imported \(report.imported) tasks.\(present)"]
            }
        }
        pageGroup.post("admin/tasks/generate") { request, context in
            try await formAction(context) {
                let form = try await RequestBodies.form([String: String].self, from: request, context: context)
                let prompts = (form["prompts"] ?? "").split(whereSeparator: \.isNewline).map(String.init)
                let countText = form["count"]?.trimmingCharacters(in: .whitespaces) ?? ""
                guard let count = countText.isEmpty ? 2 : Int(countText) else {
                    throw HTTPError(.badRequest, message: "field 'count': \"\(countText)\" is not a whole number of completions per prompt")
                }
                let created = try await generate(prompts: prompts, count: count)
                try await audit(context, "generate tasks", "\(created) tasks")
                return ["message": "Generated \(created) tasks."]
            }
        }
        api.post("admin/annotators") { request, context in
            let body = try await RequestBodies.json(NewAnnotatorRequest.self, from: request, context: context)
            let created = try await store.createAnnotator(name: body.name, role: body.role ?? .annotator)
            try await audit(context, "create annotator", "\(created.annotator.name) (\(created.annotator.role.rawValue))")
            return NewAnnotatorResponse(name: created.annotator.name, role: created.annotator.role, token: created.token)
        }
        api.post("admin/tasks") { request, context in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let lines = try JSONLines.decode(TaskLine.self, text: String(buffer: body), source: "request body")
            let report = try await store.importTasks(lines, source: "request body")
            try await audit(context, "import tasks", Self.auditTarget(report))
            return ImportResponse(imported: report.imported, alreadyPresent: report.alreadyPresent)
        }
        api.post("admin/tasks/generate") { request, context in
            let body = try await RequestBodies.json(GenerateRequest.self, from: request, context: context)
            let created = try await generate(prompts: body.prompts, count: body.count)
            try await audit(context, "generate tasks", "\(created) tasks")
            return ImportResponse(imported: created)
        }
        api.get("admin/tasks") { _, _ in try await store.taskSummaries() }
        api.get("admin/audit") { _, _ in try await store.adminAudit() }
        addAdapterRoutes(pages: pageGroup, api: api)
        addPanelRoutes(pages: pageGroup, api: api)
        addIterationRoutes(pages: pageGroup, api: api)
    }

    /// Asks the completion source for `count` answers to each prompt and stores them as tasks.
    private func generate(prompts: [String], count: Int) async throws -> Int {
        guard let source else {
            throw HTTPError(.serviceUnavailable, message: "no model is loaded: start the server with --model DIR")
        }
        guard (2...16).contains(count) else {
            throw FeedbackError.invalidField(name: "count", reason: "between 2 and 16 completions per prompt, got \(count)")
        }
        var lines: [TaskLine] = []
        for prompt in prompts where !prompt.allSatisfy(\.isWhitespace) {
            let completions = try await source.completions(for: prompt, count: count)
            lines.append(TaskLine(prompt: prompt, completions: completions.map {
                TaskLine.CompletionLine(text: $0.text, model: $0.provenance.model, checkpoint: $0.provenance.checkpoint,
                                        sampling: $0.provenance.sampling, seed: $0.provenance.seed)
            }))
        }
        return try await store.importTasks(lines.numberedAsLines(), source: "generated tasks").imported
    }

    /// An import as the audit log names it.
    private static func auditTarget(_ report: ImportReport) -> String {
        "\(report.imported) tasks" + (report.alreadyPresent == 0 ? "" : " (\(report.alreadyPresent) already present)")
    }

    /// Records an administrator's change in the store's audit log.
    func audit(_ context: AdminContext, _ action: String, _ target: String) async throws {
        try await store.recordAdminAction(by: context.annotator, action: action, target: target)
    }

    /// Runs a form's action and shows the admin page with its outcome, or with the refusal (400).
    func formAction(_ context: AdminContext, _ action: () async throws -> [String: Any]) async throws -> Response {
        do {
            return try await adminPage(context, values: try await action())
        } catch let error as FeedbackError {
            return try await adminPage(context, values: ["message": error.description], status: .badRequest)
        } catch let error as FileFormatError {
            return try await adminPage(context, values: ["message": error.description], status: .badRequest)
        } catch let error as HTTPError {
            return try await adminPage(context, values: ["message": error.body ?? "\(error.status)"], status: error.status)
        } catch let error as AdapterVersionError {
            return try await adminPage(context, values: ["message": error.description], status: FeedbackErrorMiddleware<AdminContext>.status(of: error))
        }
    }

    private func adminPage(_ context: AdminContext, values: [String: Any] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        var all = values
        all["hasModel"] = source != nil
        all["annotators"] = try await store.annotators().map { ["name": $0.name, "role": $0.role.rawValue] }
        all["tasks"] = try await store.taskSummaries().map {
            ["taskID": $0.taskID, "prompt": $0.prompt, "completions": $0.completions, "judgments": $0.judgments] as [String: Any]
        }
        all["versions"] = try await adapterVersionRows()
        all["panel"] = try await agreementRows()
        all["iteration"] = try await iterationPanel()
        all["audit"] = try await store.adminAudit().map {
            ["when": $0.createdAt.formatted(.iso8601), "admin": $0.adminName, "action": $0.action, "target": $0.target]
        }
        return pages.page("admin", title: "Admin", annotator: context.annotator, csrfToken: context.csrfToken, values: all, status: status)
    }
}
