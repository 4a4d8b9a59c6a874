// Simulated annotators: lexicon parsing, hidden scores, and noise that follows Bradley-Terry.

import Foundation
import Randomness
import Testing
@testable import Annotators

/// Three raters, four words: rater 2 likes "fine" where the others do not, as real raters disagree.
private let tinyLexiconText = """
    good\t2.0\t0.8\t[2, 3, 1]\r
    bad\t-2.0\t0.8\t[-2, -1, -3]\r
    fine\t0.0\t1.6\t[-1, -1, 2]\r
    :)\t2.0\t0.0\t[2, 2, 2]\r

    """

private func tinyLexicon() throws -> RaterLexicon {
    try RaterLexicon(text: tinyLexiconText, source: "tiny")
}

@Test func lexiconParsesCRLFLinesAndKeepsEveryRater() throws {
    let lexicon = try tinyLexicon()
    #expect(lexicon.count == 4 && lexicon.raterCount == 3)
    #expect(lexicon["fine"] == RaterLexicon.Entry(mean: 0, ratings: [-1, -1, 2]))
}

@Test func malformedLexiconLinesNameTheLine() {
    #expect(throws: LexiconError(source: "x", line: 2, reason: "mean rating 'high' is not a number")) {
        try RaterLexicon(text: "good\t2\t1\t[2, 2]\nbad\thigh\t1\t[1, 1]\n", source: "x")
    }
    #expect(throws: LexiconError(source: "x", line: 2, reason: "expected 2 ratings, found 3")) {
        try RaterLexicon(text: "good\t2\t1\t[2, 2]\nbad\t1\t1\t[1, 1, 1]\n", source: "x")
    }
}

@Test func tokensAreTrimmedLikeVader() {
    #expect(LexiconTokenizer.tokens(of: "Good!!  movie, :) <3 a.") == ["good", "movie", ":)", "<3", "a."])
}

@Test func hiddenScoreSumsRatingsOverRootLength() throws {
    let lexicon = try tinyLexicon()
    let rater0 = try HiddenJudge(lexicon: lexicon, rater: .individual(0))
    let rater2 = try HiddenJudge(lexicon: lexicon, rater: .individual(2))
    // Three tokens, two known: (2 + (−1)) / √4 for rater 0, (1 + 2) / √4 for rater 2.
    #expect(rater0.score("Good, fine film") == 0.5)
    #expect(rater2.score("Good, fine film") == 1.5)
    #expect(HiddenJudge.population(lexicon).score("good fine film") == 1.0)
    #expect(rater0.score("") == 0)
    #expect(throws: AnnotatorConfigurationError.raterOutOfRange(3, available: 3)) {
        try HiddenJudge(lexicon: lexicon, rater: .individual(3))
    }
}

@Test func pairwiseChoicesFollowTheLogisticCurve() throws {
    let judge = try HiddenJudge(lexicon: try tinyLexicon(), rater: .population)
    var annotator = try SimulatedAnnotator(judge: judge, temperature: 0.5, generator: RandomGenerator(seed: 3))
    let better = "good", worse = "fine"  // scores 2/√2 and 0
    let trials = 20_000
    let wins = (0..<trials).filter { _ in annotator.compare(better, worse) == .first }.count
    let expected = 1 / (1 + exp(-(2 / 2.0.squareRoot()) / 0.5))
    #expect(abs(Double(wins) / Double(trials) - expected) < 0.01, "won \(wins) of \(trials), expected \(expected)")
}

@Test func closeScoresTieAndTheTieMarginIsValidated() throws {
    let judge = HiddenJudge.population(try tinyLexicon())
    var annotator = try SimulatedAnnotator(judge: judge, tieMargin: 0.1, generator: RandomGenerator(seed: 1))
    #expect(annotator.compare("good movie", "movie good") == .tie)
    #expect(annotator.rank(["good", "good", "bad"]).count == 2)
    #expect(throws: AnnotatorConfigurationError.invalidTemperature(0)) {
        try SimulatedAnnotator(judge: judge, temperature: 0, generator: RandomGenerator(seed: 1))
    }
    #expect(throws: AnnotatorConfigurationError.invalidTieMargin(-1)) {
        try SimulatedAnnotator(judge: judge, tieMargin: -1, generator: RandomGenerator(seed: 1))
    }
}

@Test func rankingsFollowPlackettLuce() throws {
    let judge = HiddenJudge.population(try tinyLexicon())
    var annotator = try SimulatedAnnotator(judge: judge, temperature: 1, generator: RandomGenerator(seed: 9))
    let texts = ["good", "fine", "bad"]
    let scores = texts.map(judge.score)
    let total = scores.map { exp($0) }.reduce(0, +)
    var firsts = [0, 0, 0]
    let trials = 20_000
    for _ in 0..<trials {
        let tiers = annotator.rank(texts)
        #expect(tiers.count == 3 && Set(tiers.joined()) == [0, 1, 2])
        firsts[tiers[0][0]] += 1
    }
    for i in texts.indices {
        let expected = exp(scores[i]) / total
        #expect(abs(Double(firsts[i]) / Double(trials) - expected) < 0.01, "text \(i) first \(firsts[i]) times")
    }
}

@Test func panelsAreSeededAndUseOneRaterColumnEach() throws {
    let lexicon = try tinyLexicon()
    var a = try SimulatedAnnotator.panel(lexicon: lexicon, count: 4, seed: 5)
    var b = try SimulatedAnnotator.panel(lexicon: lexicon, count: 4, seed: 5)
    #expect(a.map(\.judge.rater) == [.individual(0), .individual(1), .individual(2), .individual(0)])
    let texts = ["good fine", "fine", "bad fine", "good"]
    for i in a.indices {
        #expect(a[i].rank(texts) == b[i].rank(texts))
    }
    #expect(a[0].callsAllBad(["bad"]) == false)
    let strict = try SimulatedAnnotator.panel(lexicon: lexicon, count: 1, bothBadBelow: 0, seed: 5)[0]
    #expect(strict.callsAllBad(["bad", "bad fine"]) && !strict.callsAllBad(["bad", "good"]))
}

@Test func realVaderRatersDisagree() throws {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let url = packageRoot.appendingPathComponent("data/reward/vader_lexicon.txt")
    try #require(FileManager.default.fileExists(atPath: url.path), "missing \(url.path): run scripts/fetch-data.sh first")
    let lexicon = try RaterLexicon(contentsOf: url)
    // 7,520 lines, 7,506 distinct tokens (VADER's file repeats a few).
    #expect(lexicon.count == 7_506)
    #expect(lexicon.raterCount == 10)
    #expect(lexicon["good"] == RaterLexicon.Entry(mean: 1.9, ratings: [2, 1, 1, 3, 2, 4, 2, 2, 1, 1]))
    let review = "A good cast cannot save this dull and pointless plot, though the ending is sweet."
    let scores = try (0..<10).map { try HiddenJudge(lexicon: lexicon, rater: .individual($0)).score(review) }
    #expect(Set(scores).count > 3, "ten raters should not all agree: \(scores)")
    let population = HiddenJudge.population(lexicon)
    #expect(population.score("a wonderful, moving film") > population.score("a dull, pointless film"))
}
