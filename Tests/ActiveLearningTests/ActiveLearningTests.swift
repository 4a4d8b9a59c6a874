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
    var heard: [CurvePoint] = []
    #expect(try await experiment.curve(active: true, seed: 0) { heard.append($0) } == summary.active[0], "deterministic given the seed")
    #expect(heard == summary.active[0], "each round's point is reported as it is scored")
    for curve in summary.active + summary.random {
        #expect(curve.map(\.labels) == [20, 40, 60])
    }
    for seed in 0..<2 {
        #expect(summary.active[seed][0] == summary.random[seed][0], "both runs of a seed label the same random first batch")
        #expect(summary.active[seed] != summary.random[seed], "the active run takes its own queue after the first round")
    }
    #expect(summary.random[0][0] != summary.random[1][0], "each seed starts from a batch of its own")
    let active = ActiveCurveSummary.mean(summary.active), random = ActiveCurveSummary.mean(summary.random)
    // Active selection does not beat random here yet (0.838 against 0.854 at 60 labels): the
    // test checks that both learn, not which wins.
    #expect(random.last!.accuracy > 0.6 && active.last!.accuracy > 0.6, "active \(active) vs random \(random)")
    #expect(summary.randomFinalAccuracy == random.last!.accuracy)
}

@Test func lengthNormalisedFeaturesDivideCountsByTheRootOfTheLength() {
    let plain = WordFeaturizer(dimensions: 256).features(of: "good good film")
    let normalised = WordFeaturizer(dimensions: 256, lengthNormalized: true).features(of: "good good film")
    #expect(normalised.indices == plain.indices)
    #expect(zip(normalised.values, plain.values).allSatisfy { abs($0 - $1 / 2) < 1e-12 }, "three words: counts over √4")
}

@Test func aRandomizedPriorMakesHeadsDisagreeAboutWordsNoLabelTaught() {
    // Training sentences never hold "music" or "story"; a pair told apart only by them is new.
    let taught = sentences(400, seed: 1).filter { !$0.contains("music") && !$0.contains("story") }
    let pairs = judgedPairs(taught)
    let unseen = (featurizer.features(of: "good music"), featurizer.features(of: "good story"))
    let blind = PreferenceEnsemble.train(on: pairs, dimensions: featurizer.dimensions, settings: EnsembleSettings(members: 5), seed: 3)
    let prior = PreferenceEnsemble.train(on: pairs, dimensions: featurizer.dimensions, settings: EnsembleSettings(members: 5, priorScale: 1), seed: 3)
    #expect(blind.uncertainty(unseen.0, unseen.1, measure: .spread) == 0, "heads that start at 0 all keep 0 for untaught words")
    #expect(prior.uncertainty(unseen.0, unseen.1, measure: .spread) > 0.1)
    #expect(prior.accuracy(on: judgedPairs(sentences(400, seed: 2))) > 0.7, "the prior does not stop the heads learning")
}

@Test func labelsToMatchRandomAreActiveSelectionsFirstPointAtRandomsFinalAccuracy() {
    let point = { (labels: Int, accuracy: Double) in CurvePoint(labels: labels, accuracy: accuracy) }
    let summary = ActiveCurveSummary(
        active: [[point(10, 0.60), point(20, 0.72), point(30, 0.74)], [point(10, 0.60), point(20, 0.70), point(30, 0.76)]],
        random: [[point(10, 0.55), point(20, 0.65), point(30, 0.70)], [point(10, 0.55), point(20, 0.65), point(30, 0.72)]])
    #expect(summary.randomFinalAccuracy.map { abs($0 - 0.71) < 1e-12 } == true)
    #expect(summary.activeLabelsToMatchRandom == 20, "the seeds' mean reaches 0.71 at 20 labels")
    #expect(summary.activeShareToMatchRandom.map { abs($0 - 2.0 / 3) < 1e-12 } == true)
    let never = ActiveCurveSummary(active: [[point(10, 0.5), point(30, 0.6)]], random: [[point(10, 0.5), point(30, 0.7)]])
    #expect(never.activeLabelsToMatchRandom == nil && never.activeShareToMatchRandom == nil)
}

