// `rlhf reward eval`: held-out pairwise accuracy, margins and calibration on comparisons
// (optionally relabelled by the population judge), and the ROC AUC on labelled texts beside
// the lexicon baseline.
import Annotators
import ArgumentParser
import Feedback
import Foundation
import RewardModeling

struct RewardEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a reward model on held-out comparisons and on labelled texts.")

    @Option(help: "A reward-model folder.")
    var model: String

    @OptionGroup var comparisons: ComparisonOptions

    @Option(help: "A task file (JSONL {prompt, completions: [{text, model}]}) to evaluate on once relabelled by --judge.")
    var tasks: String?

    @Flag(help: "Relabel the comparisons by the population judge (the mean of VADER's raters) before evaluating.")
    var populationJudge = false

    @Option(help: "Labelled texts, JSONL {\"text\": ..., \"label\": true|false}, for the ROC AUC of the rewards.")
    var labelled: String?

    @OptionGroup var lexicon: LexiconOptions

    @Option(help: "Write the results as JSON here.")
    var output: String?

    @Option(help: "For a reward model on a frozen backbone: a cache file of backbone features, read and extended.")
    var featureCache: String?

    func validate() throws {
        if comparisons.isEmpty && tasks == nil && labelled == nil {
            throw ValidationError("give comparisons (--data or --db), --tasks, or --labelled texts to evaluate on")
        }
        if tasks != nil && !populationJudge { throw ValidationError("--tasks holds unlabelled completions: add --population-judge") }
        if let output { try OutputFile.check(output, "--output") }
    }

    func run() async throws {
        let reward = try RewardModel.load(from: URL(fileURLWithPath: model))
        if reward.isFrozen { reward.featureCache = try featureCache.map { try reward.openFeatureCache(at: URL(fileURLWithPath: $0)) } }
        reward.featureProgress = FeatureProgressBar(title: "backbone").update
        var summary: [String: Any] = ["model": model]
        var held = comparisons.isEmpty ? [] : try await comparisons.load()
        if let tasks { held += try JudgeLabels.comparisons(fromTasks: tasks) }
        if !held.isEmpty {
            if populationJudge { held = JudgeLabels.relabel(held, judge: try JudgeLabels.population(lexicon: lexicon.path)) }
            let evaluation = try PreferenceEvaluation.of(reward, on: held, settings: PreferenceLossSettings())
            summary["comparisons"] = try SummaryFile.object(evaluation)
            report(evaluation, judged: populationJudge ? "the population judge" : "the comparisons' labels")
        }
        if let labelled {
            let texts = try JSONLines.readAtLeastOne(LabelledText.self, from: URL(fileURLWithPath: labelled)).map(\.value)
            reward.featureProgress = FeatureProgressBar(title: "backbone").update
            let scores = try reward.scores(prompts: texts.map { _ in "" }, responses: texts.map(\.text), batchSize: 32, normalized: true).map(Double.init)
            let judge = try JudgeLabels.population(lexicon: lexicon.path)
            let labels = texts.map(\.label)
            let modelArea = ReceiverOperatingCharacteristic.area(scores: scores, labels: labels)
            let lexiconArea = ReceiverOperatingCharacteristic.area(scores: texts.map { judge.score($0.text) }, labels: labels)
            summary["auc"] = [
                "reward_model": modelArea.map { $0 as Any } ?? NSNull(), "lexicon": lexiconArea.map { $0 as Any } ?? NSNull(),
                "texts": texts.count, "positives": labels.filter { $0 }.count,
            ]
            print(String(format: "ROC AUC on %d labelled texts: reward model %.4f, lexicon baseline (VADER population mean) %.4f",
                         texts.count, modelArea ?? .nan, lexiconArea ?? .nan))
        }
        try reward.featureCache?.save()
        if let output { try SummaryFile.write(summary, to: URL(fileURLWithPath: output)) }
    }

    func report(_ e: PreferenceEvaluation, judged: String) {
        print(String(format: "held-out accuracy against %@: %.4f over %d pairs (%d tied pairs left out), %d comparisons", judged, e.accuracy, e.pairs, e.tiedPairs, e.comparisons))
        print(String(format: "margin r_better − r_worse (raw): mean %.3f, sd %.3f, median %.3f; loss %.4f", e.meanMargin, e.marginStandardDeviation, e.medianMargin, e.loss))
        print(String(format: "calibration (predicted P(higher reward preferred) vs observed), ECE %.4f:", e.expectedCalibrationError))
        for bin in e.calibration where bin.count > 0 {
            print(String(format: "  [%.2f, %.2f): n=%5d predicted %.3f observed %.3f", bin.lower, bin.upper, bin.count, bin.predicted, bin.observed))
        }
    }
}
