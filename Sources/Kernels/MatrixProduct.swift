// Every matrix product of the engine goes through here to OpenBLAS's cblas_sgemm. OpenBLAS runs
// single-threaded and the engine splits large products across cores itself: its thread count is
// process-wide state, and changing it while another thread multiplies (two models in one process,
// parallel attention heads) would change that thread's results in the last bits.
import CBLAS

/// Row-major matrix products through cblas_sgemm.
package enum MatrixProduct {
    /// Products below this many multiply-adds run on one thread.
    static let parallelThreshold = 1 << 21

    /// Pins OpenBLAS to the calling thread, once per process.
    private static let singleThreadedBLAS: Void = openblas_set_num_threads(1)

    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major, where op transposes
    /// when asked. Leading dimensions default to packed rows; strided views (a head's columns of
    /// a fused QKV buffer) pass their row stride. Large products are split by rows of C, or by
    /// columns when C is wide, one part per core; every element is computed exactly as in a
    /// single call, so the split never changes results.
    @inline(__always)
    package static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, transposeA: Bool = false, lda: Int? = nil,
        b: UnsafePointer<Float>, transposeB: Bool = false, ldb: Int? = nil,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
        alpha: Float = 1, beta: Float = 0
    ) {
        _ = singleThreadedBLAS
        guard m > 0, n > 0 else { return }
        let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n), ldc = ldc ?? n
        guard k > 0 else {
            scale(c, rows: m, columns: n, stride: ldc, by: beta)
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

    /// C ← beta·C for the degenerate k = 0 product (BLAS leaves that case to the caller).
    private static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
        for row in 0..<rows {
            for column in 0..<columns {
                c[row * stride + column] = beta == 0 ? 0 : c[row * stride + column] * beta
            }
        }
    }
}
