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
    public init(snippets: [ReviewSnippet], heldOutFraction: Double, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        let movies = Array(Set(snippets.map(\.movie))).sorted()
        let order = generator.permutation(movies.count)
        let heldOutMovies = Set(order.prefix(Int(Double(movies.count) * heldOutFraction)).map { movies[$0] })
        training = snippets.filter { !heldOutMovies.contains($0.movie) }
        heldOut = snippets.filter { heldOutMovies.contains($0.movie) }
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

    /// Distinct openings of the given snippets, in a seeded order.
    public static func prompts(from snippets: [ReviewSnippet], openingWords: Int, count: Int, seed: UInt64) -> [String] {
        var seen = Set<String>(), prompts: [String] = []
        for snippet in snippets {
            if let opening = opening(of: snippet.text, words: openingWords)?.prompt, seen.insert(opening).inserted {
                prompts.append(opening)
            }
        }
        var generator = RandomGenerator(seed: seed)
        return generator.permutation(prompts.count).prefix(count).map { prompts[$0] }
    }
}
