// The figures the pipelines print where a measurement is missing or degenerate: the judge score's
// interval under two films, the KL goal when no KL was measured, and the fluency cell when some
// answers were empty, and the repetition goal at equal lengths. Normal figures read as before.
import Evaluation
import Foundation
import Testing
@testable import Pipeline

@Suite struct EvaluationFiguresTests {
    /// A comparison side as evaluation.json holds it, with `extra` fields (JSON) added.
    func side(_ extra: String = "") -> String {
        #"{"meanScore": 0.5, "referencePerplexity": 9.0, "meanLength": 12"# + (extra.isEmpty ? "" : ", " + extra) + "}"
    }

    func comparison(wins: Int, policy: String, baseline: String) throws -> PolicyComparison {
        let json = #"{"prompts": \#(wins), "wins": \#(wins), "ties": 0, "losses": 0, "policy": \#(policy), "baseline": \#(baseline)}"#
        return try JSONDecoder().decode(PolicyComparison.self, from: Data(json.utf8))
    }

    @Test func theJudgeScoreHasAnIntervalOnlyFromTwoFilms() throws {
        #expect(try RoundEvaluation.meanWithInterval([], films: []).interval == nil)
        let one = try RoundEvaluation.meanWithInterval([0.3], films: ["a"])
        #expect(one.mean == 0.3 && one.interval == nil)
        let oneFilm = try RoundEvaluation.meanWithInterval([1, 3], films: ["a", "a"])
        #expect(oneFilm.mean == 2 && oneFilm.interval == nil, "one film says nothing about the spread between films")
        let four = try RoundEvaluation.meanWithInterval([1, 2, 3, 4], films: ["a", "b", "c", "d"])
        let expected = try PromptGroups(["a", "b", "c", "d"]).meanInterval(of: [1, 2, 3, 4])
        #expect(four.mean == 2.5 && four.interval == [expected.lower, expected.upper])
        #expect(expected.lower >= 1 && expected.lower < 2.5 && expected.upper > 2.5 && expected.upper <= 4)
        // Two films whose prompts agree within each: the interval is the two films' range, not the prompts'.
        let paired = try RoundEvaluation.meanWithInterval([1, 1, 4, 4], films: ["a", "a", "b", "b"])
        #expect(paired.interval.map { $0[0] >= 1 && $0[1] <= 4 && $0[1] - $0[0] > 2 } == true)
        #expect(throws: GroupedIntervalError.mismatchedCounts(outcomes: 3, groups: 4), "a film for every score") {
            try RoundEvaluation.meanWithInterval([1, 2, 3], films: ["a", "b", "c", "d"])
        }
        #expect(throws: GroupedIntervalError.mismatchedCounts(outcomes: 3, groups: 1), "even where one film would give no interval") {
            try RoundEvaluation.meanWithInterval([1, 2, 3], films: ["a"])
        }
    }

    @Test func aKLThatWasNotMeasuredDoesNotMeetTheGoal() throws {
        var measured = try comparison(wins: 100, policy: side(#""klToReference": 1.5"#), baseline: side(#""klToReference": 0"#))
        measured.lengthMatchedRepetition = LengthMatchedRepetition(policyTexts: ["a fine film"], baselineTexts: ["a fine film"])
        #expect(SmolLM2DemoPipeline.method("PPO-LoRA seed 0", population: measured, critic: measured, analyticKL: false).passed == true)
        let greedy = try comparison(wins: 100, policy: side(), baseline: side())
        #expect(greedy.policy.klToReference == nil)
        #expect(SmolLM2DemoPipeline.method("PPO-LoRA seed 0", population: greedy, critic: greedy, analyticKL: false).passed == false)
    }

    /// 85 of 100 prompts won keeps Wilson's lower end above 75%, but not when the wins come in whole
    /// films: eight films won outright, one split, one lost.
    @Test func theGoalReadsTheLowerEndOfTheFilmBootstrap() throws {
        let kl = side(#""klToReference": 1.5"#)
        var c = try comparison(wins: 100, policy: kl, baseline: kl)
        (c.wins, c.losses) = (85, 15)
        c.lengthMatchedRepetition = LengthMatchedRepetition(policyTexts: ["a fine film"], baselineTexts: ["a fine film"])
        let method = { (c: PolicyComparison) in SmolLM2DemoPipeline.method("PPO-LoRA seed 0", population: c, critic: c, analyticKL: false) }
        #expect(c.record.interval().lowerBound > 0.75 && method(c).passed == true)
        let outcomes = (0..<100).map { $0 < 85 ? 1.0 : 0 }
        c.groupedInterval = try GroupedWinRateInterval(outcomes: outcomes, groups: outcomes.indices.map { "film \($0 / 10)" })
        #expect(c.winRateInterval.lowerBound < 0.75)
        #expect(method(c).passed == false && method(c).populationWinRateInterval[0] == c.groupedInterval?.lowerBound)
    }

    @Test func theRepetitionGoalIsReadAtEqualLengths() throws {
        let kl = side(#""klToReference": 1.5"#)
        var c = try comparison(wins: 100, policy: kl, baseline: kl)
        let method = { (c: PolicyComparison) in SmolLM2DemoPipeline.method("PPO-LoRA seed 0", population: c, critic: c, analyticKL: false) }
        #expect(method(c).passed == false, "unmeasured repetition does not meet the goal")
        // The policy writes on where the baseline stops after four words: its whole answers repeat
        // "the film is good", the baseline's nothing; cut to four words the two are the same.
        let long = (0..<20).map { "the film is good and the film is good \($0)" }
        let short = long.map { RepetitionStatistics.words($0).prefix(4).joined(separator: " ") }
        c.policy.repetition = RepetitionStatistics(texts: long)
        c.baseline.repetition = RepetitionStatistics(texts: short)
        c.lengthMatchedRepetition = LengthMatchedRepetition(policyTexts: long, baselineTexts: short)
        #expect(c.policy.repetition!.repeatedTrigramShare > c.baseline.repetition!.repeatedTrigramShare)
        #expect(method(c).passed == true, "no more repetition at equal lengths, whatever the whole answers say")
        // The other way: whole answers that repeat nothing, and stock praise at equal lengths.
        let repeating = short.map { _ in "good good good good" }
        c.policy.repetition = RepetitionStatistics(texts: short)
        c.lengthMatchedRepetition = LengthMatchedRepetition(policyTexts: repeating, baselineTexts: long)
        #expect(method(c).passed == false, "more repeated 3-grams than the baseline's answers cut to the same words")
        #expect(ReportParts.guardCells(c).contains("<td>0.500 vs 0.000</td>"))
    }

    @Test func theFluencyCellShowsEmptyAnswersBesideThePerplexity() throws {
        let fluency = { (empty: Int, nll: Double) in
            #""fluency": {"responses": 128, "empty_responses": \#(empty), "tokens": 900, "mean_nll": \#(nll)}"#
        }
        let full = try comparison(wins: 4, policy: side(fluency(0, log(460.4))), baseline: side(fluency(0, log(859.4))))
        #expect(ReportParts.guardCells(full).hasSuffix("<td>460.4 vs 859.4</td>"), "as before when no answer is empty")
        let someEmpty = try comparison(wins: 4, policy: side(fluency(3, log(460.4))), baseline: side(fluency(0, log(859.4))))
        #expect(ReportParts.guardCells(someEmpty).hasSuffix("<td>460.4 (3 of 128 answers empty) vs 859.4</td>"))
        let unmeasured = try comparison(wins: 4, policy: side(), baseline: side())
        #expect(ReportParts.guardCells(unmeasured).hasSuffix("<td>–</td>"))
    }
}
