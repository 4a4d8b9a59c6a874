// Which pairs to label next, by what a label would teach about the pairs that matter (the
// targets: the pool itself, or unlabelled pairs like those the reward will score): a label on a
// pair shrinks the posterior along that pair's difference, and what counts is how much that
// shrinks the uncertainty of every target's margin, each weighted by how close it sits to the
// decision (σ'). A pair of rare words may be the most uncertain yet teach nothing about the
// targets; a pair like many of them that is still unsure teaches most (expected predictive
// information, to first order in the Laplace posterior; Bickford Smith et al., 2023). A batch is
// chosen greedily, each pick updating the posterior as if it were labelled, so a batch does
// not spend labels on near-copies.

/// The targets of `batchByInformation`: other pairs, or the candidates themselves.
enum InformationTargets {
    /// The candidates' own margins, each weighted by its candidate's slope.
    case candidates
    /// The covariance of other pairs' margins with the candidates' (targets × candidates), and
    /// σ' at each target's mean margin.
    case pairs(covariance: DenseMatrix, slopes: [Double])
}

/// `batch` candidates in the order a greedy choice takes them, and every candidate's worth
/// before any is chosen. `candidates` is the posterior covariance of the candidates' margins and
/// the slopes are σ' at each mean margin: a label on candidate j carries information σ'ⱼ.
func batchByInformation(candidates: DenseMatrix, slopes: [Double], targets: InformationTargets, batch: Int) -> (order: [Int], worth: [Double]) {
    let count = slopes.count
    precondition(candidates.rows == count && candidates.columns == count, "\(count) candidates, a \(candidates.rows)×\(candidates.columns) covariance")
    // The pool as its own targets shares one matrix: the same rank-one updates keep both equal,
    // and a copy of the pool's covariance can be the largest allocation of the run.
    var covariance = candidates, separate: DenseMatrix?
    let targetSlopes: [Double]
    switch targets {
    case .candidates:
        targetSlopes = slopes
    case .pairs(let cross, let slopes):
        precondition(cross.rows == slopes.count && cross.columns == count, "\(slopes.count) targets, \(count) candidates, a \(cross.rows)×\(cross.columns) covariance")
        (separate, targetSlopes) = (cross, slopes)
    }
    let weights = targetSlopes.map { $0 / Double(max(targetSlopes.count, 1)) }
    var variances = (0..<count).map { covariance[$0, $0] }
    var reductions = [Double](repeating: 0, count: count)
    func crossColumn(_ index: Int) -> [Double] { separate.map { cross in (0..<cross.rows).map { cross[$0, index] } } ?? Array(covariance.row(index)) }
    for target in 0..<targetSlopes.count {
        let row = separate.map { Array($0.row(target)) } ?? Array(covariance.row(target))
        for index in 0..<count { reductions[index] += weights[target] * row[index] * row[index] }
    }
    func worth(_ index: Int) -> Double { slopes[index] * reductions[index] / (1 + slopes[index] * variances[index]) }
    let initial = (0..<count).map(worth)
    var chosen: [Int] = []
    var available = Set(0..<count)
    while chosen.count < min(batch, count) {
        let pick = available.max { (worth($0), $1) < (worth($1), $0) }!
        chosen.append(pick)
        available.remove(pick)
        // Labelling the pick subtracts c g hᵀ from every covariance, g and h its columns.
        let column = Array(covariance.row(pick))
        let targetColumn = crossColumn(pick)
        let shrink = slopes[pick] / (1 + slopes[pick] * variances[pick])
        let weighted = zip(weights, targetColumn).map(*)
        let through = (separate ?? covariance).transposedTimes(weighted)
        let spread = zip(weighted, targetColumn).reduce(0) { $0 + $1.0 * $1.1 }
        for index in 0..<count {
            let g = column[index]
            reductions[index] += -2 * shrink * g * through[index] + shrink * shrink * g * g * spread
            variances[index] -= shrink * g * g
        }
        covariance.subtractOuterProduct(column, column, scale: shrink)
        separate?.subtractOuterProduct(targetColumn, column, scale: shrink)
    }
    return (chosen, initial)
}
