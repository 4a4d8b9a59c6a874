// `rlhf reward score`: rewards for (prompt, response) pairs, JSONL in and JSONL out.
import ArgumentParser
import Feedback
import Foundation
import Reporting
import RewardModeling
import TextFiles

struct RewardScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Score JSONL lines {\"prompt\": ..., \"response\": ...}; each line is written back with \"reward\".")

    /// An input line; other keys are kept in the output.
    struct Pair: Decodable, Sendable {
        var prompt: String
        var response: String
    }

    @Option(help: "A reward-model folder.")
    var model: String

    @Option(help: "The JSONL file of prompt/response pairs.")
    var input: String

    @Option(help: "Where to write the scored lines (JSONL).")
    var output: String

    @Option(help: "Sequences per forward pass.")
    var batchSize = 32

    @Flag(help: "Write the head's raw output instead of the normalised reward.")
    var raw = false

    func validate() throws {
        try CountOption.check(batchSize, "--batch-size")
        try OutputFile.check(output, "--output")
    }

    func run() throws {
        let url = URL(fileURLWithPath: input)
        let pairs = try JSONLines.readAtLeastOne(Pair.self, from: url)
        let reward = try RewardModel.load(from: URL(fileURLWithPath: model))
        let objects = try rawObjects(url)
        let bar = ProgressBar(title: "score", total: pairs.count, unit: "seq")
        var rewards: [Float] = []
        for start in stride(from: 0, to: pairs.count, by: 256) {
            let chunk = pairs[start..<min(start + 256, pairs.count)].map(\.value)
            rewards += try reward.scores(prompts: chunk.map(\.prompt), responses: chunk.map(\.response), batchSize: batchSize, normalized: !raw)
            bar.update(rewards.count)
        }
        bar.finish()
        var text = ""
        for (object, value) in zip(objects, rewards) {
            var scored = object
            scored["reward"] = Double(value)
            text += String(decoding: try JSONSerialization.data(withJSONObject: scored, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self) + "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        print("scored \(rewards.count) pairs into \(output)")
    }

    /// The input's non-blank lines as objects (already validated by the typed read).
    func rawObjects(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).fileLines.filter { !$0.allSatisfy(\.isWhitespace) }.map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
        }
    }
}
