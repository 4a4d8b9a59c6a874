// A small dense solver for the Newton steps of the Bradley-Terry fit.

/// Solves `matrix · x = rhs` for a symmetric positive-definite `matrix` by Cholesky factorisation.
///
/// Returns nil when the matrix is not numerically positive definite (a disconnected comparison
/// graph without a penalty), so the caller can stop instead of taking a meaningless step.
func solveSymmetricPositiveDefinite(_ matrix: [[Double]], _ rhs: [Double]) -> [Double]? {
    let n = rhs.count
    var lower = Array(repeating: Array(repeating: 0.0, count: n), count: n)
    for i in 0..<n {
        for j in 0...i {
            var sum = matrix[i][j]
            for k in 0..<j { sum -= lower[i][k] * lower[j][k] }
            if i == j {
                guard sum > 1e-300 else { return nil }
                lower[i][i] = sum.squareRoot()
            } else {
                lower[i][j] = sum / lower[j][j]
            }
        }
    }
    var y = Array(repeating: 0.0, count: n)
    for i in 0..<n {
        var sum = rhs[i]
        for k in 0..<i { sum -= lower[i][k] * y[k] }
        y[i] = sum / lower[i][i]
    }
    var x = Array(repeating: 0.0, count: n)
    for i in stride(from: n - 1, through: 0, by: -1) {
        var sum = y[i]
        for k in (i + 1)..<n { sum -= lower[k][i] * x[k] }
        x[i] = sum / lower[i][i]
    }
    return x
}
