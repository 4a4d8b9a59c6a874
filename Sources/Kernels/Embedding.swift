// GPT-2's input layer as one kernel: token embedding plus learned position embedding.

package enum Embedding {
    /// out[i] = wte[tokens[i]] + wpe[positions[i]] for each of `count` rows of width C.
    package static func forward(
        out: UnsafeMutablePointer<Float>,
        tokens: UnsafePointer<Int32>, positions: UnsafePointer<Int32>, count: Int,
        tokenTable wte: UnsafePointer<Float>, positionTable wpe: UnsafePointer<Float>, width C: Int
    ) {
        Parallel.forEachChunk(of: count, minimumChunk: Parallel.minimumRows(width: C)) { rows in
            for i in rows {
                let token = wte + Int(tokens[i]) * C
                let position = wpe + Int(positions[i]) * C
                let row = out + i * C
                var c = 0
                while c + 8 <= C {
                    row.setVector(token.vector(at: c) + position.vector(at: c), at: c)
                    c += 8
                }
                while c < C {
                    row[c] = token[c] + position[c]
                    c += 1
                }
            }
        }
    }

    /// Scatters dout into the rows of the tables that were read. Columns are split between
    /// threads, so two rows reading the same token never race.
    package static func backward(
        dTokenTable dwte: UnsafeMutablePointer<Float>?, dPositionTable dwpe: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, positions: UnsafePointer<Int32>,
        count: Int, width C: Int
    ) {
        let columnChunk = count * C >= 65_536 ? max(8, (C / Parallel.threadCount + 7) / 8 * 8) : C
        let chunks = (C + columnChunk - 1) / columnChunk
        Parallel.forEachChunk(of: chunks, minimumChunk: 1) { chunkRange in
            for chunk in chunkRange {
                let columns = chunk * columnChunk ..< min(C, (chunk + 1) * columnChunk)
                for i in 0..<count {
                    let source = dout + i * C
                    if let dwte { add(source, into: dwte + Int(tokens[i]) * C, columns) }
                    if let dwpe { add(source, into: dwpe + Int(positions[i]) * C, columns) }
                }
            }
        }
    }

    @inline(__always)
    private static func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, _ columns: Range<Int>) {
        var c = columns.lowerBound
        while c + 8 <= columns.upperBound {
            target.setVector(target.vector(at: c) + source.vector(at: c), at: c)
            c += 8
        }
        while c < columns.upperBound {
            target[c] += source[c]
            c += 1
        }
    }
}
