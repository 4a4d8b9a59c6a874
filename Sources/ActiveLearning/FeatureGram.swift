// Dot products between many feature vectors at once: through one BLAS product when the
// vectors are narrow enough to lay out densely (a backbone's), otherwise by scattering each
// row of one side into a dense buffer and reading the other side's few non-zeros against it
// (hashed words: a few dozen non-zeros among 2^18 buckets). Vectors that lead with a dense
// block (a backbone's numbers, then hashed words) take each way for its part.

/// The vectors as the rows of a dense matrix.
func denseRows(_ vectors: [SparseFeatures], dimensions: Int) -> DenseMatrix {
    var matrix = DenseMatrix(rows: vectors.count, columns: dimensions)
    for (row, vector) in vectors.enumerated() {
        for (index, value) in zip(vector.indices, vector.values) where index < dimensions { matrix.values[row * dimensions + index] += value }
    }
    return matrix
}

/// The matrix of `a[i] · b[j]`.
func gram(_ a: [SparseFeatures], _ b: [SparseFeatures], dimensions: Int) -> DenseMatrix {
    if dimensions <= 4096 {
        return denseRows(a, dimensions: dimensions).timesTransposed(denseRows(b, dimensions: dimensions))
    }
    let dense = denseLead(a + b)
    var result = dense > 0 ? denseRows(a, dimensions: dense).timesTransposed(denseRows(b, dimensions: dense)) : DenseMatrix(rows: a.count, columns: b.count)
    // The other side's sparse parts laid end to end, read through raw pointers: this loop
    // visits every pair of vectors.
    var offsets = [0], indices: [Int] = [], values: [Double] = []
    for vector in b {
        indices += vector.indices.dropFirst(dense)
        values += vector.values.dropFirst(dense)
        offsets.append(indices.count)
    }
    var scattered = [Double](repeating: 0, count: dimensions)
    let columns = b.count
    result.values.withUnsafeMutableBufferPointer { out in
        indices.withUnsafeBufferPointer { indices in
            values.withUnsafeBufferPointer { values in
                for (row, vector) in a.enumerated() {
                    for (index, value) in zip(vector.indices.dropFirst(dense), vector.values.dropFirst(dense)) { scattered[index] += value }
                    scattered.withUnsafeBufferPointer { scattered in
                        for column in 0..<columns {
                            var sum = 0.0
                            for entry in offsets[column]..<offsets[column + 1] { sum += scattered[indices[entry]] * values[entry] }
                            out[row * columns + column] += sum
                        }
                    }
                    for index in vector.indices.dropFirst(dense) { scattered[index] = 0 }
                }
            }
        }
    }
    return result
}

/// How many leading dimensions every vector stores in order (0, 1, 2, …), zeros included.
private func denseLead(_ vectors: [SparseFeatures]) -> Int {
    guard !vectors.isEmpty else { return 0 }
    return vectors.reduce(Int.max) { lead, vector in
        var count = 0
        while count < min(lead, vector.indices.count), vector.indices[count] == count { count += 1 }
        return count
    }
}
