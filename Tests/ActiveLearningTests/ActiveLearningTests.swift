// The ensemble's uncertainty, and small active and random labeling runs on a synthetic lexicon.

import Annotators
import Randomness
import Testing
@testable import ActiveLearning

private let featurizer = WordFeaturizer(dimensions: 256)

/// Sentences of `length` words from a small vocabulary whose valences a tiny lexicon gives.
private let vocabulary = ["good", "great", "fine", "bad", "awful", "dull", "film", "plot", "actor", "scene", "music", "story"]
private let lexicon = try! RaterLexicon(text: """
    good\t2\t0.5\t[2, 2]
    great\t3\t0.5\t[3, 3]
    fine\t1\t0.5\t[1, 1]
    bad\t-2\t0.5\t[-2, -2]
    awful\t-3\t0.5\t[-3, -3]
    dull\t-1\t0.5\t[-1, -1]
    """, source: "synthetic")

private func sentences(_ count: Int, seed: UInt64) -> [String] {
    var generator = RandomGenerator(seed: seed)
    return (0..<count).map { _ in (0..<4).map { _ in vocabulary[generator.integer(in: 0..<vocabulary.count)] }.joined(separator: " ") }
}

/// Pairs ordered by the population judge, ties dropped.
private func judgedPairs(_ texts: [String]) -> [PreferencePair] {
    let judge = HiddenJudge.population(lexicon)
    return stride(from: 0, to: texts.count - 1, by: 2).compactMap { index in
        let (a, b) = (texts[index], texts[index + 1])
        guard judge.score(a) != judge.score(b) else { return nil }
        let (better, worse) = judge.score(a) > judge.score(b) ? (a, b) : (b, a)
        return PreferencePair(better: featurizer.features(of: better), worse: featurizer.features(of: worse))
    }
}

@Test func ensembleIsMostUncertainNearTheBoundary() {
    let ensemble = PreferenceEnsemble.train(
        on: judgedPairs(sentences(400, seed: 1)), dimensions: featurizer.dimensions, settings: EnsembleSettings(members: 5), seed: 3)
    #expect(ensemble.accuracy(on: judgedPairs(sentences(400, seed: 2))) > 0.8)
    let clear = (featurizer.features(of: "great good film"), featurizer.features(of: "awful bad film"))
    let close = (featurizer.features(of: "good film"), featurizer.features(of: "fine film"))
    for measure in UncertaintyMeasure.allCases {
        #expect(ensemble.uncertainty(close.0, close.1, measure: measure) > ensemble.uncertainty(clear.0, clear.1, measure: measure), "\(measure)")
    }
    #expect(ensemble.uncertainty(clear.0, clear.1, measure: .boundary) < 0.2)
    let values = ensemble.taskUncertainties([1: [clear.0, clear.1], 2: [close.0, close.1], 3: [clear.0]], measure: .boundary)
    #expect(Set(values.keys) == [1, 2], "a task needs two completions")
    #expect(values[2]! > values[1]!)
}

@Test func bothPoliciesLabelThroughTheStoreAndLearn() async throws {
    let texts = sentences(600, seed: 4)
    let pool = stride(from: 0, to: texts.count, by: 2).map { PoolTask(prompt: "Which is better?", completions: [texts[$0], texts[$0 + 1]]) }
    let settings = ActiveCurveSettings(budget: 60, rounds: 3, annotators: 2, temperature: 1, ensemble: EnsembleSettings(members: 3), dimensions: featurizer.dimensions)
    let experiment = try ActiveCurveRun(pool: pool, heldOut: judgedPairs(sentences(400, seed: 5)), lexicon: lexicon, settings: settings)
    var summary = ActiveCurveSummary(active: [], random: [])
    for seed: UInt64 in [0, 1] {
        summary.active.append(try await experiment.curve(active: true, seed: seed))
        summary.random.append(try await experiment.curve(active: false, seed: seed))
    }
    #expect(try await experiment.curve(active: true, seed: 0) == summary.active[0], "deterministic given the seed")
    for curve in summary.active + summary.random {
        #expect(curve.map(\.labels) == [20, 40, 60])
    }
    let active = ActiveCurveSummary.mean(summary.active), random = ActiveCurveSummary.mean(summary.random)
    // Active selection does not beat random here yet (0.838 against 0.854 at 60 labels): the
    // test checks that both learn, not which wins.
    #expect(random.last!.accuracy > 0.6 && active.last!.accuracy > 0.6, "active \(active) vs random \(random)")
    #expect(summary.randomFinalAccuracy == random.last!.accuracy)
}
