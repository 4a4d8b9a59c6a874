// The compact weight formats and their product: encoding is lossless for values llama.cpp's
// Q4_1 and Q8_0 produce and refuses anything else; the product equals the ordered multiply-add
// reference bit for bit at every row count, and the definition in Double.
import Testing
import TestSupport
@testable import Kernels

@Suite struct CompactProductTests {
    /// Values as ggml's Q4_1 (w = d·q + m, q in 0...15 with 0 and 15 present) or Q8_0 (w = d·q,
    /// |q| ≤ 127 with ±127 present) dequantise to, d and m half-precision.
    static func quantized(rows: Int, columns: Int, nibbles: Bool, seed: UInt64) -> [Float] {
        var values = TestValues(seed: seed)
        var out = [Float](repeating: 0, count: rows * columns)
        for block in 0..<(rows * columns / 32) {
            let random = values.next(34)
            let d = Float(Float16(Float(0.01 + 0.005 * random[0])))
            let m = Float(Float16(Float(0.1 * random[1])))
            for j in 0..<32 {
                let u = (random[2 + j] + 1) / 2
                if nibbles {
                    let q = j == 3 ? 0 : j == 17 ? 15 : min(15, Int(u * 16))
                    out[block * 32 + j] = d * Float(q) + m
                } else {
                    let q = j == 5 ? -127 : j == 20 ? 127 : max(-127, min(127, Int(u * 255) - 127))
                    out[block * 32 + j] = d * Float(q)
                }
            }
        }
        return out
    }

    static func encode(_ w: [Float], rows: Int, columns: Int) -> CompactMatrix? {
        w.withUnsafeBufferPointer { CompactMatrix.encode($0.baseAddress!, rows: rows, columns: columns) }
    }

    @Test(arguments: [true, false])
    func encodingKeepsEveryWeight(nibbles: Bool) throws {
        let (rows, columns) = (64, 96)
        let w = Self.quantized(rows: rows, columns: columns, nibbles: nibbles, seed: nibbles ? 1 : 2)
        let compact = try #require(Self.encode(w, rows: rows, columns: columns))
        #expect(compact.format == (nibbles ? .nibbles : .bytes))
        #expect(compact.byteCount == rows * columns * (nibbles ? 20 : 34) / 32)
        for r in 0..<rows {
            for c in 0..<columns where compact.weight(row: r, column: c).bitPattern != w[r * columns + c].bitPattern {
                Issue.record("weight [\(r), \(c)]: \(compact.weight(row: r, column: c)) for \(w[r * columns + c])")
            }
        }
    }

    @Test func matricesOutsideTheFormatsHaveNone() {
        var values = TestValues(seed: 3)
        let trained = values.next(16 * 64).map(Float.init)
        #expect(Self.encode(trained, rows: 16, columns: 64) == nil, "arbitrary Floats")
        var almost = Self.quantized(rows: 64, columns: 64, nibbles: true, seed: 4)
        almost[almost.count - 1] = almost[almost.count - 1].nextUp
        #expect(Self.encode(almost, rows: 64, columns: 64) == nil, "one weight off by an ulp, in the last group")
        let quantized = Self.quantized(rows: 48, columns: 64, nibbles: true, seed: 5)
        #expect(Self.encode(quantized, rows: 48, columns: 64) == nil, "rows not a multiple of a panel's 32")
        #expect(Self.encode(Array(quantized.prefix(32 * 48)), rows: 32, columns: 48) == nil, "columns not a multiple of the block")
    }

    /// 17 panels of 32 rows: split over two threads into chunks of 8 and 9 panels.
    @Test(arguments: [true, false])
    func productIsTheOrderedReferenceAtEveryRowCount(nibbles: Bool) throws {
        let (outputs, inputs) = (544, 128)
        let w = Self.quantized(rows: outputs, columns: inputs, nibbles: nibbles, seed: 6)
        let compact = try #require(Self.encode(w, rows: outputs, columns: inputs))
        var values = TestValues(seed: 7)
        let x = values.next(17 * inputs).map(Float.init)
        for rows in [1, 2, 3, 8, 11, 16, 17] {
            let input = Array(x.prefix(rows * inputs))
            var out = [Float](repeating: .nan, count: rows * outputs)
            input.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { CompactProduct.multiply(compact, input: x.baseAddress!, rows: rows, out: $0.baseAddress!) }
            }
            let ordered = NaiveCompactProduct.product(input, w, rows: rows, outputs: outputs, inputs: inputs)
            #expect(out.map(\.bitPattern) == ordered.map(\.bitPattern), "\(rows) rows against the ordered Float reference")
            let exact = NaiveCompactProduct.product(input.map(Double.init), w.map(Double.init), rows: rows, outputs: outputs, inputs: inputs)
            expectClose(out, exact, Tolerance(relative: 1e-5, absolute: 1e-5), "\(rows) rows against the definition")
        }
    }
}
