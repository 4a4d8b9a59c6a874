// The panel's outlier check on the admin page: each annotator's agreement with the others'
// majority, who is flagged, and excluding (or readmitting) an annotator's judgments from
// training files and the leaderboard. Each change is audited.

import Feedback
import Foundation
import Hummingbird

extension AdminController {
    /// The body of POST /api/admin/exclusions (and the admin page's buttons).
    struct ExclusionRequest: Decodable {
        var name: String
        var excluded: Bool
    }

    func addPanelRoutes(pages pageGroup: RouterGroup<AdminContext>, api: RouterGroup<AdminContext>) {
        pageGroup.post("admin/exclusions") { request, context in
            try await formAction(context) {
                let form = try await RequestBodies.form(ExclusionRequest.self, from: request, context: context)
                try await setExclusion(form, context)
                return ["message": form.excluded ? "\(form.name)'s judgments are left out of exports." : "\(form.name)'s judgments count again."]
            }
        }
        api.get("admin/agreement") { _, _ in try await store.annotatorAgreement() }
        api.post("admin/exclusions") { request, context in
            try await setExclusion(try await RequestBodies.json(ExclusionRequest.self, from: request, context: context), context)
            return HTTPResponse.Status.noContent
        }
    }

    private func setExclusion(_ request: ExclusionRequest, _ context: AdminContext) async throws {
        try await store.setExcludedFromExports(request.excluded, annotatorNamed: request.name)
        try await audit(context, request.excluded ? "exclude annotator's judgments" : "include annotator's judgments", request.name)
    }

    /// The admin page's agreement rows, lowest agreement first.
    func agreementRows() async throws -> [[String: Any]] {
        try await store.annotatorAgreement().map {
            [
                "name": $0.name, "pairs": $0.comparedPairs, "agreement": String(format: "%.0f%%", 100 * $0.agreement),
                "isFlagged": $0.isFlagged, "isExcluded": $0.isExcluded, "exclude": !$0.isExcluded,
                "excludeValue": $0.isExcluded ? "false" : "true",
            ]
        }
    }
}
