// The Bayesian preference head against its defining equations (the posterior's maximum, the
// inverse Hessian, MacKay's fixed point), and the greedy batch's incremental posterior updates
// against recomputing the posterior from scratch after every pick.

import Foundation
import Randomness
import Testing
@testable import ActiveLearning

private func randomMatrix(rows: Int, columns: Int, seed: UInt64) -> DenseMatrix {
    var generator = RandomGenerator(seed: seed)
    return DenseMatrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in generator.normal() })
}

private func naiveProduct(_ a: DenseMatrix, _ b: DenseMatrix) -> DenseMatrix {
    var result = DenseMatrix(rows: a.rows, columns: b.columns)
    for i in 0..<a.rows {
        for j in 0..<b.columns { result[i, j] = (0..<a.columns).reduce(0) { $0 + a[i, $1] * b[$1, j] } }
    }
    return result
}

private func transposed(_ a: DenseMatrix) -> DenseMatrix {
    var result = DenseMatrix(rows: a.columns, columns: a.rows)
    for i in 0..<a.rows { for j in 0..<a.columns { result[j, i] = a[i, j] } }
    return result
}

private func maximumDifference(_ a: DenseMatrix, _ b: DenseMatrix) -> Double {
    zip(a.values, b.values).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

@Test func denseProductsMatchTheirDefinitions() {
    let a = randomMatrix(rows: 9, columns: 5, seed: 1), b = randomMatrix(rows: 5, columns: 4, seed: 2)
    #expect(maximumDifference(a.times(b), naiveProduct(a, b)) < 1e-12)
    #expect(maximumDifference(a.timesTransposed(a), naiveProduct(a, transposed(a))) < 1e-12)
    let vector = (0..<5).map { Double($0) - 1.5 }, weights = (0..<9).map { Double($0 % 3) }
    #expect(zip(a.times(vector), naiveProduct(a, DenseMatrix(rows: 5, columns: 1, values: vector)).values).allSatisfy { abs($0 - $1) < 1e-12 })
    let along = (0..<9).map { Double($0) / 4 }
    #expect(zip(a.transposedTimes(along), naiveProduct(transposed(a), DenseMatrix(rows: 9, columns: 1, values: along)).values).allSatisfy { abs($0 - $1) < 1e-12 })
    var weighted = a
    for row in 0..<9 { for column in 0..<5 { weighted[row, column] *= weights[row] } }
    #expect(maximumDifference(a.weightedGram(weights), naiveProduct(transposed(a), weighted)) < 1e-12)
    var updated = a
    updated.subtractOuterProduct(along, vector, scale: 0.5)
    #expect((0..<9).allSatisfy { i in (0..<5).allSatisfy { j in abs(updated[i, j] - (a[i, j] - 0.5 * along[i] * vector[j])) < 1e-12 } })
}

@Test func choleskyFactorSolvesAndInverts() throws {
    let b = randomMatrix(rows: 12, columns: 7, seed: 3)
    var matrix = b.weightedGram([Double](repeating: 1, count: 12))
    for index in 0..<7 { matrix[index, index] += 0.1 }
    let factor = try #require(CholeskyFactor(matrix))
    #expect(maximumDifference(naiveProduct(factor.lower, transposed(factor.lower)), matrix) < 1e-10)
    let rightSide = (0..<7).map { Double($0 * $0) - 3 }
    #expect(zip(matrix.times(factor.solve(rightSide)), rightSide).allSatisfy { abs($0 - $1) < 1e-9 })
    #expect(maximumDifference(naiveProduct(matrix, factor.inverse()), .identity(7)) < 1e-9)
    let rightSides = randomMatrix(rows: 7, columns: 3, seed: 13)
    #expect(maximumDifference(naiveProduct(factor.lower, factor.lowerSolve(rightSides)), rightSides) < 1e-10)
    var indefinite = matrix
    indefinite[3, 3] = -1
    #expect(CholeskyFactor(indefinite) == nil)
}

/// Pairs of dense texts whose preference follows a logistic model of known weights.
private func logisticPairs(count: Int, dimensions: Int, seed: UInt64) -> (pairs: [PreferencePair], truth: [Double]) {
    var generator = RandomGenerator(seed: seed)
    let truth = (0..<dimensions).map { _ in 2 * generator.normal() }
    let dense = { (values: [Double]) in SparseFeatures(indices: Array(0..<dimensions), values: values) }
    let pairs = (0..<count).map { _ -> PreferencePair in
        let a = (0..<dimensions).map { _ in generator.normal() }, b = (0..<dimensions).map { _ in generator.normal() }
        let margin = zip(truth, zip(a, b)).reduce(0) { $0 + $1.0 * ($1.1.0 - $1.1.1) }
        return generator.uniformDouble() < sigmoid(margin) ? PreferencePair(better: dense(a), worse: dense(b)) : PreferencePair(better: dense(b), worse: dense(a))
    }
    return (pairs, truth)
}

@Test func sparseAndDenseGramMatricesAgree() {
    var generator = RandomGenerator(seed: 10)
    let vectors = (0..<6).map { _ -> SparseFeatures in
        let indices = Set((0..<5).map { _ in generator.integer(in: 0..<5000) }).sorted()
        return SparseFeatures(indices: indices, values: indices.map { _ in generator.normal() })
    }
    let wide = gram(vectors, Array(vectors.prefix(4)), dimensions: 5000)
    let dense = denseRows(vectors, dimensions: 5000)
    #expect(maximumDifference(wide, naiveProduct(dense, transposed(DenseMatrix(rows: 4, columns: 5000, values: Array(dense.values.prefix(4 * 5000)))))) < 1e-12)
    let narrow = vectors.map { SparseFeatures(indices: $0.indices.map { $0 % 64 }, values: $0.values) }.filter { Set($0.indices).count == $0.indices.count && $0.indices == $0.indices.sorted() }
    let narrowDense = denseRows(narrow, dimensions: 64)
    #expect(maximumDifference(gram(narrow, narrow, dimensions: 64), naiveProduct(narrowDense, transposed(narrowDense))) < 1e-12)
    // A backbone's dense block in front of hashed words: the block through BLAS, the words scattered.
    let words = WordFeaturizer(dimensions: 5000)
    let block = (0..<5).map { _ in (0..<7).map { _ in generator.normal() } }
    let texts = ["a fine film", "a dull film", "fine fine", "nothing at all", "a"]
    let mixed = zip(texts, block).map { text, numbers in
        let tail = words.features(of: text)
        return SparseFeatures(indices: Array(0..<7) + tail.indices.map { $0 + 7 }, values: numbers + tail.values)
    }
    let mixedDense = denseRows(mixed, dimensions: 5007)
    #expect(maximumDifference(gram(mixed, mixed, dimensions: 5007), naiveProduct(mixedDense, transposed(mixedDense))) < 1e-12)
    #expect(maximumDifference(gram(mixed, vectors, dimensions: 5007), naiveProduct(mixedDense, transposed(denseRows(vectors, dimensions: 5007)))) < 1e-12)
}

/// Σ = (Zᵀ W Z + α I)⁻¹, the weights' posterior covariance, built in weight space.
private func weightCovariance(_ head: BayesianPreferenceHead, _ differences: DenseMatrix) throws -> DenseMatrix {
    let margins = differences.times(head.mean)
    var hessian = differences.weightedGram(margins.map { sigmoid($0) * (1 - sigmoid($0)) })
    for index in 0..<hessian.rows { hessian[index, index] += head.priorPrecision }
    return try #require(CholeskyFactor(hessian)).inverse()
}

@Test func theHeadSitsAtItsPosteriorsMaximumWithTheEvidencesPrecision() throws {
    let (pairs, truth) = logisticPairs(count: 300, dimensions: 6, seed: 4)
    // A few ties as well: their half-wins pull margins towards 0.
    let ties = logisticPairs(count: 20, dimensions: 6, seed: 11).pairs
    let head = try BayesianPreferenceHead.fit(on: pairs, ties: ties, dimensions: 6)
    let differences = denseRows((pairs + ties).map { $0.better.subtracting($0.worse) }, dimensions: 6)
    let targets = pairs.map { _ in 1.0 } + ties.map { _ in 0.5 }
    let probabilities = differences.times(head.mean).map(sigmoid)
    let gradient = zip(differences.transposedTimes(zip(targets, probabilities).map { $0 - $1 }), head.mean).map { $0 - head.priorPrecision * $1 }
    #expect(gradient.allSatisfy { abs($0) < 1e-6 }, "the log posterior's gradient vanishes at the mean: \(gradient)")
    // The labels-space covariance of any margins equals the weight-space one.
    let weights = try weightCovariance(head, differences)
    let probes = randomMatrix(rows: 5, columns: 6, seed: 12)
    let rows = (0..<5).map { SparseFeatures(indices: Array(0..<6), values: Array(probes.row($0))) }
    #expect(maximumDifference(head.marginCovariance(rows, rows), probes.times(weights).timesTransposed(probes)) < 1e-8)
    let others = Array(rows.prefix(2))
    #expect(maximumDifference(head.marginCovariance(others, rows), denseRows(others, dimensions: 6).times(weights).timesTransposed(probes)) < 1e-8)
    let determined = 6 - head.priorPrecision * (0..<6).reduce(0) { $0 + weights[$1, $1] }
    let squaredNorm = head.mean.reduce(0) { $0 + $1 * $1 }
    #expect(abs(head.priorPrecision * squaredNorm - determined) < 1e-3 * determined, "MacKay's fixed point: α|w|² = γ")
    let cosine = zip(head.mean, truth).reduce(0) { $0 + $1.0 * $1.1 } / (squaredNorm.squareRoot() * truth.reduce(0) { $0 + $1 * $1 }.squareRoot())
    #expect(cosine > 0.95, "the weights point where the truth does: cosine \(cosine)")
    let warm = try BayesianPreferenceHead.fit(on: pairs, ties: ties, dimensions: 6, startingFrom: try BayesianPreferenceHead.fit(on: Array(pairs.prefix(100)), dimensions: 6))
    // Both stop once α moves by less than 1e-4 of itself, so they agree to about that.
    let largest = head.mean.reduce(0) { max($0, abs($1)) }
    #expect(zip(warm.mean, head.mean).allSatisfy { abs($0 - $1) < 1e-3 * largest }, "a warm start finds the same posterior")
    let unlabelled = try BayesianPreferenceHead.fit(on: [], dimensions: 6)
    #expect(unlabelled.mean == [Double](repeating: 0, count: 6) && unlabelled.priorPrecision == 1)
    #expect(maximumDifference(unlabelled.marginCovariance(rows, rows), probes.timesTransposed(probes)) < 1e-12, "no labels: the prior")
}

@Test func theGreedyBatchEqualsRecomputingThePosteriorAfterEachPick() {
    // A joint covariance over 14 candidates and 9 targets.
    let factors = randomMatrix(rows: 23, columns: 6, seed: 6)
    var joint = factors.timesTransposed(factors)
    let slopes = (0..<23).map { 0.05 + 0.2 * Double(($0 * 7) % 5) / 4 }
    func block(_ rows: Range<Int>, _ columns: Range<Int>) -> DenseMatrix {
        DenseMatrix(rows: rows.count, columns: columns.count, values: rows.flatMap { row in columns.map { joint[row, $0] } })
    }
    let (order, worth) = batchByInformation(
        candidates: block(0..<14, 0..<14), slopes: Array(slopes[0..<14]), targets: .pairs(covariance: block(14..<23, 0..<14), slopes: Array(slopes[14..<23])),
        batch: 5)
    // From scratch: labelling j with Fisher information sⱼ turns C into C − sⱼ cⱼcⱼᵀ / (1 + sⱼCⱼⱼ);
    // a candidate is worth the σ'-weighted reduction of the targets' margin variances.
    func worthNow(_ j: Int) -> Double {
        let reduction = (14..<23).reduce(0.0) { $0 + slopes[$1] / 9 * joint[$1, j] * joint[$1, j] }
        return slopes[j] * reduction / (1 + slopes[j] * joint[j, j])
    }
    #expect((0..<14).allSatisfy { abs(worth[$0] - worthNow($0)) < 1e-12 * max(1, worth[$0]) })
    var expected: [Int] = []
    for _ in 0..<5 {
        let pick = (0..<14).filter { !expected.contains($0) }.max { worthNow($0) < worthNow($1) }!
        expected.append(pick)
        let column = (0..<23).map { joint[$0, pick] }
        joint.subtractOuterProduct(column, column, scale: slopes[pick] / (1 + slopes[pick] * joint[pick, pick]))
    }
    #expect(order == expected)
    #expect(Set(order).count == 5)
    // The pool as its own targets keeps one matrix; it must choose as a separate copy does.
    let pool = block(0..<14, 0..<14), poolSlopes = Array(slopes[0..<14])
    let shared = batchByInformation(candidates: pool, slopes: poolSlopes, targets: .candidates, batch: 6)
    let copied = batchByInformation(candidates: pool, slopes: poolSlopes, targets: .pairs(covariance: pool, slopes: poolSlopes), batch: 6)
    #expect(shared.order == copied.order && shared.worth == copied.worth)
}

@Test func theBatchComesFirstInTheQueueInTheOrderChosen() throws {
    let head = try BayesianPreferenceHead.fit(on: logisticPairs(count: 40, dimensions: 4, seed: 7).pairs, dimensions: 4)
    var generator = RandomGenerator(seed: 8)
    let text = { SparseFeatures(indices: [0, 1, 2, 3], values: (0..<4).map { _ in generator.normal() }) }
    var tasks: [Int64: [SparseFeatures]] = [:]
    for id in 1...20 { tasks[Int64(id)] = [text(), text()] }
    tasks[21] = [text()]
    let values = head.taskValues(tasks, batch: 4, targets: nil)
    #expect(Set(values.keys) == Set((1...20).map(Int64.init)), "a task needs two completions")
    let batch = values.filter { $0.value > 0.5 }
    #expect(batch.count == 4 && values.values.filter { $0 <= 0.5 }.allSatisfy { (0...0.25).contains($0) })
    #expect(batch.values.allSatisfy { $0 / 2 <= 0.5 }, "one judgment sends the next annotator to the next task of the batch")
}

@Test func concatenatedFeaturesFollowEachOther() {
    let embeddings = EmbeddingFeaturizer(embeddings: ["a good film": [1, 2, 3], "a bad film": [3, 2, 1]], reference: ["a good film", "a bad film"])
    let words = WordFeaturizer(dimensions: 100, lengthNormalized: true)
    let both = ConcatenatedFeaturizer([embeddings, words])
    #expect(both.dimensions == 103)
    for text in ["a good film", "a bad film"] {
        let combined = both.features(of: text), first = embeddings.features(of: text), second = words.features(of: text)
        #expect(combined.indices == first.indices + second.indices.map { $0 + 3 })
        #expect(combined.values == first.values + second.values)
    }
}

// References the labels-space results are checked against, built in weight space.
extension DenseMatrix {
    /// `selfᵀ · diag(weights) · self`.
    func weightedGram(_ weights: [Double]) -> DenseMatrix {
        var scaled = self
        for row in 0..<rows { for column in 0..<columns { scaled[row, column] *= weights[row].squareRoot() } }
        return scaled.transposedTimes(scaled)
    }
}

extension CholeskyFactor {
    /// A⁻¹ = L⁻ᵀ L⁻¹.
    func inverse() -> DenseMatrix {
        let inverseLower = lowerSolve(.identity(lower.rows))
        return inverseLower.transposedTimes(inverseLower)
    }
}
