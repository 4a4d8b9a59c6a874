// How repetitive a set of responses is: distinct-1 and distinct-2 over the whole set (Li et al.
// 2016, "A Diversity-Promoting Objective Function for Neural Conversation Models"), the share of
// 3- and 4-grams a response repeats from earlier in itself, and the share of responses that are
// word for word another's. A policy that has collapsed onto a few stock phrases ("funny.",
// "right.", "it's good") scores low distinct-n and a high duplicate share, whatever a judge says.
//
// Counted over words of the decoded text rather than token ids, so two policies with different
// tokenizers (or a tokenizer change between runs) are measured on the same scale: a word is a
// maximal run of letters, digits and inner apostrophes, lowercased; punctuation separates words
// and is not counted ("Good, good." is two words, both "good").

public struct RepetitionStatistics: Codable, Sendable, Equatable {
    /// Responses measured.
    public var responses: Int
    /// Mean words per response.
    public var meanWords: Double
    /// Distinct unigrams over all unigrams of the set (1 when no word repeats anywhere).
    public var distinct1: Double
    /// Distinct bigrams over all bigrams of the set; bigrams do not span two responses.
    public var distinct2: Double
    /// Of all 3-grams of the set, the share that already occurred earlier in the same response.
    public var repeatedTrigramShare: Double
    /// Of all 4-grams of the set, the share that already occurred earlier in the same response.
    public var repeatedFourGramShare: Double
    /// Share of responses whose words equal those of an earlier response of the set.
    public var duplicateResponseShare: Double

    /// Measures `texts` (decoded responses, without stop tokens). Shares of an empty pool are 0.
    public init(texts: [String]) {
        self.init(words: texts.map(Self.words))
    }

    /// Measures responses already split into `words`.
    public init(words responses: [[String]]) {
        self.responses = responses.count
        meanWords = Double(responses.map(\.count).reduce(0, +)) / Double(max(responses.count, 1))
        distinct1 = Self.distinctShare(responses, n: 1)
        distinct2 = Self.distinctShare(responses, n: 2)
        repeatedTrigramShare = Self.repeatedShare(responses, n: 3)
        repeatedFourGramShare = Self.repeatedShare(responses, n: 4)
        var seen = Set<[String]>(), duplicates = 0
        for response in responses where !seen.insert(response).inserted { duplicates += 1 }
        duplicateResponseShare = Double(duplicates) / Double(max(responses.count, 1))
    }

    /// The lowercased words of `text`: runs of letters and digits, with an apostrophe kept only
    /// between two of them ("it's", but not the quotes of 'good').
    public static func words(_ text: String) -> [String] {
        var words: [String] = [], current = ""
        let characters = Array(text.lowercased())
        for (index, character) in characters.enumerated() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if character == "'" || character == "’", !current.isEmpty, index + 1 < characters.count,
                      characters[index + 1].isLetter || characters[index + 1].isNumber {
                current.append("'")
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    private static func nGrams(_ words: [String], n: Int) -> [ArraySlice<String>] {
        words.count < n ? [] : (0...(words.count - n)).map { words[$0..<($0 + n)] }
    }

    private static func distinctShare(_ responses: [[String]], n: Int) -> Double {
        var unique = Set<ArraySlice<String>>(), total = 0
        for response in responses {
            let grams = nGrams(response, n: n)
            total += grams.count
            unique.formUnion(grams)
        }
        return total == 0 ? 0 : Double(unique.count) / Double(total)
    }

    private static func repeatedShare(_ responses: [[String]], n: Int) -> Double {
        var repeated = 0, total = 0
        for response in responses {
            var earlier = Set<ArraySlice<String>>()
            for gram in nGrams(response, n: n) {
                total += 1
                if !earlier.insert(gram).inserted { repeated += 1 }
            }
        }
        return total == 0 ? 0 : Double(repeated) / Double(total)
    }
}
