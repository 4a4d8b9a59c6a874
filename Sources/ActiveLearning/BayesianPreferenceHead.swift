// One Bradley-Terry head linear in the features, with a Gaussian posterior over its weights
// (the Laplace approximation) under a prior N(0, I/α) whose precision the evidence sets
// (MacKay's fixed point). The posterior covariance says how much a label on one pair would
// teach about every other pair, which is what choosing the next labels needs; an ensemble's
// spread only samples it. Hashed words have 2^18 weights, so the head works in the labels'
// space (a Gaussian process with the linear kernel z·z'/α, Rasmussen and Williams §3.4):
// every matrix is labels × labels or candidates × candidates, never weights × weights.

import Foundation

/// What the head's fit could not do.
package enum BayesianHeadError: Error, Equatable, CustomStringConvertible {
    case notPositiveDefinite

    package var description: String {
        "the preference head's Newton system is not positive definite (non-finite features?)"
    }
}

/// A linear Bradley-Terry reward with a Gaussian posterior over its weights.
package struct BayesianPreferenceHead: Sendable {
    /// The posterior mean of the weights (dense over the feature dimensions).
    package let mean: [Double]
    /// The prior's precision α: weights ~ N(0, I/α).
    package let priorPrecision: Double
    /// The labelled pairs' differences, better minus worse (ties in either order).
    let labelled: [SparseFeatures]
    /// √σ'(margin) of each labelled pair at the posterior's maximum.
    let curvatureRoots: [Double]
    /// The factor of I + W½ K W½ (K the labelled pairs' prior covariance, W the curvatures).
    let factor: CholeskyFactor
    let dimensions: Int

    /// The head fitted to `pairs` (each `better` preferred) and `ties` (each pair judged equal,
    /// a half-win either way, which pulls its margin towards 0), α re-estimated from the
    /// evidence until it settles; `previous` (a head fitted to fewer labels) is where the search starts.
    package static func fit(
        on pairs: [PreferencePair], ties: [PreferencePair] = [], dimensions: Int, startingFrom previous: BayesianPreferenceHead? = nil
    ) throws -> BayesianPreferenceHead {
        let labelled = (pairs + ties).map { $0.better.subtracting($0.worse) }
        let targets = pairs.map { _ in 1.0 } + ties.map { _ in 0.5 }
        let products = gram(labelled, labelled, dimensions: dimensions)
        var alpha = previous?.priorPrecision ?? 1
        var margins = previous.map { head in labelled.map { $0.dot(head.mean) } } ?? [Double](repeating: 0, count: labelled.count)
        var mode = try LaplaceMode(products: products, targets: targets, alpha: alpha, margins: &margins)
        for _ in 0..<50 where !labelled.isEmpty {
            // γ, how many weight directions the labels determine, against the weights' size |w|² = aᵀ(ZZᵀ)a/α².
            let inverseFactor = mode.factor.lowerSolve(.identity(labelled.count))
            let determined = Double(labelled.count) - inverseFactor.values.reduce(0) { $0 + $1 * $1 }
            let squaredNorm = zip(mode.gradient, products.times(mode.gradient)).reduce(0) { $0 + $1.0 * $1.1 } / (alpha * alpha)
            let updated = min(max(determined / max(squaredNorm, .leastNormalMagnitude), 1e-6), 1e6)
            let settled = abs(updated - alpha) <= 1e-4 * alpha
            alpha = updated
            mode = try LaplaceMode(products: products, targets: targets, alpha: alpha, margins: &margins)
            if settled { break }
        }
        // The representer: the mean weights are Zᵀa/α for a the likelihood's gradient at the mode.
        var mean = [Double](repeating: 0, count: dimensions)
        for (difference, weight) in zip(labelled, mode.gradient) {
            for (index, value) in zip(difference.indices, difference.values) { mean[index] += weight * value / alpha }
        }
        return BayesianPreferenceHead(
            mean: mean, priorPrecision: alpha, labelled: labelled, curvatureRoots: mode.curvatureRoots, factor: mode.factor, dimensions: dimensions)
    }

    /// The posterior covariance of the margins `w·z` of `first` with those of `second`:
    /// K₁₂ − K₁ₗ W½ B⁻¹ W½ Kₗ₂ with every K the products over α.
    func marginCovariance(_ first: [SparseFeatures], _ second: [SparseFeatures]) -> DenseMatrix {
        var prior = gram(first, second, dimensions: dimensions)
        for index in prior.values.indices { prior.values[index] /= priorPrecision }
        guard !labelled.isEmpty else { return prior }
        func explained(_ differences: [SparseFeatures]) -> DenseMatrix {
            var cross = gram(labelled, differences, dimensions: dimensions)
            for row in 0..<cross.rows {
                for column in 0..<cross.columns { cross[row, column] *= curvatureRoots[row] / priorPrecision }
            }
            return factor.lowerSolve(cross)
        }
        let reduction = explained(first).transposedTimes(explained(second))
        for index in prior.values.indices { prior.values[index] -= reduction.values[index] }
        return prior
    }
}

/// The mode of the posterior over the labelled margins at one α, found by Newton's method
/// (Rasmussen and Williams, Algorithm 3.1, with targets y ∈ {1, ½} in place of ±1 labels).
private struct LaplaceMode {
    /// y − σ(f) at the mode; the margins there are K times it.
    var gradient: [Double]
    var curvatureRoots: [Double]
    var factor: CholeskyFactor

