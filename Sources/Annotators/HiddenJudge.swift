// The hidden score a simulated annotator judges by: lexicon ratings summed over a text.

import Foundation

/// Whose ratings a judge uses.
package enum Rater: Sendable, Equatable, Hashable {
    /// One human rater's column of the lexicon (0-based).
    case individual(Int)
    /// The mean over all raters: the population's view.
    case population
}

/// Scores text by the ratings one rater (or the whole population) gave its words.
///
/// score = (sum of the known tokens' ratings) / √(number of tokens + 1): longer texts do not win by
/// length alone, and a text with no known word scores zero.
package struct HiddenJudge: Sendable {
    /// The lexicon the ratings come from.
    package let lexicon: RaterLexicon
    /// Whose ratings are used.
    package let rater: Rater

    /// A judge using `rater`'s ratings; an individual rater must be a column of the lexicon.
    package init(lexicon: RaterLexicon, rater: Rater) throws {
        if case .individual(let column) = rater, !(0..<lexicon.raterCount).contains(column) {
            throw AnnotatorConfigurationError.raterOutOfRange(column, available: lexicon.raterCount)
        }
        self.init(checkedLexicon: lexicon, rater: rater)
    }

    private init(checkedLexicon lexicon: RaterLexicon, rater: Rater) {
        self.lexicon = lexicon
        self.rater = rater
    }

    /// The judge that uses every rater's mean rating: the stand-in for "what people in general
    /// prefer", used to evaluate a trained policy on a signal its reward model never saw.
    package static func population(_ lexicon: RaterLexicon) -> HiddenJudge {
        HiddenJudge(checkedLexicon: lexicon, rater: .population)
    }

    /// The hidden score of `text`.
    package func score(_ text: String) -> Double {
        let tokens = LexiconTokenizer.tokens(of: text)
        var sum = 0.0
        for token in tokens {
            guard let entry = lexicon[token] else { continue }
            switch rater {
            case .individual(let column): sum += entry.ratings[column]
            case .population: sum += entry.mean
            }
        }
        return sum / Double(tokens.count + 1).squareRoot()
    }
}

/// Splits text into lexicon tokens the way VADER does: on whitespace, punctuation trimmed from
/// a token's ends unless that leaves two characters or fewer (so ":)" and "<3" survive), lower-cased.
package enum LexiconTokenizer {
    /// The tokens of `text`, in order.
    package static func tokens(of text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map { word in
            let stripped = word.trimmingCharacters(in: punctuation)
            return (stripped.count <= 2 ? String(word) : stripped).lowercased()
        }
    }

    /// Python's `string.punctuation`, which VADER strips.
    private static let punctuation = CharacterSet(charactersIn: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
}
