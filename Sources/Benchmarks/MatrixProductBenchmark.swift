// SGEMM through the engine (its product wrapper, and a whole linear layer with its output
// allocation and bias) against a direct cblas_sgemm call, at the transformer's shapes.
import CBLAS
import Foundation
import Kernels
import Tensors

struct MatrixProductBenchmark {
    struct Case {
        let name: String
        let m: Int, n: Int, k: Int
        let transposeA: Bool
    }

    static let cases = [
        Case(name: "square 1024³", m: 1024, n: 1024, k: 1024, transposeA: false),
        Case(name: "qkv [4096×256]·[256×768]", m: 4096, n: 768, k: 256, transposeA: false),
        Case(name: "mlp up [4096×256]·[256×1024]", m: 4096, n: 1024, k: 256, transposeA: false),
        Case(name: "mlp down [4096×1024]·[1024×256]", m: 4096, n: 256, k: 1024, transposeA: false),
        Case(name: "weight grad TN [256×4096]·[4096×768]", m: 256, n: 768, k: 4096, transposeA: true),
        Case(name: "lm head [4096×256]·[256×8192]", m: 4096, n: 8192, k: 256, transposeA: false),
    ]

    let repetitions: Int

    /// Median GFLOP/s of a direct 1024³ cblas_sgemm: the machine's practical peak.
    static func peakGFLOPs() -> Double {
        let n = 1024
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        let time = Clock.measure(repetitions: 9) {
            DirectBLAS.threaded {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            }
        }
        return 2 * Double(n * n * n) / time.median / 1e9
    }

    func run() -> [String: Double] {
        let table = Table(columns: [("shape", 38), ("direct GFLOP/s", 15), ("engine GFLOP/s", 15), ("ratio", 6), ("linear GFLOP/s", 15), ("ratio", 6)])
        print(table.header())
        var ratios: [String: Double] = [:]
        for c in Self.cases {
            let a = UnsafeMutablePointer<Float>.allocate(capacity: c.m * c.k)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: c.k * c.n)
            let out = UnsafeMutablePointer<Float>.allocate(capacity: c.m * c.n)
            defer { a.deallocate(); b.deallocate(); out.deallocate() }
            for i in 0..<(c.m * c.k) { a[i] = Float(i % 17) * 0.01 }
            for i in 0..<(c.k * c.n) { b[i] = Float(i % 13) * 0.01 }
            let flops = 2.0 * Double(c.m * c.n * c.k)
            let (direct, engine) = Clock.compareInBlocks(repetitions: repetitions, settle: DirectBLAS.settle, {
                DirectBLAS.threaded {
                    cblas_sgemm(CblasRowMajor, c.transposeA ? CblasTrans : CblasNoTrans, CblasNoTrans, Int32(c.m), Int32(c.n), Int32(c.k),
                                1, a, Int32(c.transposeA ? c.m : c.k), b, Int32(c.n), 0, out, Int32(c.n))
                }
            }, {
                MatrixProduct.multiply(m: c.m, n: c.n, k: c.k, a: a, transposeA: c.transposeA, b: b, c: out)
            })
            let linearRate = c.transposeA ? nil : linearLayerRate(c, a: a, b: b, flops: flops)
            let ratio = direct.median / engine.median
            ratios[c.name] = ratio
            print(table.row([
                c.name, format(flops / direct.median / 1e9, 1), format(flops / engine.median / 1e9, 1), format(ratio),
                linearRate.map { format($0.engine, 1) } ?? "-", linearRate.map { format($0.ratio) } ?? "-",
            ]))
        }
        return ratios
    }

    /// A Tensor.linear call (output allocated, bias added) against the bare product.
    private func linearLayerRate(_ c: Case, a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, flops: Double) -> (engine: Double, ratio: Double) {
        let x = try! Tensor(shape: [c.m, c.k], values: Array(UnsafeBufferPointer(start: a, count: c.m * c.k)))
        let w = try! Tensor(shape: [c.k, c.n], values: Array(UnsafeBufferPointer(start: b, count: c.k * c.n)))
        let bias = Tensor.zeros([c.n])
        let out = UnsafeMutablePointer<Float>.allocate(capacity: c.m * c.n)
        defer { out.deallocate() }
        let (direct, linear) = Clock.compareInBlocks(repetitions: repetitions, settle: DirectBLAS.settle, {
            DirectBLAS.threaded {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(c.m), Int32(c.n), Int32(c.k), 1, a, Int32(c.k), b, Int32(c.n), 0, out, Int32(c.n))
            }
        }, {
            _ = try! x.linear(w, bias: bias)
        })
        return (flops / linear.median / 1e9, direct.median / linear.median)
    }
}

/// The baseline: OpenBLAS as a user calls it, with its own threads on every core. The engine keeps
/// OpenBLAS single-threaded and splits products itself, so the baseline switches threads on only
/// around its own calls (this benchmark runs one product at a time).
enum DirectBLAS {
    static func threaded(_ body: () -> Void) {
        openblas_set_num_threads(Int32(Parallel.threadCount))
        body()
        openblas_set_num_threads(1)
    }

    /// OpenBLAS's idle workers spin for a while after a threaded call and would steal a core from
    /// the engine's next measurement; this waits until they sleep.
    static func settle() {
        usleep(300_000)
    }
}
