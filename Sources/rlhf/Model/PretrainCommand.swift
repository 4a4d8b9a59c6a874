// `rlhf pretrain`: train a GPT from scratch on a text corpus.
import ArgumentParser
import Finetuning
import Foundation
import LanguageModelData
import LanguageModeling
import Tokenization
import TrainingRuns
import Transformer

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain", abstract: "Pretrain a GPT on text files and folders (random windows of one token stream).")

    @Option(help: "A folder with the tokenizer's vocab.json and merges.txt.")
    var tokenizer: String

    @Option(name: .customLong("corpus"), help: "A text file or folder (repeatable).")
    var corpus: [String]

    @OptionGroup var runOptions: RunOptions

    @Option(help: "Optimizer steps (overrides the configuration's optimization.steps, \(PretrainingConfiguration().optimization.steps) by default).")
    var steps: Int?

    func run() throws {
        guard !corpus.isEmpty else { throw ValidationError("give at least one --corpus") }
        var configuration = try runOptions.configuration(PretrainingConfiguration.self)
        if let steps { configuration.optimization.steps = steps }
        try configuration.validate()
        let world = try TrainingWorld.join()
        let folder = RunFolder(runOptions.folderURL)
        // The corpus's content is tied to the run by its token cache's record (Recipes.tokenStreams).
        var inputs = RunInputs()
        inputs.recordPath("--tokenizer", tokenizer)
        inputs.recordPaths("--corpus", corpus)
        try TrainingWorld.prepare(folder, configuration: configuration, inputs: inputs, resuming: runOptions.resume, world: world)

        let bpe = try BPETokenizer(directory: URL(fileURLWithPath: tokenizer))
        let streams = try TrainingWorld.rootFirst(world) {
            try Recipes.tokenStreams(corpus: corpus.map { URL(fileURLWithPath: $0) }, tokenizer: bpe, run: folder, heldOutPeriod: configuration.heldOutPeriod)
        }
        print("corpus: \(streams.training.count) training and \(streams.heldOut.count) held-out tokens")
        let endOfText = bpe.specialTokenID("<|endoftext|>").map(Int32.init)
        let network = try GPT(configuration: configuration.model.configuration(vocabularySize: bpe.vocabularySize, endOfText: endOfText))
        network.initialize(seed: configuration.initializationSeed)
        print("model: \(network.configuration.parameterCount) parameters")
        let data = try PretrainingData(training: streams.training, heldOut: streams.heldOut, window: configuration.model.contextLength, seed: configuration.optimization.seed)
        let trainer = try LanguageModelTrainer(
            model: LanguageModel(network: network, tokenizer: bpe), data: data, settings: configuration.optimization, run: folder, communicator: world)
        if runOptions.resume, try trainer.resumeFromLatestCheckpoint() == nil { print("no checkpoint to resume from; starting at step 0") }
        let view = TrainingProgressView(title: "pretrain")
        let start = Date()
        let loss = try trainer.train(events: view.handle)
        try TrainingWorld.finish(world, steps: trainer.completedSteps, seconds: Date().timeIntervalSince(start))
        print(loss.map { String(format: "held-out loss %.4f, perplexity %.2f; model in %@", $0, Foundation.exp($0), folder.modelURL.path) } ?? "model in \(folder.modelURL.path)")
    }
}
