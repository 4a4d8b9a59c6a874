// Real human labels for the reward model: Rotten Tomatoes critics' snippets, paired within a
// movie (fresh = chosen, rotten = rejected) and split by movie, so that held-out movies are
// never seen in training; plus the texts and prompts the other experiments derive from them.
import Corpora
import Randomness
import TrainingRuns

/// A text with a binary human label, for ROC AUC.
public struct LabelledText: Codable, Sendable, Equatable {
    public var text: String
    /// True for the positive class (a fresh review).
    public var label: Bool
    /// What the text belongs to (its movie).
    public var group: String?

    public init(text: String, label: Bool, group: String? = nil) {
        self.text = text
        self.label = label
        self.group = group
    }
}

/// The Rotten Tomatoes snippets turned into reward-model data.
public struct RottenTomatoesData: Sendable {
    /// Within-movie pairs of training movies, with an empty prompt and the movie as group.
    public var trainingPairs: [Comparison] = []
    /// Within-movie pairs of held-out movies.
    public var heldOutPairs: [Comparison] = []
    /// Every snippet of the held-out movies with its verdict.
    public var heldOutTexts: [LabelledText] = []
    /// Training movies' snippets as SFT demonstrations: the first words are the prompt.
    public var demonstrations: [(prompt: String, response: String)] = []
    /// Distinct opening words of training and of held-out movies' snippets (no prompt in both),
    /// for sampling a policy's responses.
    public var trainingPrompts: [String] = []
    public var heldOutPrompts: [String] = []

    /// - Parameters:
    ///   - split: held-out movies are those it holds out by name.
    ///   - pairsPerSnippet: each movie gets at most this many pairs per snippet of its larger
    ///     verdict class, drawn without replacement from all fresh × rotten pairs.
    ///   - promptWords: how many opening words make a prompt (snippets need 2 more words).
    public init(snippets: [ReviewSnippet], split: HeldOutSplit, pairsPerSnippet: Int = 2, promptWords: Int = 3, seed: UInt64 = 0) {
        var generator = RandomGenerator(seed: seed)
        var movies: [String: (fresh: [String], rotten: [String])] = [:]
        var movieOrder: [String] = []
        for snippet in snippets where !snippet.text.isEmpty {
            if movies[snippet.movie] == nil { movieOrder.append(snippet.movie) }
            switch snippet.verdict {
            case .fresh: movies[snippet.movie, default: ([], [])].fresh.append(snippet.text)
            case .rotten: movies[snippet.movie, default: ([], [])].rotten.append(snippet.text)
            }
        }
        var trainingPromptSet: Set<String> = [], heldOutPromptSet: Set<String> = []
        for movie in movieOrder {
            let (fresh, rotten) = movies[movie]!
            let heldOut = split.isHeldOut(movie)
            let pairs = Self.pairs(fresh: fresh, rotten: rotten, movie: movie, perSnippet: pairsPerSnippet, generator: &generator)
            if heldOut {
                heldOutPairs += pairs
                heldOutTexts += fresh.map { LabelledText(text: $0, label: true, group: movie) }
                heldOutTexts += rotten.map { LabelledText(text: $0, label: false, group: movie) }
            } else {
                trainingPairs += pairs
            }
            for text in fresh + rotten {
                let words = text.split(separator: " ")
                guard words.count >= promptWords + 2 else { continue }
                let prompt = words.prefix(promptWords).joined(separator: " ")
                if heldOut {
                    heldOutPromptSet.insert(prompt)
                } else {
                    trainingPromptSet.insert(prompt)
                    demonstrations.append((prompt, " " + words.dropFirst(promptWords).joined(separator: " ")))
                }
            }
        }
        trainingPrompts = trainingPromptSet.sorted()
        heldOutPrompts = heldOutPromptSet.subtracting(trainingPromptSet).sorted()
    }

    /// Up to `perSnippet`·max(|fresh|, |rotten|) distinct fresh ≻ rotten pairs of one movie.
    static func pairs(fresh: [String], rotten: [String], movie: String, perSnippet: Int, generator: inout RandomGenerator) -> [Comparison] {
        let all = fresh.count * rotten.count
        let wanted = min(all, perSnippet * max(fresh.count, rotten.count))
        return generator.permutation(all).prefix(wanted).map { index in
            Comparison(prompt: "", chosen: fresh[index / rotten.count], rejected: rotten[index % rotten.count], group: movie)
        }
    }
}
