// Every matrix product of the engine goes through here to OpenBLAS's cblas_sgemm.
import CBLAS

/// Row-major matrix products through cblas_sgemm.
package enum MatrixProduct {
    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major, where op transposes
    /// when asked. Leading dimensions default to packed rows; strided views (a head's columns of
    /// a fused QKV buffer) pass their row stride.
    @inline(__always)
    package static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, transposeA: Bool = false, lda: Int? = nil,
        b: UnsafePointer<Float>, transposeB: Bool = false, ldb: Int? = nil,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
        alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            scale(c, rows: m, columns: n, stride: ldc ?? n, by: beta)
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda ?? (transposeA ? m : k)),
            b, Int32(ldb ?? (transposeB ? k : n)),
            beta, c, Int32(ldc ?? n))
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

/// OpenBLAS's own threads. The engine runs large products on all of them and, inside its own
/// parallel loops (one attention head per thread), asks for one, so the two kinds of threads never
/// oversubscribe the cores.
package enum BLASThreads {
    package static var count: Int { Int(openblas_get_num_threads()) }

    package static func set(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// Runs `body` with OpenBLAS restricted to the calling thread.
    @inline(__always)
    package static func single<R>(_ body: () throws -> R) rethrows -> R {
        let previous = openblas_get_num_threads()
        if previous == 1 { return try body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(previous) }
        return try body()
    }
}
