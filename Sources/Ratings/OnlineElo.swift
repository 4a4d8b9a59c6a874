// Chatbot Arena's online Elo: one pass over the battles in order, each nudging both ratings.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Online Elo as Chatbot Arena first published it (K = 4, base 10, scale 400, start 1000).
///
/// Order-dependent by design: the same battles in another order give other ratings, which is why
/// the leaderboard also reports the order-free Bradley-Terry fit.
package struct OnlineElo: Sendable, Equatable {
    /// How far one battle moves a rating.
    package var k: Double
    /// Rating points per factor `base` in odds.
    package var scale: Double
    /// The odds base: a `scale`-point lead means `base`-to-1 odds.
    package var base: Double
    /// Every model's rating before its first battle.
    package var initialRating: Double

    /// Creates an Elo rater; the defaults are Chatbot Arena's.
    package init(k: Double = 4, scale: Double = 400, base: Double = 10, initialRating: Double = 1000) {
        self.k = k
        self.scale = scale
        self.base = base
        self.initialRating = initialRating
    }

    /// The ratings after playing `battles` in order, keyed by model name.
    package func ratings(for battles: some Sequence<Battle>) -> [String: Double] {
        var rating: [String: Double] = [:]
        for battle in battles {
            let ra = rating[battle.modelA, default: initialRating]
            let rb = rating[battle.modelB, default: initialRating]
            let expectedA = 1 / (1 + pow(base, (rb - ra) / scale))
            let expectedB = 1 / (1 + pow(base, (ra - rb) / scale))
            let scoreA = battle.outcome.scoreA
            rating[battle.modelA] = ra + k * (scoreA - expectedA)
            rating[battle.modelB] = rb + k * (1 - scoreA - expectedB)
        }
        return rating
    }
}
