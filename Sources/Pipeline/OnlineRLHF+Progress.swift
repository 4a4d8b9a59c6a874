// What a run folder of `rlhf iterate` says about its progress, for whoever shows it while the
// loop runs elsewhere (the admin page of `rlhf serve --iterate`).
import Feedback
import Foundation
import Ratings

extension OnlineRLHF {
    /// The rounds finished in `folder` (their round.json written), in order, up to the first
    /// that is not.
    public static func finishedRounds(in folder: URL) -> [RoundSummary] {
        var rounds: [RoundSummary] = []
        while let next = try? JSONDecoder().decode(
            RoundSummary.self, from: Data(contentsOf: folder.appendingPathComponent("round-\(rounds.count + 1)/round.json"))) {
            rounds.append(next)
        }
        return rounds
    }

    /// The arena after the last completed run (iterate.json): each entrant's Bradley-Terry rating
    /// with its bootstrap interval, best first; empty before any run completed.
    public static func arenaStandings(in folder: URL) -> [(model: String, rating: Double, lower: Double, upper: Double)] {
        guard let outcome = try? JSONDecoder().decode(OnlineRLHFOutcome.self, from: Data(contentsOf: folder.appendingPathComponent("iterate.json"))) else {
            return []
        }
        return outcome.arena.models.standings
            .map { (model: $0.model, rating: $0.bradleyTerry.rating, lower: $0.bradleyTerry.lower, upper: $0.bradleyTerry.upper) }
            .sorted { $0.rating > $1.rating }
    }
}
