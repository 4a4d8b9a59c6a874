// Every matrix product of the engine goes through here to OpenBLAS's cblas_sgemm. OpenBLAS runs
// single-threaded and the engine splits large products across cores itself: its thread count is
// process-wide state, and changing it while another thread multiplies (two models in one process,
// parallel attention heads) would change that thread's results in the last bits.
import CBLAS

/// Row-major matrix products through cblas_sgemm.
package enum MatrixProduct {
    /// Products below this many multiply-adds run on one thread.
    static let parallelThreshold = 1 << 21

    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major, where op transposes
    /// when asked. Leading dimensions default to packed rows; strided views (a head's columns of
    /// a fused QKV buffer) pass their row stride. Large products are split by rows of C, or by
    /// columns when C is wide, one part per core. The parts depend only on the sizes and the
    /// thread count, so results repeat exactly for a given thread count (a part may round its last
    /// bits differently from one whole call: OpenBLAS's AVX2 and AVX-512 kernels block narrow
    /// products differently).
    @inline(__always)
    package static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, transposeA: Bool = false, lda: Int? = nil,
        b: UnsafePointer<Float>, transposeB: Bool = false, ldb: Int? = nil,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
        alpha: Float = 1, beta: Float = 0
    ) {
        _ = BLASSetup.once
        guard m > 0, n > 0 else { return }
        let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n), ldc = ldc ?? n
        guard k > 0 else {
            scale(c, rows: m, columns: n, stride: ldc, by: beta)
            return
        }
        if m == 1 || n == 1 {
            vectorProduct(m: m, n: n, k: k, a: a, transposeA, lda, b: b, transposeB, ldb, c: c, ldc, alpha, beta)
            return
        }
        let parts = m * n * k >= parallelThreshold ? min(Parallel.threadCount, max(m, n) / 16) : 1
        guard parts > 1 else {
            sgemm(m: m, n: n, k: k, a: a, transposeA, lda, b: b, transposeB, ldb, c: c, ldc, alpha, beta)
            return
        }
        Parallel.forEachChunk(of: parts, minimumChunk: 1) { chunk in
            for part in chunk {
                if m >= n {
                    let rows = part * m / parts ..< (part + 1) * m / parts
                    sgemm(m: rows.count, n: n, k: k, a: a + rows.lowerBound * (transposeA ? 1 : lda), transposeA, lda,
                          b: b, transposeB, ldb, c: c + rows.lowerBound * ldc, ldc, alpha, beta)
                } else {
                    let columns = part * n / parts ..< (part + 1) * n / parts
                    sgemm(m: m, n: columns.count, k: k, a: a, transposeA, lda,
                          b: b + columns.lowerBound * (transposeB ? ldb : 1), transposeB, ldb, c: c + columns.lowerBound, ldc, alpha, beta)
                }
            }
        }
    }

    @inline(__always)
    private static func sgemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, _ transposeA: Bool, _ lda: Int,
        b: UnsafePointer<Float>, _ transposeB: Bool, _ ldb: Int, c: UnsafeMutablePointer<Float>, _ ldc: Int,
        _ alpha: Float, _ beta: Float
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Matrix-vector products below this many multiply-adds run on one thread.
    static let vectorParallelThreshold = 1 << 17

    /// A product with one row or one column of C is a matrix-vector product: sgemv reads the
    /// matrix once instead of packing it first as sgemm does (decoding one token at a time).
    /// Large ones are split by output elements across cores, which also splits the memory traffic.
    @inline(__always)
    private static func vectorProduct(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, _ transposeA: Bool, _ lda: Int,
        b: UnsafePointer<Float>, _ transposeB: Bool, _ ldb: Int, c: UnsafeMutablePointer<Float>, _ ldc: Int,
        _ alpha: Float, _ beta: Float
    ) {
        let outputs = m == 1 ? n : m
        let parts = outputs * k >= vectorParallelThreshold ? min(Parallel.threadCount, outputs / 64) : 1
        Parallel.forEachChunk(of: max(parts, 1), minimumChunk: 1) { chunk in
            for part in chunk {
                let range = part * outputs / max(parts, 1) ..< (part + 1) * outputs / max(parts, 1)
                if m == 1 {
                    rowTimesMatrix(
                        columns: range, k: k, x: a, incx: transposeA ? lda : 1,
                        b: b, transposeB, ldb, c: c, alpha, beta)
                } else {
                    matrixTimesColumn(
                        rows: range, k: k, a: a, transposeA, lda,
                        x: b, incx: transposeB ? 1 : ldb, c: c, ldc, alpha, beta)
                }
            }
        }
    }

    /// c[j] = alpha·Σ_p x[p]·op(B)[p, j] + beta·c[j] for j in `columns`.
    @inline(__always)
    private static func rowTimesMatrix(
        columns: Range<Int>, k: Int, x: UnsafePointer<Float>, incx: Int,
        b: UnsafePointer<Float>, _ transposeB: Bool, _ ldb: Int, c: UnsafeMutablePointer<Float>, _ alpha: Float, _ beta: Float
    ) {
        let out = c + columns.lowerBound
        // With beta = 0 the output may hold anything, NaN included; BLAS would scale it by 0.
        if beta == 0 { out.update(repeating: 0, count: columns.count) }
        if transposeB {  // B is [n, k]: the wanted rows times x.
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(columns.count), Int32(k), alpha,
                        b + columns.lowerBound * ldb, Int32(ldb), x, Int32(incx), beta, out, 1)
        } else {  // B is [k, n]: the wanted columns, transposed, times x.
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(columns.count), alpha,
                        b + columns.lowerBound, Int32(ldb), x, Int32(incx), beta, out, 1)
        }
    }

    /// c[i·ldc] = alpha·Σ_p op(A)[i, p]·x[p] + beta·c[i·ldc] for i in `rows`.
    @inline(__always)
    private static func matrixTimesColumn(
        rows: Range<Int>, k: Int, a: UnsafePointer<Float>, _ transposeA: Bool, _ lda: Int,
        x: UnsafePointer<Float>, incx: Int, c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
    ) {
        let out = c + rows.lowerBound * ldc
        if beta == 0 { for i in 0..<rows.count { out[i * ldc] = 0 } }
        if transposeA {  // A is [k, m]: the wanted columns, transposed, times x.
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(rows.count), alpha,
                        a + rows.lowerBound, Int32(lda), x, Int32(incx), beta, out, Int32(ldc))
        } else {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows.count), Int32(k), alpha,
                        a + rows.lowerBound * lda, Int32(lda), x, Int32(incx), beta, out, Int32(ldc))
        }
    }

    /// C ← beta·C for the degenerate k = 0 product (BLAS leaves that case to the caller).
    private static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
        for row in 0..<rows {
            for column in 0..<columns {
                c[row * stride + column] = beta == 0 ? 0 : c[row * stride + column] * beta
            }
        }
    }
}
