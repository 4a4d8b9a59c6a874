// `rlhf reward learning-curve`: how held-out accuracy grows with the number of training
// comparisons: one reward model per size (nested random subsets), each judged on held-out
// comparisons (optionally relabelled by the population judge), plotted as an SVG.
import ArgumentParser
import ConfigFiles
import Foundation
import LanguageModeling
import Randomness
import Reporting
import RewardModeling
import TrainingRuns

struct LearningCurveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learning-curve", abstract: "Train one reward model per training-set size and plot held-out accuracy against size.")

    @Option(help: "The starting language model (SFT or pretrained).")
    var model: String

    @OptionGroup var comparisons: ComparisonOptions

    @Option(help: "A task file of held-out prompts' completions, relabelled by the population judge.")
    var tasks: String

    @OptionGroup var lexicon: LexiconOptions

    @Option(help: "Comma-separated training-set sizes.")
    var sizes = "500,1000,2000,5000"

    @Option(help: "The output folder: one run per size, learning-curve.json and learning-curve.svg.")
    var output: String

    @Option(help: "A JSON file with the run configuration; given fields replace the defaults.")
    var config: String?

    func run() async throws {
        let counts = try sizes.split(separator: ",").map { text -> Int in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 else { throw ValidationError("--sizes: \"\(text)\" is not a positive integer") }
            return value
        }.sorted()
        var configuration = try config.map {
            try ConfigurationFile.load(RewardTrainingConfiguration.self, from: URL(fileURLWithPath: $0), defaults: RewardTrainingConfiguration()) { try $0.validate() }
        } ?? RewardTrainingConfiguration()
        configuration.normalizationSamples = 0  // accuracy does not depend on an affine normalisation
        try configuration.validate()
        let (training, annotatorHeldOut) = HeldOutSplit(period: configuration.heldOutPeriod).split(try await comparisons.load())
        let judged = JudgeLabels.relabel(try JudgeLabels.comparisons(fromTasks: tasks), judge: try JudgeLabels.population(lexicon: lexicon.path))
        var generator = RandomGenerator(seed: configuration.optimization.seed)
        let shuffled = generator.permutation(training.count).map { training[$0] }
        guard let largest = counts.last, largest <= shuffled.count else {
            throw ValidationError("the largest size \(counts.last ?? 0) exceeds the \(shuffled.count) training comparisons")
        }
        let folder = URL(fileURLWithPath: output)
        var rows: [[String: Any]] = []
        for count in counts {
            let run = RunFolder(folder.appendingPathComponent("size-\(count)"))
            let reward = try RewardModel.fineTuning(LanguageModel.load(from: URL(fileURLWithPath: model), trainable: true), seed: configuration.headSeed)
            let trainer = try RewardTrainer(model: reward, configuration: configuration, run: run)
            let start = Date()
            let annotatorEvaluation = try trainer.train(on: Array(shuffled.prefix(count)), heldOut: annotatorHeldOut, events: RewardProgressView(title: "size \(count)").handle)
            let seconds = Date().timeIntervalSince(start)
            let judgeEvaluation = try RewardTrainer.evaluate(reward, judged, settings: configuration.loss)
            print(String(format: "%5d comparisons: accuracy %.4f vs the population judge (%d pairs), %.4f vs held-out annotators; %.1f s",
                         count, judgeEvaluation.accuracy, judgeEvaluation.pairs, annotatorEvaluation?.accuracy ?? .nan, seconds))
            rows.append([
                "comparisons": count, "seconds": seconds, "population_judge": try SummaryFile.object(judgeEvaluation),
                "held_out_annotators": try annotatorEvaluation.map { try SummaryFile.object($0) } ?? NSNull(),
            ])
        }
        try SummaryFile.write(["sizes": rows, "held_out_tasks": tasks], to: folder.appendingPathComponent("learning-curve.json"))
        try chart(rows).write(to: folder.appendingPathComponent("learning-curve.svg"))
        print("learning curve in \(folder.appendingPathComponent("learning-curve.svg").path)")
    }

    func chart(_ rows: [[String: Any]]) -> LineChart {
        func points(_ key: String) -> [(x: Double, y: Double)] {
            rows.compactMap { row in
                guard let count = row["comparisons"] as? Int, let evaluation = row[key] as? [String: Any], let accuracy = evaluation["accuracy"] as? Double else { return nil }
                return (Double(count), accuracy)
            }
        }
        return LineChart(
            title: "Reward model: held-out pairwise accuracy", xLabel: "training comparisons (log scale)", yLabel: "accuracy",
            series: [
                .init(name: "vs population judge", points: points("population_judge")),
                .init(name: "vs held-out annotators", points: points("held_out_annotators")),
            ],
            logarithmicX: true, yRange: 0.5...1)
    }
}
