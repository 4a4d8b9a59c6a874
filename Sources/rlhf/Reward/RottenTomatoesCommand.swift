// `rlhf reward rotten-tomatoes`: real human labels as reward-model data: critics' fresh and
// rotten snippets paired within each movie and split by movie, with the held-out movies'
// labelled snippets, SFT demonstrations, prompts of the training movies, and chat requests for
// reviews of either movies' films.
import ArgumentParser
import Corpora
import Feedback
import FeedbackComparisons
import Finetuning
import Foundation
import Pipeline
import RewardModeling
import TrainingRuns

struct RottenTomatoesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotten-tomatoes", abstract: "Write Rotten Tomatoes within-movie pairs (fresh ≻ rotten) split by movie, and derived files.")

    @Option(help: "The snippets CSV (scripts/fetch-data.sh puts it here).")
    var data = RottenTomatoes.relativePath

    @Option(help: "The output folder.")
    var output: String

    @Option(help: "One movie in this many is held out.")
    var heldOutPeriod = 5

    @Option(help: "Pairs per snippet of a movie's larger verdict class, drawn from all fresh × rotten pairs.")
    var pairsPerSnippet = 2

    @Option(help: "Opening words that make a prompt (demonstrations and prompt files).")
    var promptWords = 3

    @Option(help: "Seed of the pair draw.")
    var seed: UInt64 = 0

    func validate() throws {
        guard heldOutPeriod >= 2 else { throw ValidationError("--held-out-period must be at least 2") }
        guard pairsPerSnippet > 0, promptWords > 0 else { throw ValidationError("--pairs-per-snippet and --prompt-words must be positive") }
    }

    func run() throws {
        let snippets = try RottenTomatoes.snippets(at: URL(fileURLWithPath: data))
        let split = HeldOutSplit(period: heldOutPeriod)
        let built = RottenTomatoesData(snippets: snippets, split: split, pairsPerSnippet: pairsPerSnippet, promptWords: promptWords, seed: seed)
        let folder = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try ComparisonSource.write(built.trainingPairs, to: folder.appendingPathComponent("train.jsonl"))
        try ComparisonSource.write(built.heldOutPairs, to: folder.appendingPathComponent("heldout.jsonl"))
        try JSONLines.write(built.heldOutTexts, to: folder.appendingPathComponent("heldout-texts.jsonl"))
        try DemonstrationFile.write(built.demonstrations.map { Demonstration(prompt: $0.prompt, response: $0.response) }, to: folder.appendingPathComponent("demonstrations.jsonl"))
        try JSONLines.write(built.trainingPrompts.map { ["prompt": $0] }, to: folder.appendingPathComponent("prompts-train.jsonl"))
        try JSONLines.write(built.heldOutPrompts.map { ["prompt": $0] }, to: folder.appendingPathComponent("prompts-heldout.jsonl"))
        // The SmolLM2 demo's chat requests ("Write a one-sentence review of the film ..."), for
        // `rlhf reward sample-tasks --chat`.
        for heldOut in [false, true] {
            var seen: Set<String> = []
            let requests = snippets.filter { split.isHeldOut($0.movie) == heldOut }.compactMap { snippet -> [String: String]? in
                guard let request = SmolLM2DemoPipeline.request(for: snippet, openingWords: promptWords), seen.insert(request).inserted else { return nil }
                return ["prompt": request, "film": snippet.movie]
            }
            try JSONLines.write(requests, to: folder.appendingPathComponent(heldOut ? "requests-heldout.jsonl" : "requests-train.jsonl"))
        }
        print("""
            \(snippets.count) snippets; training movies: \(built.trainingPairs.count) pairs, \(built.demonstrations.count) demonstrations, \(built.trainingPrompts.count) prompts
            held-out movies: \(built.heldOutPairs.count) pairs, \(built.heldOutTexts.count) labelled snippets, \(built.heldOutPrompts.count) prompts
            written to \(folder.path)
            """)
    }
}
