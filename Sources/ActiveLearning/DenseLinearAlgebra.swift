// The few double-precision dense operations a Bayesian linear head needs, on row-major buffers:
// products through BLAS, and LAPACK's Cholesky factorisation. Every call first waits for
// BLASSetup.once: where OpenBLAS misreads the CPU it rebuilds its kernel table before the
// engine's first product, and a call from another thread meanwhile reads a table being rebuilt
// (a crash in the tests on a Xeon that Debian's OpenBLAS files as Prescott).

import CBLAS
import Kernels

/// A row-major matrix of Doubles.
struct DenseMatrix: Sendable, Equatable {
    var rows: Int
    var columns: Int
    var values: [Double]

    init(rows: Int, columns: Int, values: [Double]? = nil) {
        self.rows = rows
        self.columns = columns
        self.values = values ?? [Double](repeating: 0, count: rows * columns)
    }

    static func identity(_ size: Int, scale: Double = 1) -> DenseMatrix {
        var matrix = DenseMatrix(rows: size, columns: size)
        for index in 0..<size { matrix.values[index * size + index] = scale }
        return matrix
    }

    subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    func row(_ index: Int) -> ArraySlice<Double> { values[(index * columns)..<((index + 1) * columns)] }

    /// `self · vector`.
    func times(_ vector: [Double]) -> [Double] { product(vector, transposing: false) }

    /// `selfᵀ · vector`.
    func transposedTimes(_ vector: [Double]) -> [Double] { product(vector, transposing: true) }

    private func product(_ vector: [Double], transposing: Bool) -> [Double] {
        let (inner, outer) = transposing ? (rows, columns) : (columns, rows)
        precondition(vector.count == inner, "matrix-vector product: \(rows)×\(columns)\(transposing ? "ᵀ" : "") by a vector of \(vector.count)")
        var result = [Double](repeating: 0, count: outer)
        guard rows > 0, columns > 0 else { return result }
        _ = BLASSetup.once
        cblas_dgemv(CblasRowMajor, transposing ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns), 1, values, Int32(columns), vector, 1, 0, &result, 1)
        return result
    }

    /// `self · other`.
    func times(_ other: DenseMatrix) -> DenseMatrix { product(other, transposingSelf: false, transposingOther: false) }

    /// `self · otherᵀ`.
    func timesTransposed(_ other: DenseMatrix) -> DenseMatrix { product(other, transposingSelf: false, transposingOther: true) }

    /// `selfᵀ · other`.
    func transposedTimes(_ other: DenseMatrix) -> DenseMatrix { product(other, transposingSelf: true, transposingOther: false) }

    private func product(_ other: DenseMatrix, transposingSelf: Bool, transposingOther: Bool) -> DenseMatrix {
        let (m, k) = transposingSelf ? (columns, rows) : (rows, columns)
        let (inner, n) = transposingOther ? (other.columns, other.rows) : (other.rows, other.columns)
        precondition(k == inner, "matrix product: \(m)×\(k) by \(inner)×\(n)")
        var result = DenseMatrix(rows: m, columns: n)
        guard m > 0, n > 0, k > 0 else { return result }
        _ = BLASSetup.once
        cblas_dgemm(
            CblasRowMajor, transposingSelf ? CblasTrans : CblasNoTrans, transposingOther ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
            values, Int32(columns), other.values, Int32(other.columns), 0, &result.values, Int32(n))
        return result
    }

    /// `self −= scale · a bᵀ`.
    mutating func subtractOuterProduct(_ a: [Double], _ b: [Double], scale: Double) {
        precondition(a.count == rows && b.count == columns, "outer product of \(a.count) and \(b.count) on \(rows)×\(columns)")
        guard rows > 0, columns > 0 else { return }
        _ = BLASSetup.once
        cblas_dger(CblasRowMajor, Int32(rows), Int32(columns), -scale, a, 1, b, 1, &values, Int32(columns))
    }
}

/// The lower-triangular factor L of a symmetric positive-definite matrix, A = L Lᵀ.
struct CholeskyFactor: Sendable {
    let lower: DenseMatrix

    /// Nil when `matrix` is not (numerically) positive definite.
    init?(_ matrix: DenseMatrix) {
        precondition(matrix.rows == matrix.columns, "Cholesky factor of a \(matrix.rows)×\(matrix.columns) matrix")
        guard matrix.values.allSatisfy(\.isFinite) else { return nil }
        var factor = matrix
        var size = Int32(matrix.rows), leading = max(size, 1), info: Int32 = 0
        // A symmetric row-major matrix read column-major is itself, and column-major Uᵀ U with
        // U upper is row-major L Lᵀ with L = Uᵀ lower.
        _ = BLASSetup.once
        if size > 0 { dpotrf_("U", &size, &factor.values, &leading, &info) }
        guard info == 0 else { return nil }
        for row in 0..<matrix.rows {
            for column in (row + 1)..<max(matrix.columns, row + 1) { factor.values[row * matrix.columns + column] = 0 }
        }
        lower = factor
    }

    /// x with A x = b.
    func solve(_ b: [Double]) -> [Double] {
        var x = b
        guard !x.isEmpty else { return x }
        let size = Int32(lower.rows)
        _ = BLASSetup.once
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, size, lower.values, size, &x, 1)
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, size, lower.values, size, &x, 1)
        return x
    }

    /// L⁻¹ · `matrix`.
    func lowerSolve(_ matrix: DenseMatrix) -> DenseMatrix {
        precondition(matrix.rows == lower.rows, "triangular solve: \(lower.rows) rows against \(matrix.rows)")
        var result = matrix
        guard matrix.rows > 0, matrix.columns > 0 else { return result }
        _ = BLASSetup.once
        cblas_dtrsm(
            CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(matrix.rows), Int32(matrix.columns), 1, lower.values,
            Int32(lower.rows), &result.values, Int32(matrix.columns))
        return result
    }

}
