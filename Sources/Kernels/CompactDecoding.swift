// A CompactMatrix back to Floats: a slice of rows for a BLAS product that needs the f32 matrix
// (many-row products, backward passes), or single rows for an embedding lookup. The decoders are
// the product's (CompactProduct.swift), so the Floats are the very ones the matrix was encoded
// from: a model that keeps a frozen matrix only in compact form and decodes it when multiplying
// computes exactly what the f32 model computes.

extension CompactMatrix {
    /// Writes rows `rows` (multiples of the group size, or up to the last row) of the matrix,
    /// row-major, to `out` [rows.count, columns].
    package func decode(rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        precondition(rows.lowerBound % Self.groupSize == 0 && rows.upperBound % Self.groupSize == 0 && rows.upperBound <= self.rows, "rows \(rows) of \(self.rows) in whole groups")
        let first = rows.lowerBound / Self.groupSize
        Parallel.forEachChunk(of: rows.count / Self.groupSize, minimumChunk: max(1, 16_384 / (Self.groupSize * columns))) { groups in
            for g in groups {
                let target = out + g * Self.groupSize * columns
                switch format {
                case .nibbles: decodeGroup(NibbleBlocks(self), first + g, into: target, lanes: 0..<Self.groupSize)
                case .bytes: decodeGroup(ByteBlocks(self), first + g, into: target, lanes: 0..<Self.groupSize)
                }
            }
        }
    }

    /// Writes row `row` of the matrix to `out` [columns].
    package func decode(row: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(row >= 0 && row < rows, "row \(row) of \(rows)")
        let (g, lane) = row.quotientAndRemainder(dividingBy: Self.groupSize)
        switch format {
        case .nibbles: decodeGroup(NibbleBlocks(self), g, into: out, lanes: lane..<(lane + 1))
        case .bytes: decodeGroup(ByteBlocks(self), g, into: out, lanes: lane..<(lane + 1))
        }
    }

    /// Group g's rows `lanes` (of its eight) to consecutive rows of `out`.
    @inline(__always)
    private func decodeGroup<D: BlockDecoder>(_ decoder: D, _ g: Int, into out: UnsafeMutablePointer<Float>, lanes: Range<Int>) {
        for b in 0..<blocksPerRow {
            let block = decoder.block(group: g, b), o = out + b * Self.blockSize
            for t in 0..<16 {
                let low = block.low(t), high = block.high(t)
                for i in lanes {
                    let row = o + (i - lanes.lowerBound) * columns
                    row[t] = low[i]
                    row[16 + t] = high[i]
                }
            }
        }
    }
}
