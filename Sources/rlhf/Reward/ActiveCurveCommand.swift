// `rlhf reward active-curve`: held-out accuracy against labels spent, for active and for random
// selection of labeling tasks, several seeds each, as JSON and an SVG plot.
import ActiveLearning
import Annotators
import ArgumentParser
import Corpora
import Foundation
import Randomness
import Reporting
import RewardModeling
import TrainingRuns

struct ActiveCurveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "active-curve",
        abstract: "Label a pool of Rotten Tomatoes pairs with simulated annotators under active and random selection; plot held-out accuracy.")

    @Option(help: "The Rotten Tomatoes snippets CSV.")
    var data = RottenTomatoes.relativePath

    @OptionGroup var lexicon: LexiconOptions

    @Option(help: "The output folder: active-curve.json and active-curve.svg.")
    var output: String

    @Option(help: "Candidate tasks: within-movie pairs of training movies' snippets, or the first tasks of --pool-tasks.")
    var pool = 3000

    @Option(help: "Held-out pairs (held-out movies), labelled by the population judge.")
    var heldOut = 3000

    @Option(help: "A task file (`rlhf reward sample-tasks`, `rlhf tasks export`) whose tasks are the candidates instead of critics' pairs: a model's own answers, ranked whole. Scored on --held-out-tasks, or with --validation on its tasks outside the pool.")
    var poolTasks: String?

    @Option(help: "With --pool-tasks, a task file of other prompts whose within-task pairs are scored (those the population judge tells apart).")
    var heldOutTasks: String?

    @Option(help: "Labels acquired per run.")
    var budget = 1000

    @Option(help: "Acquisition rounds per run (the model is retrained after each).")
    var rounds = 10

    @Option(help: "Seeds; each runs both policies.")
    var seeds = 3

    @Option(help: "Simulated annotators.")
    var annotators = 5

    @Option(help: "Their Bradley-Terry noise scale.")
    var temperature = 1.0

    @Option(help: "Hidden scores closer than this are a tie to the annotators (no preference learned).")
    var tieMargin = 0.0

    @Option(help: "The active policy's weight on the ensemble's uncertainty.")
    var uncertaintyWeight = 1.0

    @Option(help: "The active policy's weight on disagreement so far.")
    var disagreementWeight = 0.5

    @Option(help: "The active policy's share of uniformly random tasks.")
    var randomShare = 0.1

    @Option(help: "The reward learned: ensemble (bootstrap SGD heads, tasks ranked by --measure) or laplace (one Bayesian head with a Laplace posterior; each round's batch chosen by the information a label gives about the pool's pairs, or --information-targets).")
    var learner = PreferenceLearner.ensemble

    @Option(help: "Aim the laplace learner's choice at this many unlabelled pairs of the scored movies that are not scored (0: at the pool's own pairs).")
    var informationTargets = 0

    @Option(help: "The ensemble's uncertainty measure: boundary (mean probability near ½) or spread (heads disagree).")
    var measure = UncertaintyMeasure.boundary

    @Option(help: "Multiply each task's uncertainty by its similarity to the pool's mean to this power (0: uncertainty alone).")
    var densityWeight = 0.0

    @Option(help: "Ensemble heads (bootstrap members; 1 = a single model).")
    var members = 5

    @Option(help: "SGD epochs per head.")
    var epochs = 20

    @Option(help: "SGD step size of the heads.")
    var learningRate = 0.05

    @Option(help: "Standard deviation of each head's random starting weights (0: all start at 0).")
    var priorScale = 0.0

    @Option(help: "Hashed word-feature buckets.")
    var dimensions = 4096

    @Flag(help: "Divide word counts by √(words + 1).")
    var lengthNormalized = false

    @Option(help: "Read a frozen backbone's final hidden state after --readout (a GGUF file or Hugging Face folder) instead of hashed words.")
    var backbone: String?

    @Flag(help: "With --backbone, hashed words (--dimensions, --length-normalized) beside the backbone's features.")
    var withWords = false

    @Option(help: "Text appended to every snippet before the backbone's state is read.")
    var readout = "\nOverall, the review above is"

    @Option(help: "The backbone features' cache file (default: OUTPUT/backbone-features.safetensors).")
    var featureCache: String?

    @Flag(help: "Score on training movies' pairs outside the pool instead of held-out movies' (to choose settings without looking at the held-out set).")
    var validation = false

    func validate() throws {
        try CountOption.check(pool, "--pool", from: 2)
        for (value, option) in [
            (heldOut, "--held-out"), (budget, "--budget"), (rounds, "--rounds"), (seeds, "--seeds"), (annotators, "--annotators"), (members, "--members"),
            (epochs, "--epochs"), (dimensions, "--dimensions"),
        ] {
            try CountOption.check(value, option)
        }
        guard learningRate > 0, tieMargin >= 0, uncertaintyWeight >= 0, priorScale >= 0, densityWeight >= 0 else {
            throw ValidationError("--learning-rate must be positive, --tie-margin, --uncertainty-weight, --prior-scale and --density-weight ≥ 0")
        }
        guard !withWords || backbone != nil else { throw ValidationError("--with-words adds hashed words to --backbone's features; without a backbone the features are hashed words already") }
        try CountOption.check(informationTargets, "--information-targets", from: 0)
        guard informationTargets == 0 || learner == .laplace else {
            throw ValidationError("--information-targets aims the laplace learner's choice; the ensemble ranks tasks by --measure and would ignore it")
        }
        guard heldOutTasks == nil || poolTasks != nil else {
            throw ValidationError("--held-out-tasks scores a run on --pool-tasks: give the candidates' task file too")
        }
        guard poolTasks == nil || heldOutTasks != nil || validation else {
            throw ValidationError("--pool-tasks needs --held-out-tasks to score on (or --validation, which scores the file's tasks outside the pool)")
        }
        guard (0...1).contains(randomShare), disagreementWeight >= 0 else { throw ValidationError("--random-share must lie in 0...1, --disagreement-weight ≥ 0") }
    }

    func run() async throws {
        let raters = try lexicon.raters()
        let (poolTasks, scored) = try candidates()
        let settings = ActiveCurveSettings(
            budget: budget, rounds: rounds, annotators: annotators, temperature: temperature, tieMargin: tieMargin,
            uncertaintyWeight: uncertaintyWeight, disagreementWeight: disagreementWeight, randomShare: randomShare, learner: learner, measure: measure,
            densityWeight: densityWeight, ensemble: EnsembleSettings(members: members, epochs: epochs, learningRate: learningRate, priorScale: priorScale), dimensions: dimensions,
            lengthNormalized: lengthNormalized)
        let judge = HiddenJudge.population(raters)
        var heldOutTexts: [(better: String, worse: String)] = []
        var scoredCount = 0
        for responses in scored where heldOutTexts.count < heldOut {
            scoredCount += 1
            let (a, b) = (judge.score(responses[0]), judge.score(responses[1]))
            guard a != b else { continue }
            heldOutTexts.append(a > b ? (responses[0], responses[1]) : (responses[1], responses[0]))
        }
        // Unlabelled pairs of the same movies as the scored ones but not scored: what the reward
        // will be asked about, without anyone's judgment of it.
        let targetTexts = scored.dropFirst(scoredCount).prefix(informationTargets)
        guard targetTexts.count == informationTargets else {
            throw ValidationError("--information-targets \(informationTargets): only \(targetTexts.count) pairs of the scored movies are left after the \(heldOut) scored ones")
        }
        let folder = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let poolTexts = poolTasks.flatMap(\.completions)
        let featurizer: any TextFeaturizer = try backbone.map {
            let read = try backboneFeaturizer(
                model: $0, texts: poolTexts + heldOutTexts.flatMap { [$0.better, $0.worse] } + targetTexts.flatMap { $0 }, reference: poolTexts, folder: folder)
            return withWords ? ConcatenatedFeaturizer([read, settings.wordFeaturizer]) : read
        } ?? settings.wordFeaturizer
        let heldOutPairs = heldOutTexts.map { PreferencePair(better: featurizer.features(of: $0.better), worse: featurizer.features(of: $0.worse)) }
        let informative = poolTasks.filter { task in
            let scores = task.completions.map(judge.score)
            return (scores.max()! - scores.min()!) >= max(tieMargin, .ulpOfOne)
        }.count
        print(String(format: "pool: %d tasks, %.0f%% of them with population-judge scores at least the tie margin apart; %d scored pairs", poolTasks.count,
                     100 * Double(informative) / Double(poolTasks.count), heldOutTexts.count))
        let targets = targetTexts.isEmpty ? nil : targetTexts.map { featurizer.features(of: $0[0]).subtracting(featurizer.features(of: $0[1])) }
        let experiment = try ActiveCurveRun(
            pool: poolTasks, heldOut: heldOutPairs, lexicon: raters, settings: settings, featurizer: featurizer, informationTargets: targets)
        var summary = ActiveCurveSummary(active: [], random: [])
        let bar = ProgressBar(title: "active-curve", total: seeds * 2 * rounds, unit: "rounds")
        var roundsDone = 0
        for seed in 0..<UInt64(seeds) {
            let start = Date()
            for active in [true, false] {
                let curve = try await experiment.curve(active: active, seed: seed) { point in
                    roundsDone += 1
                    bar.update(roundsDone, detail: "seed \(seed) \(active ? "active" : "random"): " + String(format: "%.4f at %d labels", point.accuracy, point.labels))
                }
                if active { summary.active.append(curve) } else { summary.random.append(curve) }
            }
            print(String(format: "seed %d: final accuracy active %.4f, random %.4f (%.0f s)",
                         seed, summary.active.last!.last!.accuracy, summary.random.last!.last!.accuracy, Date().timeIntervalSince(start)))
        }
        try SummaryFile.write([
            "settings": try SummaryFile.object(settings),
            "candidates": poolTasksSource,
            "features": backbone.map { "backbone \($0), read after \(readout.debugDescription)\(withWords ? ", and hashed words" : "")" } ?? "hashed words", "pool_tasks": poolTasks.count, "held_out_pairs": experiment.heldOut.count,
            "information_targets": informationTargets,
            "curves": try SummaryFile.object(summary),
            "mean_active": try SummaryFile.object(ActiveCurveSummary.mean(summary.active)),
            "mean_random": try SummaryFile.object(ActiveCurveSummary.mean(summary.random)),
            "scored_on": validation ? "validation pairs of training movies" : "held-out movies",
            "random_final_accuracy": summary.randomFinalAccuracy ?? NSNull(),
            "active_labels_to_match_random": summary.activeLabelsToMatchRandom ?? NSNull(),
            "active_share_to_match_random": summary.activeShareToMatchRandom ?? NSNull(),
        ], to: folder.appendingPathComponent("active-curve.json"))
        try chart(summary).write(to: folder.appendingPathComponent("active-curve.svg"))
        var share = "never within the budget"
        if let labels = summary.activeLabelsToMatchRandom, let fraction = summary.activeShareToMatchRandom {
            share = String(format: "%d labels, %.0f%% of the budget", labels, fraction * 100)
        }
        print(String(format: "random selection ends at %.4f; active selection reaches it at %@", summary.randomFinalAccuracy ?? .nan, share))
        print("curves in \(folder.appendingPathComponent("active-curve.svg").path)")
    }

    private func chart(_ summary: ActiveCurveSummary) -> LineChart {
        func points(_ curves: [[CurvePoint]]) -> [(x: Double, y: Double)] {
            ActiveCurveSummary.mean(curves).map { (Double($0.labels), $0.accuracy) }
        }
        return LineChart(
            title: "Reward model held-out accuracy: active vs random selection (mean of \(seeds) seeds)", xLabel: "labels", yLabel: "accuracy vs population judge",
            series: [.init(name: "active", points: points(summary.active)), .init(name: "random", points: points(summary.random))])
    }
}

extension UncertaintyMeasure: ExpressibleByArgument {}
extension PreferenceLearner: ExpressibleByArgument {}
