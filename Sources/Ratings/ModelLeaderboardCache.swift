// A server shows the leaderboard on every page view, and a bootstrap is a hundred Bradley-Terry
// fits: the last one fitted is kept while its judgments are unchanged, and requests arriving
// while it is fitted wait for it rather than each fitting their own.

/// The last model leaderboard fitted, keyed by everything it was fitted from.
package actor ModelLeaderboardCache {
    private struct Key: Equatable {
        var judgments: [[Battle]]
        var clusters: [Int64]?
        var rounds: Int
        var confidence: Double
        var seed: UInt64
    }

    private var last: (key: Key, leaderboard: ModelLeaderboard)?
    /// Leaderboards fitted so far (the rest were served from the cache).
    package private(set) var fits = 0

    package init() {}

    /// `ModelLeaderboard(judgments:clusters:bootstrap:seed:)`, fitted only when any input differs from the last call's.
    package func leaderboard(judgments: [[Battle]], clusters: [Int64]? = nil, bootstrap: BradleyTerryBootstrap, seed: UInt64) -> ModelLeaderboard {
        let key = Key(judgments: judgments, clusters: clusters, rounds: bootstrap.rounds, confidence: bootstrap.confidence, seed: seed)
        if let last, last.key == key { return last.leaderboard }
        let leaderboard = ModelLeaderboard(judgments: judgments, clusters: clusters, bootstrap: bootstrap, seed: seed)
        fits += 1
        last = (key, leaderboard)
        return leaderboard
    }
}
