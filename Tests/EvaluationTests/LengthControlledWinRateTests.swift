// The length-controlled win rate against float64 fits (scripts/make_length_control_fixtures.py),
// and its point: a judge that rewards nothing but length wins far from ½ raw and about ½
// controlled, while a judge that rewards quality keeps its win rate.
import Evaluation
import Foundation
import Randomness
import Testing
import TestSupport

@Suite struct LengthControlledWinRateTests {
    @Test func fitsMatchTheFloat64Reference() throws {
        let cases = try #require(try Fixture("Tests/Fixtures/evaluation/length_control.json").value(["cases"]) as? [[String: Any]])
        #expect(cases.count == 6)
        for item in cases {
            let name = item["name"] as? String ?? "?"
            var settings = LengthControlledWinRate.Settings()
            settings.penalty = try #require(item["penalty"] as? Double)
            // Unpenalised, a resample of a few prompts can be separated (all wins): no bootstrap then.
            settings.bootstrapResamples = settings.penalty > 0 ? 50 : 0
            let fit = try LengthControlledWinRate(
                outcomes: try #require(item["outcomes"] as? [Double]), policyLengths: try #require(item["policyLengths"] as? [Double]),
                baselineLengths: try #require(item["baselineLengths"] as? [Double]), settings: settings)
            let expected = try ["modelCoefficient", "lengthCoefficient", "deviation", "winRate"].map { try #require(item[$0] as? Double) }
            expectClose([fit.modelCoefficient, fit.lengthCoefficient, fit.lengthDifferenceDeviation, fit.winRate], expected,
                        Tolerance(relative: 0, absolute: 1e-9), name)
            #expect(fit.lowerBound <= fit.winRate && fit.winRate <= fit.upperBound, "\(name): interval \(fit.lowerBound)...\(fit.upperBound)")
        }
    }

    /// Lengths of `n` answer pairs, the policy's longer by `shift` on average.
    func lengths(_ n: Int, shift: Double, generator: inout RandomGenerator) -> (policy: [Double], baseline: [Double]) {
        let baseline = (0..<n).map { _ in Double(generator.integer(in: 20..<120)) }
        return (baseline.map { max(1, ($0 + generator.normal(mean: shift, standardDeviation: 30)).rounded()) }, baseline)
    }

    @Test func aJudgeOfLengthAloneIsControlledToAHalf() throws {
        var generator = RandomGenerator(seed: 4)
        let (policy, baseline) = lengths(400, shift: 25, generator: &generator)
        let differences = zip(policy, baseline).map { $0 - $1 }
        let deviation = (differences.map { $0 * $0 }.reduce(0, +) / Double(differences.count)).squareRoot()
        // The longer answer wins with probability σ(3 tanh(Δ/σ)): no quality term at all.
        let outcomes = differences.map { delta -> Double in
            if delta == 0 { return 0.5 }
            return generator.uniformDouble() < 1 / (1 + exp(-3 * tanh(delta / deviation))) ? 1 : 0
        }
        let raw = outcomes.reduce(0, +) / Double(outcomes.count)
        let controlled = try LengthControlledWinRate(outcomes: outcomes, policyLengths: policy, baselineLengths: baseline)
        #expect(raw > 0.7, "raw win rate \(raw)")
        #expect(abs(controlled.winRate - 0.5) < 0.08, "length-controlled \(controlled.winRate) (raw \(raw))")
        #expect(controlled.lowerBound < 0.5 && 0.5 < controlled.upperBound, "interval \(controlled.lowerBound)...\(controlled.upperBound)")
        #expect(controlled.lengthCoefficient > 2, "the judge's taste for length lands on φ = \(controlled.lengthCoefficient)")
    }

    @Test func aJudgeOfQualityKeepsItsWinRate() throws {
        var generator = RandomGenerator(seed: 5)
        let (policy, baseline) = lengths(400, shift: 0, generator: &generator)
        let outcomes = policy.indices.map { _ in generator.uniformDouble() < 0.75 ? 1.0 : 0 }
        let raw = outcomes.reduce(0, +) / Double(outcomes.count)
        let controlled = try LengthControlledWinRate(outcomes: outcomes, policyLengths: policy, baselineLengths: baseline)
        #expect(abs(controlled.winRate - raw) < 0.04, "length-controlled \(controlled.winRate) vs raw \(raw)")
        #expect(controlled.lowerBound > 0.65 && controlled.upperBound < 0.85, "interval \(controlled.lowerBound)...\(controlled.upperBound)")
    }

    /// A policy shorter on almost every prompt leaves no prompts at equal length to learn from:
    /// the controlled rate is flagged as an extrapolation.
    @Test func oneSideLongerAlmostEverywhereIsFlagged() throws {
        let outcomes = (0..<100).map { Double($0 % 3 == 0 ? 0 : 1) }
        let baseline = [Double](repeating: 20, count: 100)
        let shorter = (0..<100).map { $0 < 95 ? 12.0 : 25 }
        let flagged = try LengthControlledWinRate(outcomes: outcomes, policyLengths: shorter, baselineLengths: baseline)
        #expect(flagged.policyShorterShare == 0.95 && flagged.policyLongerShare == 0.05 && flagged.isExtrapolated)
        let mixed = (0..<100).map { $0 < 70 ? 12.0 : 25 }
        let balanced = try LengthControlledWinRate(outcomes: outcomes, policyLengths: mixed, baselineLengths: baseline)
        #expect(balanced.policyShorterShare == 0.7 && balanced.policyLongerShare == 0.3 && !balanced.isExtrapolated)
        // 85% shorter, 10% of equal length and 5% longer: the equal ones are data at Δ = 0.
        let equalAtZero = (0..<100).map { $0 < 85 ? 12.0 : $0 < 95 ? 20 : 25 }
        let covered = try LengthControlledWinRate(outcomes: outcomes, policyLengths: equalAtZero, baselineLengths: baseline)
        #expect(covered.policyShorterShare == 0.85 && covered.policyLongerShare == 0.05 && !covered.isExtrapolated)
        let same = try LengthControlledWinRate(outcomes: outcomes, policyLengths: baseline, baselineLengths: baseline)
        #expect(same.policyShorterShare == 0 && same.policyLongerShare == 0 && !same.isExtrapolated, "equal lengths everywhere are no extrapolation")
    }

    @Test func theBootstrapIsSeededAndNarrowsWithMorePrompts() throws {
        var generator = RandomGenerator(seed: 6)
        let (policy, baseline) = lengths(400, shift: 10, generator: &generator)
        let outcomes = policy.indices.map { _ in [0, 0.5, 1, 1][generator.integer(in: 0..<4)] }
        var settings = LengthControlledWinRate.Settings()
        settings.seed = 9
        let first = try LengthControlledWinRate(outcomes: outcomes, policyLengths: policy, baselineLengths: baseline, settings: settings)
        #expect(first == (try LengthControlledWinRate(outcomes: outcomes, policyLengths: policy, baselineLengths: baseline, settings: settings)))
        settings.seed = 10
        let reseeded = try LengthControlledWinRate(outcomes: outcomes, policyLengths: policy, baselineLengths: baseline, settings: settings)
        #expect(reseeded.winRate == first.winRate && reseeded.lowerBound != first.lowerBound)
        let few = try LengthControlledWinRate(
            outcomes: Array(outcomes.prefix(50)), policyLengths: Array(policy.prefix(50)), baselineLengths: Array(baseline.prefix(50)), settings: settings)
        #expect(few.upperBound - few.lowerBound > 1.5 * (first.upperBound - first.lowerBound), "50 prompts \(few) vs 400 \(first)")
    }

    /// One prompt a group draws as the plain bootstrap does; groups whose prompts win or lose
    /// together widen the interval to a count of groups.
    @Test func theBootstrapCanDrawWholeGroups() throws {
        var generator = RandomGenerator(seed: 6)
        let (policy, baseline) = lengths(400, shift: 0, generator: &generator)
        let outcomes = policy.indices.map { $0 % 40 < 30 ? 1.0 : 0 }
        let plain = try LengthControlledWinRate(outcomes: outcomes, policyLengths: policy, baselineLengths: baseline)
        let singletons = try LengthControlledWinRate(
            outcomes: outcomes, policyLengths: policy, baselineLengths: baseline, groups: outcomes.indices.map { "prompt \($0)" })
        #expect(singletons.lowerBound == plain.lowerBound && singletons.upperBound == plain.upperBound && singletons.winRate == plain.winRate)
        #expect(plain.resampledGroups == nil && singletons.resampledGroups == 400)
        // 40 films of 10 prompts (prompt i in film i mod 40): 30 films win every prompt, 10 lose every one.
        let films = try LengthControlledWinRate(
            outcomes: outcomes, policyLengths: policy, baselineLengths: baseline, groups: outcomes.indices.map { "film \($0 % 40)" })
        #expect(films.resampledGroups == 40 && films.winRate == plain.winRate)
        #expect(films.upperBound - films.lowerBound > 2 * (plain.upperBound - plain.lowerBound), "\(films) against \(plain)")
    }

    @Test func badInputIsANamedError() {
        #expect(throws: LengthControlError.mismatchedCounts(outcomes: 2, policyLengths: 1, baselineLengths: 2, groups: nil)) {
            try LengthControlledWinRate(outcomes: [1, 0], policyLengths: [3], baselineLengths: [3, 4])
        }
        #expect(throws: LengthControlError.mismatchedCounts(outcomes: 2, policyLengths: 2, baselineLengths: 2, groups: 1)) {
            try LengthControlledWinRate(outcomes: [1, 0], policyLengths: [3, 3], baselineLengths: [3, 4], groups: ["a"])
        }
        #expect(throws: LengthControlError.outcomeOutOfRange(index: 1, value: 2)) {
            try LengthControlledWinRate(outcomes: [1, 2], policyLengths: [3, 3], baselineLengths: [3, 4])
        }
        var unpenalised = LengthControlledWinRate.Settings()
        unpenalised.penalty = 0
        unpenalised.bootstrapResamples = 0
        // Every longer answer wins: without the penalty the maximum-likelihood φ is infinite.
        #expect(throws: LengthControlError.self) {
            try LengthControlledWinRate(outcomes: [1, 0, 1, 0], policyLengths: [9, 2, 8, 1], baselineLengths: [5, 5, 5, 5], settings: unpenalised)
        }
    }
}
