// The kernels of a decoding step against their general or scalar counterparts: single-query
// attention against the blocked two-product kernel (grouped heads, a head size past 64 that is not
// a multiple of 8, left padding, a row that sees nothing), and the vectorised argmax against a
// first-maximum scan.
import Testing
import TestSupport
@testable import Kernels

@Suite struct DecodingKernelTests {
    @Test func singleQueryAttentionMatchesTheGeneralKernel() {
        let (batch, heads, keyValueHeads, headSize, keys) = (3, 6, 2, 76, 21)
        let width = heads * headSize, keyValueWidth = keyValueHeads * headSize
        var values = TestValues(seed: 11)
        let q = values.next(batch * width).map(Float.init)
        let k = values.next(batch * keys * keyValueWidth, scale: 2).map(Float.init)
        let v = values.next(batch * keys * keyValueWidth).map(Float.init)
        let first: [Int32] = [0, 7, Int32(keys)]
        let geometry = AttentionGeometry(batch: batch, heads: heads, headSize: headSize, queries: 1, keys: keys, queriesPerKeyValueHead: heads / keyValueHeads)
        func run(_ fused: Bool) -> [Float] {
            var q = q, k = k, v = v
            var out = [Float](repeating: .nan, count: batch * width)
            var probabilities = [Float](repeating: 0, count: geometry.probabilityCount)
            q.withUnsafeMutableBufferPointer { q in
                k.withUnsafeMutableBufferPointer { k in
                    v.withUnsafeMutableBufferPointer { v in
                        out.withUnsafeMutableBufferPointer { o in
                            let outRows = StridedRows(base: o.baseAddress!, rowStride: width, batchStride: width)
                            let queryRows = StridedRows(base: q.baseAddress!, rowStride: width, batchStride: width)
                            let keyRows = StridedRows(base: k.baseAddress!, rowStride: keyValueWidth, batchStride: keys * keyValueWidth)
                            let valueRows = StridedRows(base: v.baseAddress!, rowStride: keyValueWidth, batchStride: keys * keyValueWidth)
                            if fused {
                                Attention.decodingForward(out: outRows, query: queryRows, key: keyRows, value: valueRows, geometry: geometry, firstKey: first)
                            } else {
                                probabilities.withUnsafeMutableBufferPointer { p in
                                    Attention.forward(
                                        out: outRows, probabilities: p.baseAddress!, query: queryRows, key: keyRows, value: valueRows,
                                        geometry: geometry, firstKey: first)
                                }
                            }
                        }
                    }
                }
            }
            return out
        }
        let fused = run(true)
        expectClose(fused, run(false).map(Double.init), Tolerance(relative: 1e-5, absolute: 1e-6), "single-query attention")
        #expect(fused.suffix(width).allSatisfy { $0 == 0 }, "a row that sees no key outputs 0")
    }

    @Test func argmaxIsTheFirstMaximum() {
        var values = TestValues(seed: 12)
        for count in [1, 7, 8, 9, 64, 1003] {
            // Coarse values so that ties occur, in and across lanes.
            var row = values.next(count).map { Float(($0 * 4).rounded()) }
            for trial in 0..<3 {
                if trial == 1 { row[count - 1] = 10 }
                if trial == 2 { row = row.map { _ in -.infinity } }
                var expected = 0
                for j in 1..<count where row[j] > row[expected] { expected = j }
                #expect(row.withUnsafeBufferPointer { RowMath.argmax($0.baseAddress!, count) } == expected, "\(count) values, trial \(trial)")
            }
        }
    }
}
