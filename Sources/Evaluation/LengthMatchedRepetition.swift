// Repetition of two sides at equal lengths. Pooled distinct-n falls as a set grows (each new
// bigram is less likely to be new, Heaps' law), and a response repeats its own 3-grams more the
// longer it runs, so a policy whose answers shrank looks less repetitive than its baseline for
// that alone. Cutting each prompt's two answers to the shorter one's words measures both sides on
// the same number of words per prompt, over the same prompts, so what remains is how they write.
// (Liu et al. 2022, "Rethinking and Refining the Distinct Metric", show the length bias; their
// correction needs a vocabulary size, which decoded words do not have.)

public struct LengthMatchedRepetition: Codable, Sendable, Equatable {
    /// The policy's answers, each cut to its prompt's shorter answer.
    public var policy: RepetitionStatistics
    /// The baseline's answers, cut the same way.
    public var baseline: RepetitionStatistics

    /// `policyTexts[i]` and `baselineTexts[i]` answer the same prompt; extra texts on either side
    /// have no partner and are left out. An empty answer cuts its partner to nothing, so a policy
    /// that says nothing repeats nothing here: the length ratio beside it is what catches that.
    public init(policyTexts: [String], baselineTexts: [String]) {
        var policyWords: [[String]] = [], baselineWords: [[String]] = []
        for (a, b) in zip(policyTexts.map(RepetitionStatistics.words), baselineTexts.map(RepetitionStatistics.words)) {
            let length = min(a.count, b.count)
            policyWords.append(Array(a.prefix(length)))
            baselineWords.append(Array(b.prefix(length)))
        }
        policy = RepetitionStatistics(words: policyWords)
        baseline = RepetitionStatistics(words: baselineWords)
    }
}
