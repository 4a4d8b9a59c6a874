// The leaderboard page and its JSON: model ratings with intervals, agreement, annotator counts.

import Feedback
import Foundation
import Hummingbird
import Ratings

/// Routes for the leaderboard.
struct LeaderboardController {
    let store: FeedbackStore
    let pages: PageRenderer
    let bootstrapRounds: Int
    let seed: UInt64
    /// Page views refit the ratings only after the judgments changed.
    let cache = ModelLeaderboardCache()

    /// The leaderboard as JSON.
    struct LeaderboardResponse: ResponseEncodable {
        var leaderboard: FeedbackLeaderboard
    }

    func addRoutes(pages pageGroup: RouterGroup<SignedInContext>, api: RouterGroup<SignedInContext>) {
        pageGroup.get("leaderboard", use: leaderboardPage)
        api.get("leaderboard") { _, _ in
            var board = try await store.leaderboard(bootstrapRounds: bootstrapRounds, seed: seed, cache: cache)
            for index in board.annotators.indices { board.annotators[index].role = nil }
            return LeaderboardResponse(leaderboard: board)
        }
    }

    @Sendable func leaderboardPage(_ request: Request, context: SignedInContext) async throws -> Response {
        let board = try await store.leaderboard(bootstrapRounds: bootstrapRounds, seed: seed, cache: cache)
        let values: [String: Any] = [
            "battleCount": board.models.battleCount,
            "judgmentCount": board.judgments,
            "confidence": "\(Int((board.confidence * 100).rounded()))%",
            "rounds": board.bootstrapRounds,
            "isRegularized": board.models.isRegularized,
            "models": board.models.standings.map { standing -> [String: Any] in
                [
                    "model": standing.model, "rating": Self.format(standing.bradleyTerry.rating),
                    "lower": Self.format(standing.bradleyTerry.lower), "upper": Self.format(standing.bradleyTerry.upper),
                    "elo": Self.format(standing.elo), "battles": standing.battles, "wins": standing.wins,
                    "losses": standing.losses, "ties": standing.ties,
                ]
            },
            "agreement": board.agreement.map { Self.format($0, digits: 3) } ?? "not enough overlap yet",
            "agreementUnits": board.agreementUnits,
            "annotators": board.annotators.map { activity -> [String: Any] in
                [
                    "name": activity.name, "judgments": activity.judgments, "withTies": activity.withTies,
                    "bothBad": activity.bothBad, "demonstrations": activity.demonstrations,
                    "answerRatings": activity.answerRatings,
                ]
            },
        ]
        return pages.page("leaderboard", title: "Leaderboard", annotator: context.annotator, csrfToken: context.csrfToken, values: values)
    }

    /// A number rounded for display.
    static func format(_ value: Double, digits: Int = 1) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "–"
    }
}
