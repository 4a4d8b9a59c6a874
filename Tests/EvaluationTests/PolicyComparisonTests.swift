// The comparison end to end on tiny models: the new columns are those of the samples it returns,
// and a comparison written before they existed still reads; greedy samples have no KL, and no
// prompts no win rate.
import Evaluation
import Foundation
import LanguageModeling
import RewardModeling
import Testing
import TestSupport
import Transformer

/// Prefers longer responses: the judge the length control must see through.
struct LengthJudge: ResponseScorer {
    func scores(prompts: [[Int32]], responses: [[Int32]]) throws -> [Double] { responses.map { Double($0.count) } }
}

@Suite struct PolicyComparisonTests {
    @Test func everyColumnDescribesTheReturnedSamples() throws {
        let policy = try TinyModels.gpt(seed: 1), baseline = try TinyModels.gpt(seed: 2), fluency = try TinyModels.llama(seed: 3)
        let prompts = ["a good film", "the plot", "number 7;", "it's", "a bad", "right?"].map(policy.encode)
        let sampling = SamplingParameters(temperature: 1, maxNewTokens: 12)
        let scorer = FluencyScorer(model: fluency, batchSize: 4)
        let (comparison, policySamples, baselineSamples) = try PolicyEvaluator.compare(
            policy: policy, baseline: baseline, reference: baseline.network, prompts: prompts, judge: LengthJudge(), sampling: sampling,
            seed: 5, batchSize: 4, fluency: scorer)
        #expect(comparison.wins + comparison.ties + comparison.losses == prompts.count)
        let end = try #require(policy.endOfText)
        let text = { (model: LanguageModel, ids: [Int32]) in try model.decode(ids.filter { $0 != end }) }
        let policyTexts = try policySamples.map { try text(policy, $0) }, baselineTexts = try baselineSamples.map { try text(baseline, $0) }
        #expect(comparison.policy.repetition == RepetitionStatistics(texts: policyTexts))
        #expect(comparison.baseline.repetition == RepetitionStatistics(texts: baselineTexts))
        #expect(comparison.lengthMatchedRepetition == LengthMatchedRepetition(policyTexts: policyTexts, baselineTexts: baselineTexts))
        let promptTexts = try prompts.map(policy.decode)
        #expect(comparison.policy.fluency == (try scorer.perplexity(prompts: promptTexts, responses: policyTexts)))
        #expect(comparison.baseline.fluency == (try scorer.perplexity(prompts: promptTexts, responses: baselineTexts)))
        let controlled = try #require(comparison.lengthControlled)
        let outcomes = zip(policySamples, baselineSamples).map { $0.count > $1.count ? 1.0 : $0.count < $1.count ? 0 : 0.5 }
        #expect(controlled == (try LengthControlledWinRate(
            outcomes: outcomes, policyLengths: policyTexts.map { Double($0.count) }, baselineLengths: baselineTexts.map { Double($0.count) })))
        #expect(comparison.lengthRatio == comparison.policy.meanLength / comparison.baseline.meanLength)
        let decoded = try JSONDecoder().decode(PolicyComparison.self, from: JSONEncoder().encode(comparison))
        #expect(decoded.lengthControlled == controlled && decoded.policy.repetition == comparison.policy.repetition)
        #expect(decoded.policy.fluency == comparison.policy.fluency && decoded.lengthMatchedRepetition == comparison.lengthMatchedRepetition)
    }

    @Test func aComparisonWrittenBeforeTheNewColumnsStillReads() throws {
        let side = #"{"meanScore": 0.5, "klToReference": 1.5, "referencePerplexity": 9.0, "meanLength": 12}"#
        let json = #"{"prompts": 4, "wins": 2, "ties": 1, "losses": 1, "policy": \#(side), "baseline": \#(side)}"#
        let comparison = try JSONDecoder().decode(PolicyComparison.self, from: Data(json.utf8))
        #expect(comparison.winRate == 0.625 && comparison.lengthRatio == 1)
        #expect(comparison.lengthControlled == nil && comparison.policy.repetition == nil && comparison.policy.fluency == nil)
        #expect(comparison.lengthMatchedRepetition == nil)
    }
}

@Suite struct GreedyAndEmptySamplesTests {
    let prompts = ["a good film", "the plot", "number 7;", "it's"]

