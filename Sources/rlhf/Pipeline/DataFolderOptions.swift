// The shipped data's folder, for every command that reads prompts, the annotators' lexicon or
// the models from it.
import ArgumentParser
import Foundation

struct DataFolderOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "The folder scripts/fetch-data.sh filled (Rotten Tomatoes snippets, VADER's lexicon, the models).")
    var path = "data"

    var url: URL { URL(fileURLWithPath: path) }
}
