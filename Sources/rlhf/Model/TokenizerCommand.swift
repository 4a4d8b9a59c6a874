// `rlhf tokenizer train`: learn a byte-level BPE vocabulary from a corpus.
import ArgumentParser
import Corpora
import Foundation
import Reporting
import Tokenization

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer", abstract: "Train byte-level BPE tokenizers.", subcommands: [Train.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Train a BPE vocabulary on text files and folders; writes vocab.json and merges.txt.")

        @Option(name: .customLong("corpus"), help: "A text file or folder (repeatable).")
        var corpus: [String]

        @Option(help: "Vocabulary size, special tokens included.")
        var vocabularySize = 4096

        @Option(help: "The folder to write vocab.json and merges.txt into.")
        var output: String

        func run() throws {
            guard !corpus.isEmpty else { throw ValidationError("give at least one --corpus") }
            let documents = try TextCorpus.documents(at: corpus.map { URL(fileURLWithPath: $0) })
            let trainer = BPETrainer(config: BPETrainingConfig(vocabularySize: vocabularySize))
            let bar = ProgressBar(title: "BPE", total: trainer.config.mergeCount, unit: "merges")
            let tokenizer = try trainer.train(on: documents) { progress in
                if progress.phase == .merging { bar.update(progress.completed) }
            }
            bar.finish()
            try tokenizer.save(to: URL(fileURLWithPath: output))
            print("tokenizer with \(tokenizer.vocabularySize) tokens (\(tokenizer.mergeCount) merges) from \(documents.count) documents written to \(output)")
        }
    }
}