    @Test func greedySamplesHaveNoKLAndTheSameReferenceReading() throws {
        let policy = try TinyModels.gpt(seed: 1), reference = try TinyModels.gpt(seed: 2)
        let prompts = self.prompts.map(policy.encode)
        let (comparison, samples, _) = try PolicyEvaluator.compare(
            policy: policy, baseline: reference, reference: reference.network, prompts: prompts, judge: LengthJudge(),
            sampling: SamplingParameters(temperature: 0, maxNewTokens: 8), seed: 5, batchSize: 4)
        #expect(comparison.policy.klToReference == nil && comparison.baseline.klToReference == nil)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(comparison)) as? [String: Any])
        #expect((json["policy"] as? [String: Any])?["klToReference"] == nil, "an unmeasured KL is not written as a number")
        let measure = { (temperature: Float) in
            try PolicyEvaluator.Measured(
                policy, reference: reference.network, prompts: prompts, samples: samples, temperature: temperature, batchSize: 4, fluency: .none)
        }
        let greedy = try measure(0), sampled = try measure(1)
        #expect(greedy.side.klToReference == nil && sampled.side.klToReference != nil)
        #expect(greedy.side.referencePerplexity == sampled.side.referencePerplexity && greedy.side.meanLength == sampled.side.meanLength)
        #expect(comparison.policy.referencePerplexity == greedy.side.referencePerplexity)
        #expect(throws: EvaluationError.invalidTemperature(-1)) { try measure(-1) }
    }

    @Test func theReferencesReadingCountsAnswersThatSayNothing() throws {
        let model = try TinyModels.gpt(seed: 3)
        let end = try #require(model.endOfText)
        let prompts = self.prompts.map(model.encode)
        let samples = [[end], model.encode(" is fine!") + [end], [end], model.encode(" a good film")]
        let side = try PolicyEvaluator.Measured(
            model, reference: model.network, prompts: prompts, samples: samples, temperature: 1, batchSize: 2, fluency: .reference).side
        let fluency = try #require(side.fluency)
        #expect(fluency.responses == 4 && fluency.emptyResponses == 2 && fluency.tokens == samples.map(\.count).reduce(0, +))
        #expect(fluency.perplexity == side.referencePerplexity, "the stop token ending an empty answer is still read")
        #expect(side.klToReference == 0)
    }

    @Test func aKLReadsAsBeforeNAWhenUnmeasuredAndAsABoundWhenAnalytic() {
        #expect(FigureText.kl(4.3) == "4.30" && FigureText.kl(4.3, unit: " nats/response") == "4.30 nats/response")
        #expect(FigureText.kl(nil) == "n/a" && FigureText.kl(nil, unit: " nats/response") == "n/a")
        #expect(FigureText.kl(log(16) - 15.0 / 16, analyticBound: true) == "≤ 1.84 (analytic bound)")
    }
}

@Suite struct WinCountTests {
    @Test func countsWinsTiesAndLossesPromptByPrompt() {
        let count = WinCount([3, 1, 2, 5], against: [1, 1, 4, 0])
        #expect(count == WinCount(wins: 2, ties: 1, losses: 1))
        #expect(count.winRate == 0.625)
    }

    /// Wilson's interval for 8 of 10 at 95% is [0.4902, 0.9433] (as statsmodels' proportion_confint(8, 10, method="wilson")).
    @Test func theIntervalIsWilsons() {
        let interval = WinCount(wins: 8, ties: 0, losses: 2).interval()
        #expect(abs(interval.lowerBound - 0.4902) < 1e-4 && abs(interval.upperBound - 0.9433) < 1e-4)
        let all = WinCount(wins: 20, ties: 0, losses: 0).interval()
        #expect(all.upperBound == 1 && all.lowerBound > 0.8 && all.lowerBound < 0.9, "a perfect record keeps a width")
    }

    @Test func noPromptsSayNothingAboutTheRate() {
        let none = WinCount([], against: [])
        #expect(none.prompts == 0 && none.interval() == 0...1)
        #expect(PercentText.of(none) == "n/a (no prompts)")
        #expect(WinCount(wins: 1, ties: 0, losses: 0).interval().lowerBound > 0, "one prompt is a count")
    }

    @Test func aWinRateReadsAsAPercentWithItsInterval() {
        #expect(PercentText.of(0.81263) == "81.3%")
        #expect(PercentText.of(WinCount(wins: 8, ties: 0, losses: 2)) == "80.0% [49.0%, 94.3%]")
        #expect(PercentText.of(0.5, between: 0.25, and: 1) == "50.0% [25.0%, 100.0%]")
    }
}
