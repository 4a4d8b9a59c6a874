// `rlhf best-of-n`: rejection sampling. N samples per prompt, the reward model's favourite kept;
// the ceiling a trained policy is compared with at the same reward model.
import AtomicFiles
import ArgumentParser
import Checkpoints
import Foundation
import LanguageModeling
import PolicyOptimization
import Randomness
import Reporting
import Transformer

struct BestOfNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "best-of-n", abstract: "Sample N answers per prompt and keep the one the reward model scores highest (rejection sampling).")

    @OptionGroup(title: "The model that samples") var model: ModelOptions
    @OptionGroup var reward: RewardModelOptions

    @Option(help: "Prompts: one per line, or JSONL with a \"prompt\" field.")
    var prompts: String

    @Option(name: .customShort("n"), help: "Samples per prompt.")
    var candidates = 16

    @Flag(help: "Wrap each prompt in the model's chat template; the reward model reads the plain prompt.")
    var chat = false

    @OptionGroup var sampling: SamplingOptions<BestOfNDefaults>

    @Option(help: "Rows sampled together.")
    var batchSize = 32

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(help: "JSONL file to write: prompt, response, score, candidate_scores per line.")
    var output: String

    func validate() throws {
        try CountOption.check(candidates, "-n")
        try CountOption.check(batchSize, "--batch-size")
    }

    func run() throws {
        let policy = try model.load()
        let encoded = try EncodedPrompts(file: prompts, policy: policy, chat: chat)
        let chooser = try BestOfN(
            model: policy, scorer: try reward.scorer(for: policy, plainPrompts: encoded.plainText), candidates: candidates,
            sampling: sampling.parameters, batchSize: batchSize)
        var generator = RandomGenerator(seed: seed)
        let bar = ProgressBar(title: "best-of-\(candidates)", total: encoded.tokens.count * candidates, unit: "samples")
        let choices = try chooser.choose(prompts: encoded.tokens, generator: &generator) { done, _ in bar.update(done) }
        bar.finish()
        let stops = Set(policy.stopTokens)
        var lines = Data()
        for (prompt, choice) in zip(encoded.tokens, choices) {
            let record: [String: Any] = [
                "prompt": try encoded.plainText?[prompt] ?? policy.decode(prompt),
                "response": try policy.decode(choice.response.filter { !stops.contains($0) }),
                "score": choice.score, "candidate_scores": choice.candidateScores,
            ]
            lines.append(try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes]))
            lines.append(0x0A)
        }
        try AtomicFile.write(lines, to: URL(fileURLWithPath: output))
        let best = choices.map(\.score).reduce(0, +) / Double(choices.count)
        let single = choices.map { $0.candidateScores[0] }.reduce(0, +) / Double(choices.count)
        print(String(format: "mean reward %.3f for the best of %d against %.3f for one sample, over %d prompts; written to %@",
                     best, candidates, single, choices.count, output))
    }
}