@Test func poolDensityFavoursTasksLikeThePoolsAverage() {
    let task = { (texts: [String]) in texts.map(featurizer.features(of:)) }
    let tasks: [Int64: [SparseFeatures]] = [
        1: task(["good film", "bad film"]), 2: task(["great film", "dull film"]), 3: task(["fine film", "awful film"]),
        4: task(["music music", "story story"]),
    ]
    let density = poolDensity(tasks, exponent: 1)
    #expect(density.values.allSatisfy { (0...1).contains($0) } && Set(density.keys) == [1, 2, 3, 4])
    #expect(density[4]! < 0.5 && density[1]! > 0.75, "the odd task out is the least typical: \(density)")
    #expect(poolDensity(tasks, exponent: 2)[4]! < density[4]!, "a larger exponent weighs typicality more")
    #expect(poolDensity(tasks, exponent: 0).values.allSatisfy { $0 == 1 })
}

@Test func embeddingsAreStandardisedOnTheReferenceTexts() {
    let featurizer = EmbeddingFeaturizer(
        embeddings: ["a": [1, 100], "b": [3, 300], "held out": [5, 200]], reference: ["a", "b"])
    #expect(featurizer.dimensions == 2)
    let (a, b) = (featurizer.features(of: "a"), featurizer.features(of: "b"))
    #expect(a.indices == [0, 1])
    for index in 0..<2 {
        #expect(abs(a.values[index] + b.values[index]) < 1e-9, "mean removed on the reference")
        #expect(abs(abs(a.values[index]) - 1 / 2.0.squareRoot()) < 1e-5, "unit deviation, divided by √width")
    }
    #expect(abs(featurizer.features(of: "held out").values[0] - 3 / 2.0.squareRoot()) < 1e-5, "held-out texts use the reference's statistics")
    #expect(featurizer.features(of: "never embedded").values == [0, 0])
}

@Test(arguments: PreferenceLearner.allCases)
func aRunLearnsFromEmbeddingsThatCarryTheJudgesTaste(learner: PreferenceLearner) async throws {
    // Embeddings whose first dimension is the population judge's score and the rest noise: a
    // head on them must learn the taste from few labels.
    let judge = HiddenJudge.population(lexicon)
    let texts = sentences(600, seed: 6), heldOutTexts = sentences(400, seed: 7)
    var generator = RandomGenerator(seed: 8)
    var embeddings: [String: [Float]] = [:]
    for text in texts + heldOutTexts where embeddings[text] == nil {
        embeddings[text] = [Float(judge.score(text))] + (0..<7).map { _ in Float(generator.normal()) }
    }
    let features = EmbeddingFeaturizer(embeddings: embeddings, reference: texts)
    let pool = stride(from: 0, to: texts.count, by: 2).map { PoolTask(prompt: "Which is better?", completions: [texts[$0], texts[$0 + 1]]) }
    let heldOut = stride(from: 0, to: heldOutTexts.count - 1, by: 2).compactMap { index -> PreferencePair? in
        let (a, b) = (heldOutTexts[index], heldOutTexts[index + 1])
        guard judge.score(a) != judge.score(b) else { return nil }
        let (better, worse) = judge.score(a) > judge.score(b) ? (a, b) : (b, a)
        return PreferencePair(better: features.features(of: better), worse: features.features(of: worse))
    }
    let settings = ActiveCurveSettings(
        budget: 40, rounds: 2, annotators: 2, temperature: 0.3, learner: learner, ensemble: EnsembleSettings(members: 3, learningRate: 0.5),
        dimensions: 1)
    let experiment = try ActiveCurveRun(pool: pool, heldOut: heldOut, lexicon: lexicon, settings: settings, featurizer: features)
    for active in [true, false] {
        let curve = try await experiment.curve(active: active, seed: 0)
        #expect(curve.last!.accuracy > 0.8, "\(learner), active \(active): \(curve)")
    }
    #expect(try await experiment.curve(active: true, seed: 0) == experiment.curve(active: true, seed: 0), "deterministic given the seed")
}
