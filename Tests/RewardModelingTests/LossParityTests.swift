// The preference losses against PyTorch (Tests/Fixtures/reward/losses.json, written by
// scripts/make_reward_fixtures.py in float64): Bradley-Terry with a margin, Plackett-Luce, the
// Davidson tie likelihood for pairs and rankings, centring and weights, values and gradients.
import Foundation
import Testing
import RewardModeling
import Tensors
import TestSupport

struct MalformedFixture: Error {
    let reason: String
}

struct LossCase: CustomTestStringConvertible, Sendable {
    let name: String
    let scores: [Double]
    let rankings: [ScoredRanking]
    let settings: PreferenceLossSettings
    let loss: Double
    let gradient: [Double]
    var testDescription: String { name }

    static func all() throws -> [LossCase] {
        let fixture = try Fixture("Tests/Fixtures/reward/losses.json")
        guard let cases = try fixture.value(["cases"]) as? [[String: Any]] else { throw MalformedFixture(reason: "no cases") }
        return try cases.map { object in
            guard let name = object["name"] as? String, let scores = object["scores"] as? [Double],
                  let rankings = object["rankings"] as? [[String: Any]], let settings = object["settings"] as? [String: Double],
                  let loss = object["loss"] as? Double, let gradient = object["gradient"] as? [Double] else {
                throw MalformedFixture(reason: "a malformed case")
            }
            return LossCase(
                name: name, scores: scores,
                rankings: try rankings.map { ranking in
                    guard let offset = ranking["offset"] as? Int, let tiers = ranking["tiers"] as? [Int], let weight = ranking["weight"] as? Double else {
                        throw MalformedFixture(reason: "a malformed ranking in \(name)")
                    }
                    return ScoredRanking(offset: offset, tiers: tiers, weight: Float(weight))
                },
                settings: PreferenceLossSettings(
                    margin: Float(settings["margin"]!), tieStrength: Float(settings["tieStrength"]!),
                    centeringCoefficient: Float(settings["centeringCoefficient"]!)),
                loss: loss, gradient: gradient)
        }
    }
}

@Suite struct LossParityTests {
    static let cases = (try? LossCase.all()) ?? []

    @Test func fixturesArePresent() {
        #expect(Self.cases.count == 6)
    }

    /// The Float tensor op, through the tape, within 1e-5 of PyTorch's float64 values.
    @Test(arguments: cases) func tensorLossMatchesPyTorch(_ c: LossCase) throws {
        let tape = Tape()
        let scores = try Tensor(shape: [c.scores.count], values: c.scores.map(Float.init))
        scores.track(on: tape)
        let loss = try scores.preferenceLoss(c.rankings, settings: c.settings)
        try tape.backward(from: loss)
        #expect(abs(Double(loss.item) - c.loss) < 1e-5, "loss \(loss.item) vs \(c.loss)")
        let gradient = try #require(scores.gradient)
        for (mine, reference) in zip(gradient, c.gradient) {
            #expect(abs(Double(mine) - reference) < 1e-5, "gradient \(gradient) vs \(c.gradient)")
        }
    }

    /// The Double computation agrees to rounding.
    @Test(arguments: cases) func doubleLossMatchesPyTorch(_ c: LossCase) {
        let (value, gradient) = PreferenceLoss.evaluate(scores: c.scores, rankings: c.rankings, settings: c.settings)
        #expect(abs(value - c.loss) < 1e-10)
        #expect(zip(gradient, c.gradient).allSatisfy { abs($0 - $1) < 1e-10 })
    }

    @Test func eachShapeChoosesItsModel() {
        #expect(RankingModel(tiers: [0, 1]) == .bradleyTerry)
        #expect(RankingModel(tiers: [2, 0, 1]) == .plackettLuce)
        #expect(RankingModel(tiers: [0, 0]) == .davidsonLuce)
        #expect(RankingModel(tiers: [0, 1, 1]) == .davidsonLuce)
    }

    /// Davidson's closed forms for a pair, and Plackett-Luce of two = Bradley-Terry.
    @Test func closedForms() {
        let (r1, r2, nu) = (0.8, -0.3, 0.6)
        let d = r1 - r2
        let tie = RankingLikelihood.negativeLogLikelihood(scores: [r1, r2], tiers: [0, 0], tieStrength: nu).value
        #expect(abs(tie - (log(2 * cosh(d / 2) + nu) - log(nu))) < 1e-12)
        let strict = RankingLikelihood.negativeLogLikelihood(scores: [r1, r2], tiers: [0, 1]).value
        #expect(abs(strict - log1p(exp(-d))) < 1e-12)
        let withMargin = RankingLikelihood.negativeLogLikelihood(scores: [r1, r2], tiers: [0, 1], margin: 2).value
        #expect(abs(withMargin - log1p(exp(2 - d))) < 1e-12)
        // A tie is most likely, and its loss smallest, when the rewards are equal.
        let equal = RankingLikelihood.negativeLogLikelihood(scores: [0.5, 0.5], tiers: [0, 0], tieStrength: nu).value
        #expect(equal < tie)
    }

    /// A strict ranking's loss does not depend on the order responses are listed in.
    @Test func rankingLossIsPermutationInvariant() {
        let scores = [0.3, -1.2, 2.0, 0.7]
        let tiers = [1, 3, 0, 2]
        let permutation = [2, 0, 3, 1]
        let a = RankingLikelihood.negativeLogLikelihood(scores: scores, tiers: tiers).value
        let b = RankingLikelihood.negativeLogLikelihood(scores: permutation.map { scores[$0] }, tiers: permutation.map { tiers[$0] }).value
        #expect(abs(a - b) < 1e-12)
    }

    @Test func badRankingsAreRejectedByTheOp() throws {
        let scores = try Tensor(shape: [3], values: [0, 1, 2])
        #expect(throws: TensorError.self) { try scores.preferenceLoss([ScoredRanking(offset: 2, tiers: [0, 1])], settings: .init()) }
        #expect(throws: TensorError.self) { try scores.preferenceLoss([ScoredRanking(offset: 0, tiers: [0])], settings: .init()) }
    }
}
