// VADER's lexicon with its raters' individual ratings, for every command that simulates
// annotators or judges with the population judge.
import Annotators
import ArgumentParser
import Foundation

struct LexiconOptions: ParsableArguments {
    @Option(name: .customLong("lexicon"), help: "VADER's lexicon with its raters' individual ratings: the simulated annotators and the population judge read it (scripts/fetch-data.sh puts it here).")
    var path = "data/reward/vader_lexicon.txt"

    var url: URL { URL(fileURLWithPath: path) }

    /// The lexicon; a missing file says which option and script give one, since the default is
    /// relative to the directory the command runs in.
    func raters() throws -> RaterLexicon {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ValidationError("no lexicon at \(url.path): give --lexicon PATH, or run scripts/fetch-data.sh (the default is data/reward/vader_lexicon.txt under the directory the command runs in)")
        }
        return try RaterLexicon(contentsOf: url)
    }
}
