// `rlhf reward sample-tasks`: a policy's own samples as comparison tasks to label: K
// responses per prompt (continuations, or with --chat answers in the model's chat template),
// written as a task file for `rlhf tasks import`.
import ArgumentParser
import Feedback
import Foundation
import LanguageModeling
import Randomness
import Reporting
import Transformer

struct SampleTasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-tasks", abstract: "Sample K responses per prompt from a model into a task file (JSONL) for labeling.")

    /// A line of a prompts file; other keys are ignored.
    struct PromptLine: Decodable, Sendable {
        var prompt: String
    }

    @OptionGroup var model: ModelOptions

    @Flag(help: "Treat each prompt as a user message in the model's chat template and sample its answers.")
    var chat = false

    @Option(help: "Prompts, JSONL with a \"prompt\" field per line (e.g. a demonstrations or prompts file).")
    var prompts: String

    @Option(help: "Tasks to write; prompts are used in a seeded random order, cycling if needed.")
    var count: Int

    @Option(help: "Responses per task (K).")
    var responses = 2

    @OptionGroup var sampling: SamplingOptions<TaskSamplingDefaults>

    @Option(help: "The model name recorded with each completion.")
    var name = "sft"

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(help: "The task file to write.")
    var output: String

    func validate() throws {
        try CountOption.check(count, "--count")
        try CountOption.check(responses, "--responses", from: 2)
    }

    func run() throws {
        let policy = try model.load()
        guard !chat || policy.chatTemplate != nil else {
            throw ValidationError("\(model.model) has no chat template; leave out --chat to continue text")
        }
        let available = Array(Set(try JSONLines.readAtLeastOne(PromptLine.self, from: URL(fileURLWithPath: prompts)).map(\.value.prompt))).sorted()
        var generator = RandomGenerator(seed: seed)
        let order = generator.permutation(available.count)
        let parameters = sampling.parameters
        let bar = ProgressBar(title: "sample", total: count, unit: "tasks")
        var tasks: [TaskLine] = [], cursor = 0, rounds = 0
        // Tasks whose responses are empty or identical teach nothing; their prompts are skipped.
        while tasks.count < count && rounds < 4 * count {
            let batch = (0..<16).map { available[order[(cursor + $0) % order.count]] }
            cursor += batch.count
            rounds += batch.count
            let expanded = batch.flatMap { Array(repeating: $0, count: responses) }
            let texts = chat
                ? try policy.answer(expanded.map { [ChatMessage(role: "user", content: $0)] }, parameters: parameters, generator: &generator)
                : try policy.complete(expanded, parameters: parameters, generator: &generator)
            for (index, prompt) in batch.enumerated() where tasks.count < count {
                let answers = Array(texts[(index * responses)..<((index + 1) * responses)])
                guard Set(answers).count == responses, !answers.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) else { continue }
                tasks.append(TaskLine(prompt: prompt, completions: answers.map { TaskLine.CompletionLine(text: $0, model: name, checkpoint: model.model, seed: seed) }))
            }
            bar.update(tasks.count)
        }
        bar.finish()
        try JSONLines.write(tasks, to: URL(fileURLWithPath: output))
        print("wrote \(tasks.count) tasks of \(responses) responses to \(output)")
    }
}
