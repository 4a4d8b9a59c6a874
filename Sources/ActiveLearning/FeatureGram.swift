// Dot products between many feature vectors at once: through one BLAS product when the
// vectors are narrow enough to lay out densely (a backbone's), otherwise by scattering each
// row of one side into a dense buffer and reading the other side's few non-zeros against it
// (hashed words: a few dozen non-zeros among 2^18 buckets).

/// The vectors as the rows of a dense matrix.
func denseRows(_ vectors: [SparseFeatures], dimensions: Int) -> DenseMatrix {
    var matrix = DenseMatrix(rows: vectors.count, columns: dimensions)
    for (row, vector) in vectors.enumerated() {
        for (index, value) in zip(vector.indices, vector.values) { matrix.values[row * dimensions + index] += value }
    }
    return matrix
}

/// The matrix of `a[i] · b[j]`.
func gram(_ a: [SparseFeatures], _ b: [SparseFeatures], dimensions: Int) -> DenseMatrix {
    if dimensions <= 4096 {
        return denseRows(a, dimensions: dimensions).timesTransposed(denseRows(b, dimensions: dimensions))
    }
    var result = DenseMatrix(rows: a.count, columns: b.count)
    var scattered = [Double](repeating: 0, count: dimensions)
    for (row, vector) in a.enumerated() {
        for (index, value) in zip(vector.indices, vector.values) { scattered[index] += value }
        for (column, other) in b.enumerated() {
            result.values[row * b.count + column] = zip(other.indices, other.values).reduce(0) { $0 + scattered[$1.0] * $1.1 }
        }
        for index in vector.indices { scattered[index] = 0 }
    }
    return result
}
