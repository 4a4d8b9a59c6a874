// How reward training gets the raw rewards of a batch, for the two kinds of backbone. A
// fine-tuned backbone reads each batch's sequences on the tape. A frozen backbone reads every
// distinct sequence once (through the feature cache), the features are standardised on the
// training side so their scales are comparable, only the head is on the tape, and the
// standardisation is folded into the head when training ends.
import DataParallel
import Foundation
import Optimization
import Tensors
import Transformer

/// Comparisons as rows of a table of distinct token sequences, so that a response shared by
/// several comparisons (or by normalisation samples) is read once.
struct SequenceTable {
    struct Comparison {
        var rows: [Int]
        var tiers: [Int]
        var weight: Float
    }

    private(set) var sequences: [[Int32]] = []
    private var rowOfDigest: [UInt64: Int] = [:]

    mutating func add(_ sequence: [Int32]) -> Int {
        let digest = BackboneFeatureCache.digest(sequence)
        if let row = rowOfDigest[digest] { return row }
        sequences.append(sequence)
        rowOfDigest[digest] = sequences.count - 1
        return sequences.count - 1
    }
}

/// Raw rewards of table rows, for training (on the tape) and for evaluation.
protocol RewardBatches {
    /// The stores the loss trains.
    var stores: [ParameterStore] { get }
    /// Raw rewards [N] of `rows`, recorded on `tape`.
    func rewards(rows: [Int], tape: Tape) throws -> Tensor
    /// Raw rewards of `rows`, without recording.
    func scores(rows: [Int]) throws -> [Double]
    /// Leaves the trained values in the reward model's head; `scores` then reads the model as saved.
    mutating func finish()
}

struct FineTunedBatches: RewardBatches {
    let model: RewardModel
    let table: SequenceTable
    let batchSize: Int

    var stores: [ParameterStore] { model.trainableStores }

    func rewards(rows: [Int], tape: Tape) throws -> Tensor {
        try model.rewards(rows.map { table.sequences[$0] }, tape: tape, normalized: false)
    }

    func scores(rows: [Int]) throws -> [Double] {
        try model.scores(sequences: rows.map { table.sequences[$0] }, batchSize: batchSize, normalized: false).map(Double.init)
    }

    mutating func finish() {}
}

struct FrozenBatches: RewardBatches {
    let model: RewardModel
    /// Backbone features [rows·C] of every table row.
    let features: [Float]
    /// The same, standardised by the training rows' statistics.
    let standardized: [Float]
    let standardization: Standardization
    private var folded = false

    /// Reads every table row through the backbone (and the model's feature cache, saved after by
    /// the root rank), each rank of `communicator` its share of the batches; draws the head from
    /// N(0, 1/(C + 1)) with `seed`.
    init(model: RewardModel, table: SequenceTable, trainingRows: Set<Int>, seed: UInt64, communicator: Communicator) throws {
        self.model = model
        var features = try model.features(
            of: table.sequences, cache: model.featureCache, shard: BatchShard(communicator), progress: model.featureProgress)
        if communicator.size > 1 {
            try features.withUnsafeMutableBufferPointer { try communicator.sum($0) }
        }
        self.features = features
        if communicator.isRoot, let cache = model.featureCache {
            for (row, sequence) in table.sequences.enumerated() {
                cache.insert(Array(features[(row * model.width)..<((row + 1) * model.width)]), for: sequence)
            }
            try cache.save()
        }
        standardization = Standardization(features, rows: trainingRows, width: model.width)
        standardized = standardization.apply(features)
        model.head.initialize(seed: seed)
    }

    var stores: [ParameterStore] { [model.head.parameters] }

    private func rows(_ rows: [Int], of values: [Float]) -> [Float] {
        let width = model.width
        return rows.flatMap { values[($0 * width)..<(($0 + 1) * width)] }
    }

    func rewards(rows: [Int], tape: Tape) throws -> Tensor {
        let inputs = try Tensor(shape: Shape([rows.count, model.width]), values: self.rows(rows, of: standardized))
        return try model.head.raw(inputs, tape: tape)
    }

    func scores(rows: [Int]) throws -> [Double] {
        try model.head.rawScores(features: self.rows(rows, of: folded ? features : standardized)).map(Double.init)
    }

    mutating func finish() {
        let parameters = model.head.parameters
        let weights = standardization.fold(model.head.weights)
        parameters.withValues(of: ScalarHead.weightName) { _ = $0.update(fromContentsOf: weights) }
        folded = true
    }
}

/// Per-dimension mean and standard deviation of the training rows' features: the head trains
/// on z = (h − μ)/σ, whose scales are comparable, and is folded back to act on h.
struct Standardization {
    var mean: [Float]
    var deviation: [Float]

    init(_ features: [Float], rows: Set<Int>, width: Int) {
        var sum = [Double](repeating: 0, count: width), squares = sum
        // In a fixed order: a Set's order changes with every process's hash seed, and a different
        // order of additions can move a mean or σ by an ulp, and the trained head with it.
        for row in rows.sorted() {
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

    /// w·z = (w/σ)·h − Σ w μ/σ: the weights on h. The constant shifts every reward alike, which
    /// neither a preference nor the normalisation that follows can see, so it is left out.
    func fold(_ weights: [Float]) -> [Float] {
        zip(weights, deviation).map { $0 / $1 }
    }
}
