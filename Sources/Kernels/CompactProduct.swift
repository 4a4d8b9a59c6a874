// y = x·Wᵀ with W a CompactMatrix, for the few rows of x that decoding multiplies. A group's
// eight weights at one input are decoded into a vector (the exact Floats the matrix holds) and
// multiplied by that input of x broadcast, so the product reads only the compact bytes (sgemm over
// the f32 weights also re-packs the whole matrix on every call, which at 16 rows cost more than
// its multiply-adds). Each output is one multiply-add chain over the inputs in order: the same
// bits whatever the number of rows, their grouping or the thread count.

package enum CompactProduct {
    /// Rows of x up to which this beats sgemm over the f32 weights (SmolLM2's shapes, two cores).
    package static let rowLimit = 16

    /// out[N, rows of W] = x[N, columns of W] · Wᵀ.
    package static func multiply(_ w: CompactMatrix, input x: UnsafePointer<Float>, rows N: Int, out: UnsafeMutablePointer<Float>) {
        switch w.format {
        case .nibbles: multiply(NibbleBlocks(w), w, x, N, out)
        case .bytes: multiply(ByteBlocks(w), w, x, N, out)
        }
    }

    @inline(__always)
    private static func multiply<D: BlockDecoder>(_ decoder: D, _ w: CompactMatrix, _ x: UnsafePointer<Float>, _ N: Int, _ out: UnsafeMutablePointer<Float>) {
        let (outputs, inputs) = (w.rows, w.columns)
        // Chunks of whole panels (oneRow takes four groups at a time) and at least ~32K weights: a
        // thread hand-off costs about a microsecond.
        let panel = CompactMatrix.panelGroups
        let tiled = N / 8 * 8
        // Each tile of eight rows interleaved by input, so a step's eight broadcasts read one
        // 32-byte run at fixed offsets from one pointer: eight row addresses per step cost the
        // loop more instructions than its multiply-adds. One-row decoding has no tile.
        let interleaved: UnsafeMutablePointer<Float>? = tiled > 0 ? .allocate(capacity: tiled * inputs) : nil
        defer { interleaved?.deallocate() }
        if let interleaved {
            for r in stride(from: 0, to: tiled, by: 8) {
                let tile = interleaved + r * inputs
                for i in 0..<8 {
                    let row = x + (r + i) * inputs
                    for j in 0..<inputs { tile[j &* 8 &+ i] = row[j] }
                }
            }
        }
        Parallel.forEachChunk(of: w.groups / panel, minimumChunk: max(1, 1_024 / inputs)) { panels in
            let groups = panels.lowerBound * panel ..< panels.upperBound * panel
            // Every tile of rows against one group before the next: its weights stay in L1.
            if let interleaved {
                for g in groups {
                    for r in stride(from: 0, to: tiled, by: 8) {
                        eightRows(decoder, group: g, blocks: w.blocksPerRow, interleaved + r * inputs, out + r * outputs, outputs)
                    }
                }
            }
            for r in tiled..<N { oneRow(decoder, groups: groups, blocks: w.blocksPerRow, x + r * inputs, out + r * outputs) }
        }
    }

    /// Eight rows of x, interleaved by input ([inputs][8]), against one group: each decoded
    /// vector serves eight chains.
    @inline(__always)
    private static func eightRows<D: BlockDecoder>(
        _ decoder: D, group g: Int, blocks: Int, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ outStride: Int
    ) {
        var a0 = Vector8(), a1 = Vector8(), a2 = Vector8(), a3 = Vector8()
        var a4 = Vector8(), a5 = Vector8(), a6 = Vector8(), a7 = Vector8()
        @inline(__always) func step(_ w: Vector8, _ xj: UnsafePointer<Float>) {
            a0 = a0.addingProduct(Vector8(repeating: xj[0]), w)
            a1 = a1.addingProduct(Vector8(repeating: xj[1]), w)
            a2 = a2.addingProduct(Vector8(repeating: xj[2]), w)
            a3 = a3.addingProduct(Vector8(repeating: xj[3]), w)
            a4 = a4.addingProduct(Vector8(repeating: xj[4]), w)
            a5 = a5.addingProduct(Vector8(repeating: xj[5]), w)
            a6 = a6.addingProduct(Vector8(repeating: xj[6]), w)
            a7 = a7.addingProduct(Vector8(repeating: xj[7]), w)
        }
        for b in 0..<blocks {
            let block = decoder.block(group: g, b), xb = x + b * CompactMatrix.blockSize * 8
            for t in 0..<16 { step(block.low(t), xb + t * 8) }
            for t in 0..<16 { step(block.high(t), xb + (16 + t) * 8) }
        }
        let o = out + g * CompactMatrix.groupSize
        o.setVector(a0, at: 0)
        o.setVector(a1, at: outStride)
        o.setVector(a2, at: 2 * outStride)
        o.setVector(a3, at: 3 * outStride)
        o.setVector(a4, at: 4 * outStride)
        o.setVector(a5, at: 5 * outStride)
        o.setVector(a6, at: 6 * outStride)
        o.setVector(a7, at: 7 * outStride)
    }

    /// One row of x against four groups at a time, one from each quarter of `groups`: four
    /// independent chains cover the latency of a multiply-add, and each quarter is one sequential
    /// stream of records for the prefetcher.
    @inline(__always)
    private static func oneRow<D: BlockDecoder>(_ decoder: D, groups: Range<Int>, blocks: Int, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let quarter = groups.count / 4
        for first in groups.lowerBound ..< groups.lowerBound + quarter {
            let (g0, g1, g2, g3) = (first, first + quarter, first + 2 * quarter, first + 3 * quarter)
            var a0 = Vector8(), a1 = Vector8(), a2 = Vector8(), a3 = Vector8()
            for b in 0..<blocks {
                let k0 = decoder.block(group: g0, b), k1 = decoder.block(group: g1, b)
                let k2 = decoder.block(group: g2, b), k3 = decoder.block(group: g3, b)
                let xb = x + b * CompactMatrix.blockSize
                for t in 0..<16 {
                    let xt = Vector8(repeating: xb[t])
                    a0 = a0.addingProduct(xt, k0.low(t))
                    a1 = a1.addingProduct(xt, k1.low(t))
                    a2 = a2.addingProduct(xt, k2.low(t))
                    a3 = a3.addingProduct(xt, k3.low(t))
                }
                for t in 0..<16 {
                    let xt = Vector8(repeating: xb[16 + t])
                    a0 = a0.addingProduct(xt, k0.high(t))
                    a1 = a1.addingProduct(xt, k1.high(t))
                    a2 = a2.addingProduct(xt, k2.high(t))
                    a3 = a3.addingProduct(xt, k3.high(t))
                }
            }
            out.setVector(a0, at: g0 * CompactMatrix.groupSize)
            out.setVector(a1, at: g1 * CompactMatrix.groupSize)
            out.setVector(a2, at: g2 * CompactMatrix.groupSize)
            out.setVector(a3, at: g3 * CompactMatrix.groupSize)
        }
    }
}