    /// Newton's method from `margins` (a mode at another α, or the last head's), which it leaves at the mode.
    init(products: DenseMatrix, targets: [Double], alpha: Double, margins: inout [Double]) throws {
        let count = targets.count
        var prior = products
        for index in prior.values.indices { prior.values[index] /= alpha }
        func logLikelihood(_ f: [Double]) -> Double {
            zip(f, targets).reduce(0) { $0 + $1.1 * logSigmoid($1.0) + (1 - $1.1) * logSigmoid(-$1.0) }
        }
        // The objective log p(y|f) − ½ aᵀf in a with f = K a; the starting margins need not be K
        // times anything, so the first step is taken whole.
        var weights = [Double](repeating: 0, count: count)
        var objective = -Double.infinity
        for _ in 0..<(count > 0 ? 100 : 0) {
            let probabilities = margins.map(sigmoid)
            let (roots, factor) = try Self.newtonSystem(prior, margins: margins)
            // b = W f + ∇ log p(y|f).
            let b = (0..<count).map { (index: Int) -> Double in
                let curvature = roots[index] * roots[index]
                return curvature * margins[index] + (targets[index] - probabilities[index])
            }
            let solved = factor.solve(zip(roots, prior.times(b)).map(*))
            let step = (0..<count).map { b[$0] - roots[$0] * solved[$0] }
            // Newton's step in a, halved while it lowers the (concave) objective.
            var size = 1.0
            var candidate: [Double], candidateMargins: [Double], value: Double
            repeat {
                candidate = zip(weights, step).map { $0 + size * ($1 - $0) }
                candidateMargins = prior.times(candidate)
                value = logLikelihood(candidateMargins) - 0.5 * zip(candidate, candidateMargins).reduce(0) { $0 + $1.0 * $1.1 }
                size /= 2
            } while value < objective && size > 1e-6
            let change = zip(candidateMargins, margins).reduce(0) { max($0, abs($1.0 - $1.1)) }
            weights = candidate
            margins = candidateMargins
            objective = max(value, objective)
            if change <= 1e-10 * (1 + margins.reduce(0) { max($0, abs($1)) }) { break }
        }
        gradient = zip(targets, margins).map { $0 - sigmoid($1) }
        (curvatureRoots, factor) = try Self.newtonSystem(prior, margins: margins)
    }

    /// W½ (the likelihood's curvature, rooted) at `margins`, and the factor of I + W½ K W½.
    private static func newtonSystem(_ prior: DenseMatrix, margins: [Double]) throws -> (roots: [Double], factor: CholeskyFactor) {
        let roots = margins.map { slope($0).squareRoot() }
        var system = prior
        for row in 0..<prior.rows {
            for column in 0..<prior.columns { system[row, column] *= roots[row] * roots[column] }
            system[row, row] += 1
        }
        guard let factor = CholeskyFactor(system) else { throw BayesianHeadError.notPositiveDefinite }
        return (roots, factor)
    }
}

extension BayesianPreferenceHead: PreferenceModel {
    package func meanScore(_ features: SparseFeatures) -> Double { features.dot(mean) }

    /// Ranks the tasks by `batchByInformation` about `targets` (pair differences whose margins
    /// matter, e.g. unlabelled pairs like the ones the reward will score; nil: the tasks' own top
    /// pairs): the batch in the order chosen, worth from 1 down to just over ½, so one judgment
    /// (which halves a task's worth in the queue) sends the next annotator to the next task of
    /// the batch; the rest below ¼, by their own worth.
    package func taskValues(_ tasks: [Int64: [SparseFeatures]], batch: Int, targets: [SparseFeatures]?) -> [Int64: Double] {
        let ids = tasks.keys.sorted().filter { tasks[$0]!.count >= 2 }
        guard !ids.isEmpty else { return [:] }
        let candidates = ids.map { topPair(tasks[$0]!) }
        func slopes(_ differences: [SparseFeatures]) -> [Double] { differences.map { slope($0.dot(mean)) } }
        let (order, worth) = batchByInformation(
            candidates: marginCovariance(candidates, candidates), slopes: slopes(candidates),
            targets: targets.map { .pairs(covariance: marginCovariance($0, candidates), slopes: slopes($0)) } ?? .candidates, batch: batch)
        let best = max(worth.max() ?? 0, .leastNormalMagnitude)
        var values: [Int64: Double] = [:]
        for (index, id) in ids.enumerated() { values[id] = 0.25 * max(worth[index], 0) / best }
        for (rank, index) in order.enumerated() { values[ids[index]] = 1 - 0.5 * Double(rank) / Double(order.count) }
        return values
    }

    /// The difference of a task's two completions with the highest mean reward.
    private func topPair(_ completions: [SparseFeatures]) -> SparseFeatures {
        let ranked = completions.indices.sorted { meanScore(completions[$0]) > meanScore(completions[$1]) }
        return completions[ranked[0]].subtracting(completions[ranked[1]])
    }
}

/// σ′(x) = σ(x)(1 − σ(x)), the Bradley-Terry likelihood's curvature at margin x.
func slope(_ x: Double) -> Double {
    let probability = sigmoid(x)
    return probability * (1 - probability)
}

func logSigmoid(_ x: Double) -> Double { x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x)) }
