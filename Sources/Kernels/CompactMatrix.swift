// A frozen [out, in] weight matrix in a block format that reproduces every Float of it exactly:
// llama.cpp's Q4_1 (per 32 inputs of a row a half-precision scale d and minimum m, 4-bit codes
// q, w = d·q + m) or Q8_0 (a scale d and 8-bit codes, w = d·q). A GGUF model's weights are such
// values once dequantised, so decoding reads 5 or 8.5 bits per weight instead of 32 without
// changing a single weight; matrices with any other values have no compact form.
//
// Rows are stored in groups of eight, interleaved: the codes of the group's eight rows at one
// input sit in eight consecutive bytes (nibbles: inputs t and t + 16 of a block share a byte, low
// and high), after the block's eight scales (and minima), so one widening load and a few
// lane-wise operations give the eight rows' weights at one input as a vector
// (CompactProduct.swift). A group's blocks follow each other, and the groups each other, so each
// of a product's streams reads memory in order.
import Synchronization

package final class CompactMatrix: @unchecked Sendable {
    package enum Format: Sendable {
        /// Q4_1: w = fl(fl(d·q) + m), q in 0...15.
        case nibbles
        /// Q8_0: w = fl(d·q), q in -128...127.
        case bytes
    }

    package static let blockSize = 32
    package static let groupSize = 8
    /// Groups a product hands out together: its one-row loop runs four at a time.
    package static let panelGroups = 4

    package let format: Format
    /// Output rows, a multiple of a panel's 32.
    package let rows: Int
    /// Inputs per row, a multiple of the block size.
    package let columns: Int
    /// Block b of group g is the record at `records + (g·blocksPerRow + b)·recordBytes`: the eight rows'
    /// d, then for nibbles their eight m (Float16), then byte 8t + i for row i: q at input t
    /// (bytes), or q at input t in the low nibble and at input t + 16 in the high one (nibbles).
    let records: UnsafeMutableRawPointer
    let recordBytes: Int
    /// Offset of the codes in a record.
    let codeOffset: Int
    /// The low and the high nibble of a byte. Read from here rather than written as literals in
    /// the product: with literals the compiler masked the bytes before widening them and spilled
    /// the four-group loop's scales (5–10% slower on SmolLM2's shapes).
    let nibbleMasks = SIMD2<Int32>(0x0F, 0xF0)

    private init(format: Format, rows: Int, columns: Int) {
        self.format = format
        self.rows = rows
        self.columns = columns
        codeOffset = Self.groupSize * MemoryLayout<Float16>.size * (format == .nibbles ? 2 : 1)
        recordBytes = codeOffset + Self.blockSize * Self.groupSize / (format == .nibbles ? 2 : 1)
        records = .allocate(byteCount: rows / Self.groupSize * columns / Self.blockSize * recordBytes, alignment: 64)
    }

    deinit { records.deallocate() }

    var blocksPerRow: Int { columns / Self.blockSize }
    var groups: Int { rows / Self.groupSize }

    @inline(__always) func record(group g: Int, block b: Int) -> Int { g * blocksPerRow + b }

    /// Bytes a product reads.
    package var byteCount: Int { groups * blocksPerRow * recordBytes }

    /// The compact form of `values` [rows, columns], or nil unless one format holds every value
    /// bit for bit. A first group that fits neither format rejects the matrix at once (trained
    /// weights), before any parallel work.
    package static func encode(_ values: UnsafePointer<Float>, rows: Int, columns: Int) -> CompactMatrix? {
        guard rows > 0, rows % (groupSize * panelGroups) == 0, columns > 0, columns % blockSize == 0 else { return nil }
        for format in [Format.nibbles, .bytes] {
            let matrix = CompactMatrix(format: format, rows: rows, columns: columns)
            guard matrix.encodeGroups(0..<1, from: values) else { continue }
            let failed = Atomic(false)
            Parallel.forEachChunk(of: matrix.groups - 1, minimumChunk: max(1, 2_048 / columns)) { range in
                if !matrix.encodeGroups((range.lowerBound + 1)..<(range.upperBound + 1), from: values) { failed.store(true, ordering: .relaxed) }
            }
            if !failed.load(ordering: .relaxed) { return matrix }
        }
        return nil
    }

    /// Weight [row, column], exactly as encoded.
    package func weight(row: Int, column: Int) -> Float {
        let (g, i) = row.quotientAndRemainder(dividingBy: Self.groupSize), (b, j) = column.quotientAndRemainder(dividingBy: Self.blockSize)
        let base = records + record(group: g, block: b) * recordBytes
        let s = base.assumingMemoryBound(to: Float16.self), code = (base + codeOffset).assumingMemoryBound(to: UInt8.self)
        switch format {
        case .nibbles:
            let q = Float(code[(j % 16) * 8 + i] >> (j < 16 ? 0 : 4) & 15)
            return q * Float(s[i]) + Float(s[Self.groupSize + i])
        case .bytes:
            return Float(Int8(bitPattern: code[j * 8 + i])) * Float(s[i])
        }
    }

    private func encodeGroups(_ range: Range<Int>, from values: UnsafePointer<Float>) -> Bool {
        let q = UnsafeMutablePointer<Int32>.allocate(capacity: Self.blockSize)
        defer { q.deallocate() }
        for g in range {
            for b in 0..<blocksPerRow {
                let base = records + record(group: g, block: b) * recordBytes
                let s = base.bindMemory(to: Float16.self, capacity: codeOffset / 2)
                let code = (base + codeOffset).bindMemory(to: UInt8.self, capacity: recordBytes - codeOffset)
                if format == .nibbles { code.update(repeating: 0, count: recordBytes - codeOffset) }
                for i in 0..<Self.groupSize {
                    let source = values + (g * Self.groupSize + i) * columns + b * Self.blockSize
                    let fits = format == .nibbles
                        ? Self.encodeNibbles(source, q, s + i, s + Self.groupSize + i) : Self.encodeBytes(source, q, s + i)
                    guard fits else { return false }
                    for j in 0..<Self.blockSize {
                        if format == .nibbles {
                            code[(j % 16) * 8 + i] |= UInt8(q[j]) << (j < 16 ? 0 : 4)
                        } else {
                            code[j * 8 + i] = UInt8(truncatingIfNeeded: q[j])
                        }
                    }
                }
            }
        }
        return true
    }

    /// The block's minimum has q = 0, so it is m; ggml gives its maximum q = 15, so d is the half
    /// nearest (max − min)/15 (other producers' largest code may be smaller: `candidates`).
    private static func encodeNibbles(
        _ x: UnsafePointer<Float>, _ codes: UnsafeMutablePointer<Int32>, _ scale: UnsafeMutablePointer<Float16>, _ minimum: UnsafeMutablePointer<Float16>
    ) -> Bool {
        let v = (x.vector(at: 0), x.vector(at: 8), x.vector(at: 16), x.vector(at: 24))
        let low = smallest(v.0, v.1, v.2, v.3), high = -smallest(-v.0, -v.1, -v.2, -v.3)
        guard low.isFinite, high.isFinite, Float(Float16(low)).bitPattern == low.bitPattern else { return false }
        let m = Vector8(repeating: low)
        for d in candidates(spread: high - low, largestCode: 15) {
            let s = Vector8(repeating: Float(d))
            let q = (nibbleCodes(v.0, m, s), nibbleCodes(v.1, m, s), nibbleCodes(v.2, m, s), nibbleCodes(v.3, m, s))
            guard exact(q.0 * s + m, v.0), exact(q.1 * s + m, v.1), exact(q.2 * s + m, v.2), exact(q.3 * s + m, v.3) else { continue }
            store(q, into: codes)
            scale.pointee = d
            minimum.pointee = Float16(low)
            return true
        }
        return false
    }

    /// ggml gives the largest magnitude q = ±127, so d is the half nearest max|x|/127.
    private static func encodeBytes(_ x: UnsafePointer<Float>, _ codes: UnsafeMutablePointer<Int32>, _ scale: UnsafeMutablePointer<Float16>) -> Bool {
        let v = (x.vector(at: 0), x.vector(at: 8), x.vector(at: 16), x.vector(at: 24))
        let largest = -smallest(-magnitude(v.0), -magnitude(v.1), -magnitude(v.2), -magnitude(v.3))
        guard largest.isFinite else { return false }
        for d in candidates(spread: largest, largestCode: 127) {
            let s = Vector8(repeating: Float(d))
            let q = (byteCodes(v.0, s), byteCodes(v.1, s), byteCodes(v.2, s), byteCodes(v.3, s))
            guard exact(q.0 * s, v.0), exact(q.1 * s, v.1), exact(q.2 * s, v.2), exact(q.3 * s, v.3) else { continue }
            store(q, into: codes)
            scale.pointee = d
            return true
        }
        return false
    }

    /// Scales d for which `spread` = d·n, largest code n first: the half nearest spread/n and
    /// its neighbours, which cover the rounding of the estimate (the exactness check decides).
    /// Only blocks that fit no format, or whose largest code is not the format's, go past n's
    /// first value; a constant block has d = 0.
    private static func candidates(spread: Float, largestCode: Int) -> some Sequence<Float16> {
        (1...(spread == 0 ? 1 : largestCode)).reversed().lazy.flatMap { n -> [Float16] in
            let d = Float16(spread / Float(n))
            guard d.isFinite, d >= 0 else { return [] }
            return d == 0 ? [0] : [d, d.nextUp, d.nextDown]
        }
    }

    private static let rounding = Vector8(repeating: 0x1.8p23)

    /// ((x − m)/d) rounded to the nearest integer in 0...15, as Floats (0 when d is 0).
    @inline(__always) private static func nibbleCodes(_ x: Vector8, _ m: Vector8, _ d: Vector8) -> Vector8 {
        var t = ((x - m) / d).replacing(with: 0, where: d .== 0)
        t = t.replacing(with: 0, where: .!(t .> 0)).replacing(with: 15, where: t .> 15)
        return (t + rounding) - rounding
    }

    /// x/d rounded to the nearest integer in -128...127, as Floats (0 when d is 0).
    @inline(__always) private static func byteCodes(_ x: Vector8, _ d: Vector8) -> Vector8 {
        var t = (x / d).replacing(with: 0, where: d .== 0)
        t = t.replacing(with: -128, where: .!(t .> -128)).replacing(with: 127, where: t .> 127)
        return (t + rounding) - rounding
    }

    /// Integral Floats in -2²²..<2²², as integers (the 1.5·2²³ trick: no conversion call).
    @inline(__always) private static func store(_ q: (Vector8, Vector8, Vector8, Vector8), into codes: UnsafeMutablePointer<Int32>) {
        for (i, v) in [q.0, q.1, q.2, q.3].enumerated() {
            let bits = unsafeBitCast(v + rounding, to: SIMD8<Int32>.self) &- 0x4B40_0000
            UnsafeMutableRawPointer(codes + 8 * i).storeBytes(of: bits, as: SIMD8<Int32>.self)
        }
    }

    @inline(__always) private static func exact(_ a: Vector8, _ b: Vector8) -> Bool {
        unsafeBitCast(a, to: SIMD8<UInt32>.self) == unsafeBitCast(b, to: SIMD8<UInt32>.self)
    }

    /// The smallest lane of four vectors; NaNs are skipped (the exactness check rejects them).
    @inline(__always) private static func smallest(_ a: Vector8, _ b: Vector8, _ c: Vector8, _ d: Vector8) -> Float {
        func minimum(_ a: Vector8, _ b: Vector8) -> Vector8 { a.replacing(with: b, where: b .< a) }
        let v = minimum(minimum(a, b), minimum(c, d))
        var result = v[0]
        for lane in 1..<8 where v[lane] < result { result = v[lane] }
        return result
    }

    @inline(__always) private static func magnitude(_ a: Vector8) -> Vector8 { a.replacing(with: -a, where: a .< 0) }
}
