// `rlhf evaluate` where a figure cannot be measured: an empty prompt file is an error naming it,
// not a win rate over no prompts, and greedy samples (--temperature 0) print their KL as n/a.
import Foundation
import ModelTestSupport
import Testing

@Suite struct EvaluateCommandTests {
    static let lexicon = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/reward/vader_lexicon.txt").path

    @Test func anEmptyPromptFileIsAnErrorNamingIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-empty-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try saveTinyLlama(in: folder)
        let prompts = folder.appendingPathComponent("prompts.txt")
        try "\n  \n".write(to: prompts, atomically: true, encoding: .utf8)
        let result = try rlhf(["evaluate", "--model", model.path, "--baseline", model.path, "--prompts", prompts.path, "--lexicon", Self.lexicon])
        #expect(result.status != 0)
        #expect(result.error.contains(prompts.path) && result.error.contains("only blank lines"), "\(result.error)")
        #expect(!result.output.contains("win rate"), "\(result.output)")
    }

    @Test func greedySamplesPrintTheirKLAsNotApplicable() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-greedy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try saveTinyLlama(in: folder)
        let prompts = folder.appendingPathComponent("prompts.txt")
        try "ab0\nab1 cd\nef\n".write(to: prompts, atomically: true, encoding: .utf8)
        // Greedy: the tiny model's network has more ids than its tokenizer, which sampling could draw.
        let greedy = try rlhf(["evaluate", "--model", model.path, "--baseline", model.path, "--prompts", prompts.path, "--lexicon", Self.lexicon,
                               "--max-new-tokens", "4", "--fluency-model", model.path, "--temperature", "0"])
        #expect(greedy.status == 0, "\(greedy.error)")
        #expect(greedy.output.contains("win rate") && greedy.output.contains("over 3 prompts"), "\(greedy.output)")
        #expect(greedy.output.contains("model: judge") && greedy.output.contains("KL to reference n/a,"), "\(greedy.output)")
        #expect(greedy.output.contains("  fluency: perplexity "), "\(greedy.output)")
    }
}
