// Repetition statistics on hand-counted examples: the word split, distinct-n over the set,
// within-response repeated n-grams and duplicate answers; the same at equal lengths.
import Evaluation
import Foundation
import Testing

@Suite struct RepetitionStatisticsTests {
    @Test func wordsAreLowercasedRunsOfLettersAndDigitsWithInnerApostrophes() {
        #expect(RepetitionStatistics.words("Goodness is lidece with a good, it's good") == ["goodness", "is", "lidece", "with", "a", "good", "it's", "good"])
        #expect(RepetitionStatistics.words("'Good' -- GOOD!! 10/10") == ["good", "good", "10", "10"])
        #expect(RepetitionStatistics.words("  .,;  ").isEmpty)
    }

    @Test func countsMatchAHandCount() {
        // Unigrams: 7 + 3, distinct {the, film, is, good, a}. Bigrams: 6 + 2, distinct 6 ("good good"
        // three times). Trigrams: 5 + 1, the second "good good good" repeats. 4-grams: 4, none repeats.
        let statistics = RepetitionStatistics(texts: ["The film is good good good good.", "A good film"])
        #expect(statistics.responses == 2)
        #expect(statistics.meanWords == 5)
        #expect(statistics.distinct1 == 0.5)
        #expect(statistics.distinct2 == 0.75)
        #expect(abs(statistics.repeatedTrigramShare - 1.0 / 6) < 1e-15)
        #expect(statistics.repeatedFourGramShare == 0)
        #expect(statistics.duplicateResponseShare == 0)
    }

    @Test func stockAnswersAreDuplicatesWithLowDiversity() {
        let collapsed = RepetitionStatistics(texts: ["funny.", "Funny!", "right.", "funny", ""])
        #expect(collapsed.duplicateResponseShare == 0.4, "the second and third \"funny\"")
        #expect(collapsed.distinct1 == 0.5, "2 distinct of 4 words")
        #expect(collapsed.distinct2 == 0 && collapsed.repeatedTrigramShare == 0, "no bigrams at all: shares of an empty pool are 0")
        let varied = RepetitionStatistics(texts: ["a warm and funny film", "tedious, overlong and flat", "the cast is superb"])
        #expect(varied.distinct1 > 0.9 && varied.distinct2 == 1 && varied.duplicateResponseShare == 0)
    }

    @Test func roundTripsThroughJSON() throws {
        let statistics = RepetitionStatistics(texts: ["good good good good", "right right"])
        #expect(try JSONDecoder().decode(RepetitionStatistics.self, from: JSONEncoder().encode(statistics)) == statistics)
        #expect(statistics.repeatedTrigramShare == 0.5 && statistics.repeatedFourGramShare == 0)
    }

    @Test func equalLengthsCutEachPromptsAnswersToTheShorterOne() {
        // Prompt 1: 4 words against 2, both cut to 2. Prompt 2: 3 against 5, both cut to 3.
        let matched = LengthMatchedRepetition(
            policyTexts: ["good good good good", "a fine film"],
            baselineTexts: ["a film", "the film is the film"])
        #expect(matched.policy == RepetitionStatistics(texts: ["good good", "a fine film"]))
        #expect(matched.baseline == RepetitionStatistics(texts: ["a film", "the film is"]))
        #expect(matched.policy.meanWords == matched.baseline.meanWords)
    }

    @Test func shorterAnswersLookLessRepetitiveUntilCutToEqualLengths() {
        // One writer over eight words, one side stopped after 4 of its 12: pooled distinct-2
        // flatters the short side and its within-answer repeats vanish; at equal lengths the two
        // sides are the same.
        let long = (0..<20).map { i in (0..<12).map { j in "w\((i * 7 + j * j) % 8)" }.joined(separator: " ") }
        let short = long.map { RepetitionStatistics.words($0).prefix(4).joined(separator: " ") }
        let whole = (RepetitionStatistics(texts: short), RepetitionStatistics(texts: long))
        #expect(whole.0.distinct2 > whole.1.distinct2 && whole.0.repeatedTrigramShare < whole.1.repeatedTrigramShare)
        let matched = LengthMatchedRepetition(policyTexts: short, baselineTexts: long)
        #expect(matched.policy == matched.baseline)
    }

    @Test func unpartneredAnswersAreLeftOut() {
        let matched = LengthMatchedRepetition(policyTexts: ["one two", "three four"], baselineTexts: ["five six"])
        #expect(matched.policy.responses == 1 && matched.baseline.responses == 1)
    }
}
