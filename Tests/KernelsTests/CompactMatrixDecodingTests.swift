// A compact matrix decoded back to Floats (CompactDecoding.swift): every weight bit for bit, in
// both formats, whole (over several threads), by a slice of rows and by single rows.
import Testing
@testable import Kernels

@Suite struct CompactMatrixDecodingTests {
    @Test(arguments: [true, false])
    func decodingGivesBackEveryWeight(nibbles: Bool) throws {
        let (rows, columns) = (512, 64)
        let w = CompactProductTests.quantized(rows: rows, columns: columns, nibbles: nibbles, seed: nibbles ? 7 : 8)
        let compact = try #require(CompactProductTests.encode(w, rows: rows, columns: columns))
        func bits(_ values: some Collection<Float>) -> [UInt32] { values.map(\.bitPattern) }

        var whole = [Float](repeating: .nan, count: rows * columns)
        whole.withUnsafeMutableBufferPointer { compact.decode(rows: 0..<rows, into: $0.baseAddress!) }
        #expect(bits(whole) == bits(w))

        var slice = [Float](repeating: .nan, count: 16 * columns)
        slice.withUnsafeMutableBufferPointer { compact.decode(rows: 40..<56, into: $0.baseAddress!) }
        #expect(bits(slice) == bits(w[(40 * columns)..<(56 * columns)]))

        for row in [0, 5, 8, 263, 511] {
            var one = [Float](repeating: .nan, count: columns)
            one.withUnsafeMutableBufferPointer { compact.decode(row: row, into: $0.baseAddress!) }
            #expect(bits(one) == bits(w[(row * columns)..<((row + 1) * columns)]), "row \(row)")
        }
    }
}