/// One block of one group: the eight rows' weights at each of its 32 inputs.
protocol GroupBlock {
    /// Input t < 16.
    func low(_ t: Int) -> Vector8
    /// Input 16 + t.
    func high(_ t: Int) -> Vector8
}

protocol BlockDecoder {
    associatedtype Block: GroupBlock
    func block(group: Int, _ block: Int) -> Block
}

/// Q4_1: w = fl(fl(d·q) + m) as the GGUF loader rounds it, which is one fused multiply-add: d·q
/// (11 by 4 significant bits) is exact in Float. A high nibble is taken as 16q, masked in place,
/// times d/16: the same exact product without a shift.
struct NibbleBlocks: BlockDecoder {
    struct Block: GroupBlock {
        let codes: UnsafeRawPointer
        let d, sixteenth, m: Vector8
        let masks: SIMD2<Int32>

        @inline(__always) func low(_ t: Int) -> Vector8 { m.addingProduct(floats(widened(codes + 8 * t, as: UInt8.self) & masks[0]), d) }
        @inline(__always) func high(_ t: Int) -> Vector8 { m.addingProduct(floats(widened(codes + 8 * t, as: UInt8.self) & masks[1]), sixteenth) }
    }

    let matrix: CompactMatrix

    init(_ w: CompactMatrix) { matrix = w }

    @inline(__always) func block(group: Int, _ block: Int) -> Block {
        let record = UnsafeRawPointer(matrix.records + matrix.record(group: group, block: block) * matrix.recordBytes)
        let scales = record.assumingMemoryBound(to: Float16.self), d = halves(scales)
        return Block(codes: record + matrix.codeOffset, d: d, sixteenth: d * 0.0625, m: halves(scales + 8), masks: matrix.nibbleMasks)
    }
}

/// Q8_0: w = fl(d·q).
struct ByteBlocks: BlockDecoder {
    struct Block: GroupBlock {
        let codes: UnsafeRawPointer
        let d: Vector8

        @inline(__always) func low(_ t: Int) -> Vector8 { floats(widened(codes + 8 * t, as: Int8.self)) * d }
        @inline(__always) func high(_ t: Int) -> Vector8 { floats(widened(codes + 8 * (16 + t), as: Int8.self)) * d }
    }

    let matrix: CompactMatrix

    init(_ w: CompactMatrix) { matrix = w }

    @inline(__always) func block(group: Int, _ block: Int) -> Block {
        let record = UnsafeRawPointer(matrix.records + matrix.record(group: group, block: block) * matrix.recordBytes)
        return Block(codes: record + matrix.codeOffset, d: halves(record.assumingMemoryBound(to: Float16.self)))
    }
}

// The stdlib's generic SIMD conversions are not always inlined into large loops (a call per
// vector); these lane loops are, and compile to vpmovzxbd/vpmovsxbd, vcvtdq2ps and vcvtph2ps.

/// Eight bytes at `bytes`, each widened to 32 bits.
@inline(__always) private func widened<Byte: FixedWidthInteger>(_ bytes: UnsafeRawPointer, as: Byte.Type) -> SIMD8<Int32> {
    var lanes = SIMD8<Int32>()
    for i in 0..<8 { lanes[i] = Int32(bytes.load(fromByteOffset: i, as: Byte.self)) }
    return lanes
}

@inline(__always) private func floats(_ integers: SIMD8<Int32>) -> Vector8 {
    var lanes = Vector8()
    for i in 0..<8 { lanes[i] = Float(integers[i]) }
    return lanes
}

@inline(__always) private func halves(_ values: UnsafePointer<Float16>) -> Vector8 {
    var lanes = Vector8()
    for i in 0..<8 { lanes[i] = Float(values[i]) }
    return lanes
}
