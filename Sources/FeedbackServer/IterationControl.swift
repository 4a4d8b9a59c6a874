// Rounds of online RLHF started from the admin page (`rlhf serve --iterate DIR`). The server
// never imports model code: the process that holds the models implements `IterationControl`,
// as it implements `CompletionSource` for the chat, and the admin page only starts rounds and
// shows what the loop reports.

/// What the admin page shows of the iterate loop.
package struct IterationStatus: Codable, Sendable, Equatable {
    /// A finished round's policy as the population judge scored it.
    package struct Round: Codable, Sendable, Equatable {
        package var round: Int
        package var judgeScore: Double
        package var labels: Int
        package var rewardAccuracy: Double?
        package var seconds: Double

        package init(round: Int, judgeScore: Double, labels: Int, rewardAccuracy: Double?, seconds: Double) {
            (self.round, self.judgeScore, self.labels, self.rewardAccuracy, self.seconds) = (round, judgeScore, labels, rewardAccuracy, seconds)
        }
    }

    /// An arena entrant's Bradley-Terry rating with its bootstrap interval.
    package struct Entrant: Codable, Sendable, Equatable {
        package var model: String
        package var rating: Double
        package var lower: Double
        package var upper: Double

        package init(model: String, rating: Double, lower: Double, upper: Double) {
            (self.model, self.rating, self.lower, self.upper) = (model, rating, lower, upper)
        }
    }

    /// Whether a round is under way.
    package var isRunning: Bool
    /// What the running round is doing (its stage and latest progress), or how the last one ended.
    package var state: String
    /// Every finished round, in order.
    package var rounds: [Round]
    /// The arena after the last finished round, best first.
    package var arena: [Entrant]

    package init(isRunning: Bool, state: String, rounds: [Round], arena: [Entrant]) {
        (self.isRunning, self.state, self.rounds, self.arena) = (isRunning, state, rounds, arena)
    }

    /// The round a start would run.
    package var nextRound: Int { (rounds.map(\.round).max() ?? 0) + 1 }
}

/// A round could not be started.
package enum IterationControlError: Error, Equatable, CustomStringConvertible {
    /// One round at a time: the loop's folder and the store's queue belong to the running one.
    case roundRunning(Int)

    package var description: String {
        switch self {
        case .roundRunning(let round): "round \(round) is still running; start the next one when it has finished"
        }
    }
}

/// The iterate loop as the server drives it.
package protocol IterationControl: Sendable {
    /// The loop's rounds, arena and what it is doing now.
    func status() async throws -> IterationStatus
    /// Starts the next round in the background (labels from the labeling page, then the reward
    /// model, PPO and the arena) and returns at once; throws `roundRunning` while one runs.
    func startRound() async throws -> IterationStatus
}
