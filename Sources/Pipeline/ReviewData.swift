// The demo's data from real Rotten Tomatoes critics: movies split into training and held-out
// sets (so no evaluation prompt comes from a movie seen in training), demonstrations for
// fine-tuning, and review openings as prompts.
import Corpora
import Finetuning
import Foundation
import Randomness

public struct ReviewData: Sendable {
    public let training: [ReviewSnippet]
    public let heldOut: [ReviewSnippet]

    /// Splits by movie: about `heldOutFraction` of the movies, chosen by the seed, are held out.
    /// A held-out snippet whose text a training snippet also has is left out: the corpus files
    /// one film under two names ("el_crimen_del_padre_amaro" and "the_crime_of_padre_amaro"
    /// share 35 snippets), and a split between them would evaluate on text trained on.
    public init(snippets: [ReviewSnippet], heldOutFraction: Double, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        let movies = Array(Set(snippets.map(\.movie))).sorted()
        let order = generator.permutation(movies.count)
        let heldOutMovies = Set(order.prefix(Int(Double(movies.count) * heldOutFraction)).map { movies[$0] })
        training = snippets.filter { !heldOutMovies.contains($0.movie) }
        let trainedTexts = Set(training.map(\.text))
        heldOut = snippets.filter { heldOutMovies.contains($0.movie) && !trainedTexts.contains($0.text) }
    }

    /// A review opening: the first `words` words (the rest is what a model writes).
    public static func opening(of text: String, words: Int) -> (prompt: String, continuation: String)? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count > words else { return nil }
        return (parts.prefix(words).joined(separator: " "), " " + parts.dropFirst(words).joined(separator: " "))
    }

    /// Demonstrations: each training snippet's opening as prompt and its rest as response.
    public func demonstrations(openingWords: Int) -> [Demonstration] {
        training.compactMap { snippet in
            Self.opening(of: snippet.text, words: openingWords).map { Demonstration(prompt: $0.prompt, response: $0.continuation) }
        }
    }

    /// Distinct openings of the given snippets, in a seeded order, leaving out those in `excluded`.
    public static func prompts(from snippets: [ReviewSnippet], openingWords: Int, count: Int, seed: UInt64, excluding excluded: Set<String> = []) -> [String] {
        prompts(from: snippets, count: count, seed: seed, excluding: excluded) { opening(of: $0.text, words: openingWords)?.prompt }.texts
    }

    /// The first `count` of the distinct prompts `prompt` makes of the snippets (nil: none) that
    /// are not in `excluded`, in an order drawn from `seed`, each with the film of the first
    /// snippet that made it: prompts from one film are not independent evidence.
    static func prompts(
        from snippets: [ReviewSnippet], count: Int, seed: UInt64, excluding excluded: Set<String> = [], prompt: (ReviewSnippet) -> String?
    ) -> (texts: [String], films: [String]) {
        var seen = excluded, kept: [(text: String, film: String)] = []
        for snippet in snippets {
            guard let text = prompt(snippet), seen.insert(text).inserted else { continue }
            kept.append((text, snippet.movie))
        }
        var generator = RandomGenerator(seed: seed)
        let chosen = generator.permutation(kept.count).prefix(count).map { kept[$0] }
        return (chosen.map(\.text), chosen.map(\.film))
    }

    /// Openings of held-out movies' snippets that no training snippet opens with. A few words
    /// ("It's a movie") open reviews of many films, and an evaluation prompt that was also a
    /// fine-tuning or PPO prompt would measure recall, not generalisation. Each comes with its film.
    public func heldOutPrompts(openingWords: Int, count: Int, seed: UInt64) -> (texts: [String], films: [String]) {
        let trained = Set(training.compactMap { Self.opening(of: $0.text, words: openingWords)?.prompt })
        return Self.prompts(from: heldOut, count: count, seed: seed, excluding: trained) { Self.opening(of: $0.text, words: openingWords)?.prompt }
    }
}
