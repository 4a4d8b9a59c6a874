// Trains the scalar head of a frozen-backbone reward model: the backbone reads every distinct
// prompt + response once (through the feature cache), the features are standardised on the
// training side, and the head learns by the same preference loss, AdamW and schedule as the
// fine-tuned reward model; the standardisation is then folded into the head, and the rewards
// normalised on the reference policy's samples.
import Foundation
import Optimization
import Randomness
import Reporting
import Tensors
import TrainingRuns

public final class FrozenBackboneRewardTrainer {
    public let rewardModel: FrozenBackboneRewardModel
    public let configuration: RewardTrainingConfiguration
    public let run: RunFolder
    public private(set) var completedSteps = 0

    public init(model: FrozenBackboneRewardModel, configuration: RewardTrainingConfiguration, run: RunFolder) throws {
        try configuration.validate()
        rewardModel = model
        self.configuration = configuration
        self.run = run
    }

    /// Comparisons as rows of a table of distinct sequences.
    struct Indexed {
        var sequences: [[Int32]] = []
        var rowOfDigest: [UInt64: Int] = [:]
        var comparisons: [(rows: [Int], tiers: [Int], weight: Float)] = []

        mutating func add(_ sequence: [Int32]) -> Int {
            let digest = BackboneFeatureCache.digest(sequence)
            if let row = rowOfDigest[digest] { return row }
            sequences.append(sequence)
            rowOfDigest[digest] = sequences.count - 1
            return sequences.count - 1
        }
    }

    /// Trains on `training`, evaluating on `heldOut`; normalises on `samples` (the reference
    /// policy's responses to training prompts), or on the training responses when there are
    /// none; saves the model in the run folder. `featureProgress(done, total)` follows the
    /// backbone pass, the long part.
    @discardableResult
    public func train(
        on training: [Comparison], heldOut: [Comparison], normalizingOn samples: [(prompt: String, response: String)]? = nil,
        cache: BackboneFeatureCache? = nil, featureProgress: (Int, Int) -> Void = { _, _ in },
        events: (RewardTrainingEvent) -> Void = { _ in }
    ) throws -> PreferenceEvaluation? {
        guard !training.isEmpty else { throw RewardDataError.empty(source: "the training comparisons") }
        try FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
        // Without checkpoints a run always starts at step 0, so an earlier (killed) attempt's records go.
        try run.trimMetrics(after: 0)
        let metrics = try MetricsLog(url: run.metricsURL)
        var table = Indexed()
        let trainingRows = try index(training, into: &table), heldOutRows = try index(heldOut, into: &table)
        let normalizationPairs = samples ?? training.flatMap { c in c.responses.map { (c.prompt, $0) } }
        let normalizationRows = normalizationPairs.map { table.add(rewardModel.sequence(prompt: $0.0, response: $0.1)) }
        let features = try rewardModel.features(of: table.sequences, cache: cache, progress: featureProgress)
        try cache?.save()
        let standardization = Standardization(features, rows: Set(trainingRows.flatMap(\.rows)), width: rewardModel.width)
        let standardized = standardization.apply(features)

        let parameters = ParameterStore(layout: { var layout = ParameterLayout(); layout.append("score.weight", [1, rewardModel.width]); return layout }())
        var generator = RandomGenerator(seed: configuration.headSeed)
        parameters.fillNormal("score.weight", standardDeviation: 1 / Float(rewardModel.width + 1).squareRoot(), using: &generator)
        let optimizer = try AdamW(parameters: parameters, configuration: configuration.optimization.optimizer)
        var settings = configuration.optimization
        settings.steps = configuration.steps(forComparisons: trainingRows.count)
        events(.started(totalSteps: settings.steps, comparisons: trainingRows.count))
        var order: [Int] = [], evaluation: PreferenceEvaluation?
        var shuffler = RandomGenerator(seed: settings.seed)
        while completedSteps < settings.steps {
            if order.isEmpty { order = shuffler.permutation(trainingRows.count) }
            let batch = order.prefix(settings.batchSize).map { trainingRows[$0] }
            order.removeFirst(batch.count)
            let report = try step(batch, standardized, parameters: parameters, optimizer: optimizer, settings: settings)
            events(.stepped(report))
            if completedSteps % settings.logInterval == 0 || completedSteps == settings.steps {
                try metrics.append([
                    "step": .integer(completedSteps), "loss": .number(report.loss), "accuracy": .number(report.accuracy),
                    "lr": .number(Double(report.learningRate)), "grad_norm": .number(Double(report.gradientNorm)),
                ])
            }
            let isLast = completedSteps == settings.steps
            if !heldOutRows.isEmpty, isLast || (settings.evaluationInterval > 0 && completedSteps % settings.evaluationInterval == 0) {
                let result = evaluate(heldOutRows, scores: scores(standardized, head: parameters))
                try metrics.append(RewardTrainer.record(result, step: completedSteps))
                events(.evaluated(step: completedSteps, result))
                evaluation = result
            }
        }
        let weights = parameters.withValues(of: "score.weight") { Array($0) }
        let folded = standardization.fold(weights)
        rewardModel.setHead(folded.weights, bias: folded.bias)
        let raw = rewardModel.rawScores(features: normalizationRows.flatMap { Array(features[($0 * rewardModel.width)..<(($0 + 1) * rewardModel.width)]) })
        try rewardModel.normalize(rawScores: raw)
        try metrics.append(["step": .integer(completedSteps), "reward_gain": .number(Double(rewardModel.gain)), "reward_bias": .number(Double(rewardModel.bias))])
        events(.normalized(gain: rewardModel.gain, bias: rewardModel.bias))
        try rewardModel.save(to: run.modelURL)
        return evaluation
    }

