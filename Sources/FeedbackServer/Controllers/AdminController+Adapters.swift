// The adapter versions the chatbot learned from corrections: listed on the admin page, where
// an administrator makes an older one (or none: the model the server started with) answer in
// the chat again. The page only changes which version the store marks active; the process
// serving the model follows that mark, so a rollback needs no restart.

import Feedback
import Foundation
import Hummingbird

extension AdminController {
    /// A version as GET /api/admin/adapters lists it.
    struct VersionJSON: ResponseEncodable {
        var id: Int64
        var status: AdapterVersionStatus
        var isActive: Bool
        var folder: String
        var baseModel: String
        var startingAdapter: String?
        var corrections: Int
        var ratings: Int
        var metrics: [String: Double]?
        var failure: String?
        var createdAt: Date
        var finishedAt: Date?

        init(_ summary: AdapterVersionSummary) {
            let v = summary.version
            (id, status, isActive, folder, baseModel, startingAdapter) = (v.id, v.status, v.isActive, v.folder, v.baseModel, v.startingAdapter)
            (corrections, ratings, metrics, failure, createdAt, finishedAt) = (summary.corrections, summary.ratings, v.metrics, v.failure, v.createdAt, v.finishedAt)
        }
    }

    func addAdapterRoutes(pages pageGroup: RouterGroup<AdminContext>, api: RouterGroup<AdminContext>) {
        pageGroup.post("admin/adapters/:id/activate") { _, context in
            try await formAction(context) {
                let id = try context.parameters.require("id", as: Int64.self)
                _ = try await store.activateAdapterVersion(id)
                try await audit(context, "activate adapter version", "version \(id)")
                return ["message": "Version \(id) answers in the chat now."]
            }
        }
        pageGroup.post("admin/adapters/deactivate") { _, context in
            try await formAction(context) {
                try await store.deactivateAdapterVersions()
                try await audit(context, "deactivate adapter versions", "the starting model")
                return ["message": "The model the server started with answers in the chat now."]
            }
        }
        api.get("admin/adapters") { _, _ in
            try await store.adapterVersionSummaries().map(VersionJSON.init)
        }
        api.post("admin/adapters/:id/activate") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            _ = try await store.activateAdapterVersion(id)
            try await audit(context, "activate adapter version", "version \(id)")
            guard let summary = try await store.adapterVersionSummaries().first(where: { $0.version.id == id }) else {
                throw AdapterVersionError.notFound(id)
            }
            return VersionJSON(summary)
        }
    }

    /// The admin page's rows, newest first, with the figures that say how training went.
    func adapterVersionRows() async throws -> [[String: Any]] {
        let format = { (value: Double?, pattern: String) in value.map { String(format: pattern, $0) } ?? "–" }
        return try await store.adapterVersionSummaries().map { summary in
            let v = summary.version, metrics = v.metrics ?? [:]
            var row: [String: Any] = [
                "id": v.id, "status": v.status.rawValue, "isActive": v.isActive, "canActivate": v.status == .ready && !v.isActive,
                "createdAt": v.createdAt.formatted(.iso8601), "corrections": summary.corrections, "ratings": summary.ratings,
                "sftLoss": format(metrics["sft/loss"], "%.3f"), "dpoAccuracy": format(metrics["dpo/rewards/accuracies"], "%.2f"),
                "reproduced": format(metrics["corrections/reproduced"].map { 100 * $0 }, "%.0f%%"),
                "drift": format(metrics["drift/kl_per_token_mean"], "%.4f"),
            ]
            row["failure"] = v.failure
            return row
        }
    }
}
