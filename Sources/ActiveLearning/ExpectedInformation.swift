// Which pairs to label next, by what a label would teach about the pairs that matter (the
// targets: the pool itself, or unlabelled pairs like those the reward will score): a label on a
// pair shrinks the posterior along that pair's difference, and what counts is how much that
// shrinks the uncertainty of every target's margin, each weighted by how close it sits to the
// decision (σ'). A pair of rare words may be the most uncertain yet teach nothing about the
// targets; a pair like many of them that is still unsure teaches most (expected predictive
// information, to first order in the Laplace posterior; Bickford Smith et al., 2023). A batch is
// chosen greedily, each pick updating the posterior as if it were labelled, so a batch does
// not spend labels on near-copies.

/// `batch` candidates in the order a greedy choice takes them, and every candidate's worth
/// before any is chosen. `candidates` is the posterior covariance of the candidates' margins,
/// `targets` that of the targets' margins with the candidates' (targets × candidates), and the
/// slopes are σ' at each mean margin: a label on candidate j carries information σ'ⱼ.
func batchByInformation(candidates: DenseMatrix, slopes: [Double], targets: DenseMatrix, targetSlopes: [Double], batch: Int) -> (order: [Int], worth: [Double]) {
    let count = slopes.count
    precondition(candidates.rows == count && candidates.columns == count, "\(count) candidates, a \(candidates.rows)×\(candidates.columns) covariance")
    precondition(targets.rows == targetSlopes.count && targets.columns == count, "\(targetSlopes.count) targets, \(count) candidates, a \(targets.rows)×\(targets.columns) covariance")
    var covariance = candidates, cross = targets
    let weights = targetSlopes.map { $0 / Double(max(targetSlopes.count, 1)) }
    var variances = (0..<count).map { covariance[$0, $0] }
    var reductions = [Double](repeating: 0, count: count)
    for target in 0..<cross.rows {
        for index in 0..<count { reductions[index] += weights[target] * cross[target, index] * cross[target, index] }
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
        let targetColumn = (0..<cross.rows).map { cross[$0, pick] }
        let shrink = slopes[pick] / (1 + slopes[pick] * variances[pick])
        let weighted = zip(weights, targetColumn).map(*)
        let through = cross.transposedTimes(weighted)
        let spread = zip(weighted, targetColumn).reduce(0) { $0 + $1.0 * $1.1 }
        for index in 0..<count {
            let g = column[index]
            reductions[index] += -2 * shrink * g * through[index] + shrink * shrink * g * g * spread
            variances[index] -= shrink * g * g
        }
        covariance.subtractOuterProduct(column, column, scale: shrink)
        cross.subtractOuterProduct(targetColumn, column, scale: shrink)
    }
    return (chosen, initial)
}