    private func index(_ comparisons: [Comparison], into table: inout Indexed) throws -> [(rows: [Int], tiers: [Int], weight: Float)] {
        try comparisons.enumerated().map { index, comparison in
            try comparison.validate(index: index)
            let scale = comparison.annotator.flatMap { configuration.annotatorWeights[$0] } ?? 1
            let rows = comparison.responses.map { table.add(rewardModel.sequence(prompt: comparison.prompt, response: $0)) }
            return (rows, comparison.tiers, comparison.weight * scale)
        }
    }

    private func step(
        _ batch: [(rows: [Int], tiers: [Int], weight: Float)], _ features: [Float], parameters: ParameterStore, optimizer: AdamW,
        settings: OptimizationSettings
    ) throws -> RewardStepReport {
        let start = Date(), width = rewardModel.width
        parameters.zeroGradients()
        var values: [Float] = [], rankings: [ScoredRanking] = []
        for comparison in batch {
            rankings.append(ScoredRanking(offset: values.count / width, tiers: comparison.tiers, weight: comparison.weight))
            for row in comparison.rows { values += features[(row * width)..<((row + 1) * width)] }
        }
        let tape = Tape()
        let inputs = try Tensor(shape: Shape([values.count / width, width]), values: values)
        let rewards = try inputs.linear(parameters.tensor("score.weight", on: tape), orientation: .outputsByInputs).reshaped(Shape([values.count / width]))
        let report = try PreferenceStep.apply(
            rewards: rewards, rankings: rankings, tape: tape, parameters: parameters, optimizer: optimizer,
            settings: settings, loss: configuration.loss, completed: completedSteps, started: start)
        completedSteps += 1
        return report
    }

    /// Raw scores of every table row under the current head (standardised features).
    private func scores(_ features: [Float], head parameters: ParameterStore) -> [Double] {
        let weights = parameters.withValues(of: "score.weight") { Array($0) }, width = rewardModel.width
        return stride(from: 0, to: features.count, by: width).map { start in
            var total = 0.0
            for j in 0..<width { total += Double(weights[j] * features[start + j]) }
            return total
        }
    }

    private func evaluate(_ comparisons: [(rows: [Int], tiers: [Int], weight: Float)], scores: [Double]) -> PreferenceEvaluation {
        var flat: [Double] = [], rankings: [ScoredRanking] = []
        for comparison in comparisons {
            rankings.append(ScoredRanking(offset: flat.count, tiers: comparison.tiers, weight: comparison.weight))
            flat += comparison.rows.map { scores[$0] }
        }
        return PreferenceEvaluation(scores: flat, rankings: rankings, settings: configuration.loss)
    }
}

/// Per-dimension mean and standard deviation of the training rows' features: the head trains
/// on z = (h − μ)/σ, whose scales are comparable, and is folded back to act on h.
struct Standardization {
    var mean: [Float]
    var deviation: [Float]

    init(_ features: [Float], rows: Set<Int>, width: Int) {
        var sum = [Double](repeating: 0, count: width), squares = sum
        for row in rows {
            for j in 0..<width {
                let x = Double(features[row * width + j])
                sum[j] += x
                squares[j] += x * x
            }
        }
        let n = Double(max(rows.count, 1))
        mean = sum.map { Float($0 / n) }
        deviation = zip(sum, squares).map { total, square in Float(max(square / n - (total / n) * (total / n), 1e-12).squareRoot()) }
    }

    func apply(_ features: [Float]) -> [Float] {
        features.enumerated().map { index, x in (x - mean[index % mean.count]) / deviation[index % mean.count] }
    }

    /// w·z = (w/σ)·h − Σ w μ/σ.
    func fold(_ weights: [Float]) -> (weights: [Float], bias: Float) {
        let scaled = zip(weights, deviation).map { $0 / $1 }
        return (scaled, -zip(scaled, mean).reduce(0) { $0 + $1.0 * $1.1 })
    }
}
