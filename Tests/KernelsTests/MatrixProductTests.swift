// sgemm through the engine against a triple loop, for every transpose case and strided views.
import Testing
import TestSupport
@testable import Kernels

@Suite struct MatrixProductTests {
    func naive(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, ta: Bool, tb: Bool) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                for p in 0..<k {
                    let x = ta ? a[p * m + i] : a[i * k + p]
                    let y = tb ? b[j * k + p] : b[p * n + j]
                    c[i * n + j] += Double(x) * Double(y)
                }
            }
        }
        return c
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func everyTransposeCaseMatchesTheDefinition(ta: Bool, tb: Bool) {
        var values = TestValues(seed: 3)
        let (m, n, k) = (7, 5, 9)
        let a = values.next(m * k).map(Float.init), b = values.next(k * n).map(Float.init)
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    MatrixProduct.multiply(m: m, n: n, k: k, a: a.baseAddress!, transposeA: ta, b: b.baseAddress!, transposeB: tb, c: c.baseAddress!)
                }
            }
        }
        expectClose(c, naive(a, b, m: m, n: n, k: k, ta: ta, tb: tb), Tolerance(relative: 1e-5, absolute: 1e-5), "C = op(A)·op(B)")
    }

    @Test func accumulatesWithBetaAndReadsStridedColumns() {
        var values = TestValues(seed: 4)
        // A is the middle 3 of 8 columns of a 4×8 buffer; C is written into columns 2..<4 of a 4×6 buffer.
        let buffer = values.next(4 * 8).map(Float.init), b = values.next(3 * 2).map(Float.init)
        var c = values.next(4 * 6).map(Float.init)
        let before = c
        buffer.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    MatrixProduct.multiply(m: 4, n: 2, k: 3, a: a.baseAddress! + 2, lda: 8, b: b.baseAddress!, c: c.baseAddress! + 2, ldc: 6, beta: 1)
                }
            }
        }
        for i in 0..<4 {
            for j in 0..<6 {
                var expected = Double(before[i * 6 + j])
                if (2..<4).contains(j) {
                    for p in 0..<3 { expected += Double(buffer[i * 8 + 2 + p]) * Double(b[p * 2 + j - 2]) }
                }
                #expect(abs(Double(c[i * 6 + j]) - expected) < 1e-5, "C[\(i), \(j)]")
            }
        }
    }

    @Test func anEmptyInnerDimensionScalesTheOutput() {
        var c: [Float] = [1, 2, 3, 4]
        let empty: [Float] = [0]
        empty.withUnsafeBufferPointer { e in
            c.withUnsafeMutableBufferPointer { c in
                MatrixProduct.multiply(m: 2, n: 2, k: 0, a: e.baseAddress!, b: e.baseAddress!, c: c.baseAddress!, beta: 0.5)
            }
        }
        #expect(c == [0.5, 1, 1.5, 2])
    }
}
