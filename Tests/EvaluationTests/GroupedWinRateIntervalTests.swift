// The film-level bootstrap of the win rate: with one prompt a group it is the ordinary bootstrap
// of a proportion (Wilson's interval, within resampling noise); when a group's prompts win or
// lose together it is as wide as a count of groups, not of prompts; it is seeded; bad input is
// named. And the evaluator draws the two sides' answers independently.
import Evaluation
import Foundation
import LanguageModeling
import Testing
import TestSupport
import Transformer

@Suite struct GroupedWinRateIntervalTests {
    /// 150 wins of 200 prompts, in `size`-prompt groups that each win or lose whole.
    func wholeGroups(of size: Int) -> (outcomes: [Double], groups: [String]) {
        let outcomes = (0..<200).map { $0 < 150 ? 1.0 : 0 }
        return (outcomes, outcomes.indices.map { "film \($0 / size)" })
    }

    @Test func oneGroupPerPromptIsWilsonsIntervalWithinResamplingNoise() throws {
        let (outcomes, groups) = wholeGroups(of: 1)
        let interval = try GroupedWinRateInterval(outcomes: outcomes, groups: groups, resamples: 4000)
        let wilson = WinCount(wins: 150, ties: 0, losses: 50).interval()
        #expect(interval.groupCount == 200)
        #expect(abs(interval.lowerBound - wilson.lowerBound) < 0.01 && abs(interval.upperBound - wilson.upperBound) < 0.01,
                "\(interval.range) against Wilson's \(wilson)")
    }

    @Test func groupsThatWinOrLoseWholeWidenItToACountOfGroups() throws {
        let (outcomes, groups) = wholeGroups(of: 5)
        let interval = try GroupedWinRateInterval(outcomes: outcomes, groups: groups, resamples: 4000)
        #expect(interval.groupCount == 40)
        // 30 of 40 groups won: the normal interval of a proportion of 40 is ±1.96·√(0.75·0.25/40).
        let width = interval.upperBound - interval.lowerBound, groupWidth = 2 * 1.96 * (0.75 * 0.25 / 40).squareRoot()
        #expect(abs(width - groupWidth) < 0.15 * groupWidth, "width \(width) against \(groupWidth)")
        let prompts = WinCount(wins: 150, ties: 0, losses: 50).interval()
        #expect(width > 2 * (prompts.upperBound - prompts.lowerBound))
    }

    /// Prompts of one film resample to themselves every time: no interval, rather than one of no width.
    @Test func oneGroupGivesNoInterval() throws {
        let outcomes = [1.0, 0, 1, 1, 0.5, 1]
        #expect(try GroupedWinRateInterval.ifSpread(outcomes: outcomes, groups: Array(repeating: "Heat", count: 6)) == nil)
        let two = try #require(try GroupedWinRateInterval.ifSpread(outcomes: outcomes, groups: ["Heat", "Heat", "Heat", "Ran", "Ran", "Ran"]))
        #expect(two.groupCount == 2 && two.lowerBound < two.upperBound)
        #expect(throws: GroupedIntervalError.mismatchedCounts(outcomes: 6, groups: 2)) {
            try GroupedWinRateInterval.ifSpread(outcomes: outcomes, groups: ["Heat", "Heat"])
        }
    }

    @Test func tiesCountHalfAndTheSeedFixesTheResamples() throws {
        let outcomes = [1, 0.5, 0.5, 0, 1, 1, 0.5, 1], groups = ["a", "a", "b", "b", "c", "c", "d", "d"]
        let first = try GroupedWinRateInterval(outcomes: outcomes, groups: groups, seed: 3)
        #expect(first == (try GroupedWinRateInterval(outcomes: outcomes, groups: groups, seed: 3)))
        // Groups of 1 to 7 prompts, so that resampled rates rarely coincide between seeds.
        let films = (0..<60).flatMap { film in Array(repeating: "film \(film)", count: film % 7 + 1) }
        let many = films.indices.map { Double($0 * 7 % 3) / 2 }
        #expect(try GroupedWinRateInterval(outcomes: many, groups: films, seed: 3) != GroupedWinRateInterval(outcomes: many, groups: films, seed: 4))
        // The group rates are 0.75, 0.25, 1 and 0.75: no resample leaves that range.
        #expect(first.lowerBound >= 0.25 && first.upperBound <= 1 && first.lowerBound < 0.6875 && first.upperBound > 0.6875)
        let allWon = try GroupedWinRateInterval(outcomes: [1, 1, 1], groups: ["a", "b", "b"])
        #expect(allWon.range == 1...1)
    }

    @Test func badInputIsNamed() {
        #expect(throws: GroupedIntervalError.mismatchedCounts(outcomes: 2, groups: 1)) { try GroupedWinRateInterval(outcomes: [1, 0], groups: ["a"]) }
        #expect(throws: GroupedIntervalError.mismatchedCounts(outcomes: 0, groups: 0)) { try GroupedWinRateInterval(outcomes: [], groups: []) }
        #expect(throws: GroupedIntervalError.outcomeOutOfRange(index: 1, value: 2)) { try GroupedWinRateInterval(outcomes: [1, 2], groups: ["a", "b"]) }
        #expect(throws: GroupedIntervalError.invalidSettings(resamples: 0, confidence: 0.95)) {
            try GroupedWinRateInterval(outcomes: [1], groups: ["a"], resamples: 0)
        }
        #expect(GroupedIntervalError.outcomeOutOfRange(index: 1, value: 2).description.contains("outcome 1 is 2.0"))
    }

    @Test func aGroupedComparisonReportsTheGroupedInterval() throws {
        let model = try TinyModels.gpt(seed: 1), reference = try TinyModels.gpt(seed: 2)
        let prompts = ["a good film", "the plot", "number 7;", "it's", "a bad", "right?"].map(model.encode)
        let samples = prompts.map { _ in model.encode(" fine") }
        let side = { (m: LanguageModel) in
            try PolicyEvaluator.Measured(m, reference: reference.network, prompts: prompts, samples: samples, temperature: 1, batchSize: 4, fluency: .none)
        }
        let films = ["x", "x", "y", "y", "z", "z"]
        let grouped = try PolicyComparison(
            policy: side(model), policyScores: [1, 1, 0, 0, 1, 0.5], baseline: side(reference), baselineScores: [0, 0, 1, 1, 0, 0.5], groups: films)
        let expected = try GroupedWinRateInterval(outcomes: [1, 1, 0, 0, 1, 0.5], groups: films)
        #expect(grouped.groupedInterval == expected && grouped.winRateInterval == expected.range)
        #expect(PercentText.of(grouped) == PercentText.of(grouped.winRate, between: expected.lowerBound, and: expected.upperBound))
        let decoded = try JSONDecoder().decode(PolicyComparison.self, from: JSONEncoder().encode(grouped))
        #expect(decoded.groupedInterval == expected)
        let ungrouped = try PolicyComparison(
            policy: side(model), policyScores: [1, 1, 0, 0, 1, 0.5], baseline: side(reference), baselineScores: [0, 0, 1, 1, 0, 0.5])
        #expect(ungrouped.groupedInterval == nil && ungrouped.winRateInterval == ungrouped.record.interval())
    }

    @Test func noPromptsHaveNoGroupedIntervalAndNoError() throws {
        let model = try TinyModels.gpt(seed: 1)
        let empty = try PolicyEvaluator.Measured(model, reference: model.network, prompts: [], samples: [], temperature: 1, batchSize: 4, fluency: .none)
        let comparison = try PolicyComparison(policy: empty, policyScores: [], baseline: empty, baselineScores: [], groups: [])
        #expect(comparison.groupedInterval == nil && comparison.prompts == 0 && PercentText.of(comparison) == "n/a (no prompts)")
    }

    @Test func outcomesCountAsTheScoresDo() {
        let scores = [3.0, 1, 2, 5, 0.5], baseline = [1.0, 1, 4, 0, 0.5]
        #expect(WinCount.outcomes(scores, against: baseline) == [1, 0.5, 0, 1, 0.5])
        #expect(WinCount(outcomes: WinCount.outcomes(scores, against: baseline)) == WinCount(wins: 2, ties: 2, losses: 1))
    }

    /// With one generator for both, a model compared with itself would give the same answer twice
    /// and tie on every prompt.
    @Test func theTwoSidesDrawTheirAnswersIndependently() throws {
        let model = try TinyModels.gpt(seed: 1)
        let prompts = ["a good film", "the plot", "number 7;", "it's", "a bad", "right?"].map(model.encode)
        let (_, policySamples, baselineSamples) = try PolicyEvaluator.compare(
            policy: model, baseline: model, reference: model.network, prompts: prompts, judge: LengthJudge(),
            sampling: SamplingParameters(temperature: 1, maxNewTokens: 8), seed: 5, batchSize: 4)
        #expect(policySamples != baselineSamples)
        #expect(policySamples == (try PolicyEvaluator.sample(model, prompts: prompts, sampling: SamplingParameters(temperature: 1, maxNewTokens: 8), seed: 5, batchSize: 4)))
    }
}
