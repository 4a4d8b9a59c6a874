// Repetition statistics on hand-counted examples: the word split, distinct-n over the set,
// within-response repeated n-grams and duplicate answers.
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
}
