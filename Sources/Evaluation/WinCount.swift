// Prompt-by-prompt wins of one side's judge scores over another's: the win rate every comparison
// reports (wins plus half the ties) and its Wilson score interval, which stays inside [0, 1] and
// keeps its width near 0% and 100%, where the normal approximation collapses.
import Foundation

public struct WinCount: Codable, Sendable, Equatable {
    public var wins: Int
    public var ties: Int
    public var losses: Int

    public init(wins: Int, ties: Int, losses: Int) {
        (self.wins, self.ties, self.losses) = (wins, ties, losses)
    }

    /// `scores[i]` against `baseline[i]`, equal scores a tie; pairs beyond the shorter list are not counted.
    public init(_ scores: [Double], against baseline: [Double]) {
        self.init(outcomes: Self.outcomes(scores, against: baseline))
    }

    /// Counts outcomes as `outcomes(_:against:)` gives them: 1 a win, 0 a loss, ½ a tie.
    public init(outcomes: [Double]) {
        self.init(wins: 0, ties: 0, losses: 0)
        for outcome in outcomes {
            if outcome == 1 { wins += 1 } else if outcome == 0 { losses += 1 } else { ties += 1 }
        }
    }

    /// Each prompt's outcome for the first side: 1 a win, ½ a tie, 0 a loss.
    public static func outcomes(_ scores: [Double], against baseline: [Double]) -> [Double] {
        zip(scores, baseline).map { a, b in a > b ? 1 : a < b ? 0 : 0.5 }
    }

    public var prompts: Int { wins + ties + losses }

    /// Wins plus half the ties, over all prompts (0 when there were none: read `prompts` first).
    public var winRate: Double { (Double(wins) + 0.5 * Double(ties)) / Double(max(prompts, 1)) }

    /// Wilson score interval of the win rate at z (1.96 for 95%). No prompts say nothing about the
    /// rate, so their interval is all of [0, 1].
    public func interval(z: Double = 1.96) -> ClosedRange<Double> {
        guard prompts > 0 else { return 0...1 }
        let n = Double(prompts), p = winRate
        let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        return max(0, centre - half)...min(1, centre + half)
    }
}
