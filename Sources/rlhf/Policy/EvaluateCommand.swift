// `rlhf evaluate`: the win rate of one model over another on held-out prompts by a chosen judge,
// with a confidence interval, the KL of each to a reference, and the reference's perplexity of
// their samples.
import Annotators
import ArgumentParser
import Evaluation
import Finetuning
import Foundation
import LanguageModeling
import Reporting
import RewardModeling
import Transformer

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Win rate of --model over --baseline on prompts, by the population judge, one simulated rater, or a reward model.")

    @OptionGroup(title: "The model to evaluate (e.g. the PPO policy)")
    var model: ModelOptions

    @Option(help: "The model it is compared with (e.g. the SFT model), loaded as --model is.")
    var baseline: String

    @Option(help: "A PEFT adapter folder to apply on top of --baseline.")
    var baselineAdapter: String?

    @Option(help: "The reference the KL and perplexity are measured against, loaded as --model is (default: the baseline).")
    var reference: String?

    @Option(help: "Held-out prompts: one per line, or JSONL with a \"prompt\" field.")
    var prompts: String

    @Flag(help: "Chat prompts: wrap each prompt in the model's chat template (both models must share it); a reward-model judge reads the plain prompt.")
    var chat = false

    @Option(help: "population (mean of all raters), rater:N (one simulated annotator's rater column), or reward:DIR (a reward model).")
    var judge = "population"

    @OptionGroup var lexicon: LexiconOptions

    @OptionGroup var sampling: SamplingOptions<EvaluationDefaults>

    @Option(help: "Random seed: the policy samples with it, the baseline with the next one, so their answers are independent draws.")
    var seed: UInt64 = 0

    @Option(help: "Prompts sampled at once.")
    var batchSize = 64

    @Option(help: "A strong model (folder or .gguf) whose perplexity of each side's answers measures fluency, e.g. data/models/SmolLM2-135M-Instruct.Q4_1.gguf.")
    var fluencyModel: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        try CountOption.check(batchSize, "--batch-size")
    }

    func run() throws {
        // Read first: a prompt file with no prompts (an error naming it) should not wait on three model loads.
        let promptTexts = try PromptFile.read(URL(fileURLWithPath: prompts))
        let policy = try model.load()
        let base = try LanguageModel.load(
            from: URL(fileURLWithPath: baseline), adapter: baselineAdapter.map { URL(fileURLWithPath: $0) }, trainable: false,
            frozenMatrices: model.frozenMatrices)
        let referenceNetwork = try reference.map {
            try LanguageModel.load(from: URL(fileURLWithPath: $0), trainable: false, frozenMatrices: model.frozenMatrices).network
        } ?? base.network
        let encoded = try EncodedPrompts(texts: promptTexts, policy: policy, chat: chat)
        var bar: ProgressBar?
        let (comparison, _, _) = try PolicyEvaluator.compare(
            policy: policy, baseline: base, reference: referenceNetwork, prompts: encoded.tokens,
            judge: try makeJudge(policy, plainPrompts: encoded.plainText), sampling: sampling.parameters,
            seed: seed, batchSize: batchSize,
            fluency: try fluencyModel.map {
                FluencyScorer(model: try LanguageModel.load(from: URL(fileURLWithPath: $0), trainable: false, frozenMatrices: model.frozenMatrices))
            }
        ) { progress in
            if bar == nil { bar = ProgressBar(title: "evaluate", total: progress.total, unit: "answers") }
            bar?.update(progress.completed, detail: progress.stage.rawValue)
        }
        bar?.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(comparison), as: UTF8.self))
            return
        }
        print("win rate \(PercentText.of(comparison)) over \(comparison.prompts) prompts "
              + "(\(comparison.wins) wins, \(comparison.ties) ties, \(comparison.losses) losses) by \(judge)")
        for (name, side) in [("model", comparison.policy), ("baseline", comparison.baseline)] {
            print(String(format: "%@: judge %.3f, KL to reference %@, reference perplexity %.2f, %.1f tokens",
                         name, side.meanScore, FigureText.kl(side.klToReference, unit: " nats/response"), side.referencePerplexity, side.meanLength))
            if let r = side.repetition {
                print(String(format: "  repetition: distinct-1 %.3f, distinct-2 %.3f, repeated 3-grams %.3f, duplicate answers %.3f",
                             r.distinct1, r.distinct2, r.repeatedTrigramShare, r.duplicateResponseShare))
            }
            if let fluency = side.fluency { print("  fluency: perplexity \(fluency.perplexityText(digits: 2)) by \(fluencyModel ?? "")") }
        }
        if let m = comparison.lengthMatchedRepetition {
            print(String(format: "at equal lengths (each prompt's answers cut to the shorter one's words): distinct-2 %.3f vs %.3f, repeated 3-grams %.3f vs %.3f",
                         m.policy.distinct2, m.baseline.distinct2, m.policy.repeatedTrigramShare, m.baseline.repeatedTrigramShare))
        }
        if let controlled = comparison.lengthControlled {
            print("length-controlled win rate \(PercentText.of(controlled.winRate, between: controlled.lowerBound, and: controlled.upperBound)); "
                  + String(format: "mean length ×%.2f of the baseline's", comparison.lengthRatio))
        }
    }

    /// The judge; a reward model reads the policy's tokens when it reads them as its own
    /// sequences, otherwise the decoded answer after the plain prompt (chat prompts as their text).
    private func makeJudge(_ model: LanguageModel, plainPrompts: [[Int32]: String]?) throws -> any ResponseScorer {
        if judge.hasPrefix("reward:") {
            let reward = try RewardModel.load(from: URL(fileURLWithPath: String(judge.dropFirst("reward:".count))))
            return reward.scorer(for: model, plainPrompts: plainPrompts)
        }
        let raters = try lexicon.raters()
        if judge == "population" { return JudgeScorer(judge: .population(raters), model: model) }
        if judge.hasPrefix("rater:"), let index = Int(judge.dropFirst("rater:".count)) {
            return JudgeScorer(judge: try HiddenJudge(lexicon: raters, rater: .individual(index)), model: model)
        }
        throw ValidationError("--judge must be population, rater:N or reward:DIR, got \(judge)")
    }
}
