// The win rate's interval when prompts come in groups, as the SmolLM2 demo's requests do: several
// ask about one film, and answers about the same film win or lose together more often than
// answers about different films. Wilson's interval counts every prompt as independent evidence
// and is then too narrow; resampling whole groups (the cluster bootstrap) keeps each film's
// prompts together, so the interval widens by as much as they move together and no more.
import Foundation
import Randomness
import Ratings

public struct GroupedWinRateInterval: Codable, Sendable, Equatable {
    /// Percentile bounds of the resampled win rates.
    public var lowerBound: Double
    public var upperBound: Double
    /// Distinct groups the prompts came in.
    public var groupCount: Int
    public var resamples: Int
    public var confidence: Double

    /// Resamples `groups`' distinct values with replacement, each drawn group bringing all its
    /// prompts' `outcomes` (1 win, ½ tie, 0 loss), and takes the win rate of each resample.
    public init(outcomes: [Double], groups labels: [String], resamples: Int = 2000, confidence: Double = 0.95, seed: UInt64 = 0) throws {
        guard !outcomes.isEmpty, labels.count == outcomes.count else {
            throw GroupedIntervalError.mismatchedCounts(outcomes: outcomes.count, groups: labels.count)
        }
        if let bad = outcomes.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) { throw GroupedIntervalError.outcomeOutOfRange(index: bad, value: outcomes[bad]) }
        let groups = PromptGroups(labels)
        (lowerBound, upperBound) = try groups.meanInterval(of: outcomes, resamples: resamples, confidence: confidence, seed: seed)
        groupCount = groups.members.count
        self.resamples = resamples
        self.confidence = confidence
    }

    public var range: ClosedRange<Double> { lowerBound...upperBound }

    /// The interval, or nil when the prompts come from fewer than two groups: every resample
    /// would then be the one group, an interval of no width that says nothing about the error.
    public static func ifSpread(outcomes: [Double], groups labels: [String]) throws -> GroupedWinRateInterval? {
        guard Set(labels).count >= 2 else {
            guard labels.count == outcomes.count else { throw GroupedIntervalError.mismatchedCounts(outcomes: outcomes.count, groups: labels.count) }
            return nil
        }
        return try GroupedWinRateInterval(outcomes: outcomes, groups: labels)
    }
}

/// The rows of each group of prompts, for a bootstrap that draws whole groups. With one row a
/// group it draws rows as the plain bootstrap does, draw for draw.
public struct PromptGroups: Sendable {
    public let members: [[Int]]

    /// One label per row; rows with the same label form a group.
    public init(_ labels: [String]) {
        var index: [String: Int] = [:], members: [[Int]] = []
        for (row, label) in labels.enumerated() {
            if let group = index[label] {
                members[group].append(row)
            } else {
                index[label] = members.count
                members.append([row])
            }
        }
        self.members = members
    }

    /// Every row a group of its own: the plain bootstrap of rows.
    public init(rows: Int) { members = (0..<rows).map { [$0] } }

    /// As many groups as there are, drawn with replacement: their rows, in the order drawn.
    func resample(_ generator: inout RandomGenerator) -> [Int] {
        (0..<members.count).flatMap { _ in members[generator.integer(in: 0..<members.count)] }
    }

    var rowCount: Int { members.reduce(0) { $0 + $1.count } }

    /// Percentile bounds of the mean of `values` (one per row) over resamples of whole groups.
    public func meanInterval(
        of values: [Double], resamples: Int = 2000, confidence: Double = 0.95, seed: UInt64 = 0
    ) throws -> (lower: Double, upper: Double) {
        guard !values.isEmpty, values.count == rowCount else { throw GroupedIntervalError.mismatchedCounts(outcomes: values.count, groups: rowCount) }
        guard resamples > 0, confidence > 0, confidence < 1 else { throw GroupedIntervalError.invalidSettings(resamples: resamples, confidence: confidence) }
        return percentileInterval(resamples: resamples, confidence: confidence, seed: seed) { rows in
            rows.reduce(0) { $0 + values[$1] } / Double(rows.count)
        }
    }

    /// Percentile bounds of `statistic` of the rows over `resamples` (> 0) resamples of whole
    /// groups, drawn from `seed`, at `confidence` (in (0, 1)).
    func percentileInterval(
        resamples: Int, confidence: Double, seed: UInt64, statistic: ([Int]) throws -> Double
    ) rethrows -> (lower: Double, upper: Double) {
        var generator = RandomGenerator(seed: seed)
        var resampled: [Double] = []
        resampled.reserveCapacity(resamples)
        for _ in 0..<resamples { resampled.append(try statistic(resample(&generator))) }
        resampled.sort()
        let tail = (1 - confidence) / 2
        return (quantile(sorted: resampled, tail), quantile(sorted: resampled, 1 - tail))
    }
}

extension ClosedRange<Double> {
    /// [lower, upper], as the demos' JSON keeps an interval.
    public var bounds: [Double] { [lowerBound, upperBound] }
}

public enum GroupedIntervalError: Error, Equatable, CustomStringConvertible {
    case mismatchedCounts(outcomes: Int, groups: Int)
    case outcomeOutOfRange(index: Int, value: Double)
    case invalidSettings(resamples: Int, confidence: Double)

    public var description: String {
        switch self {
        case let .mismatchedCounts(outcomes, groups):
            return "a grouped interval needs a group label for every outcome (and an outcome), got \(outcomes) outcomes and \(groups) labels"
        case let .outcomeOutOfRange(index, value): return "outcome \(index) is \(value); outcomes are 1 (win), 0.5 (tie) or 0 (loss)"
        case let .invalidSettings(resamples, confidence):
            return "a grouped interval needs at least one resample and a confidence in (0, 1), got \(resamples) resamples at \(confidence)"
        }
    }
}
