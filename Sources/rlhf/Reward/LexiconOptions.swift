// VADER's lexicon with its raters' individual ratings, for every command that simulates
// annotators or judges with the population judge.
import Annotators
import ArgumentParser
import Foundation

struct LexiconOptions: ParsableArguments {
    @Option(name: .customLong("lexicon"), help: "VADER's lexicon with its raters' individual ratings: the simulated annotators and the population judge read it (scripts/fetch-data.sh puts it here).")
    var path = "data/reward/vader_lexicon.txt"

    var url: URL { URL(fileURLWithPath: path) }

    func raters() throws -> RaterLexicon { try RaterLexicon(contentsOf: url) }
}
