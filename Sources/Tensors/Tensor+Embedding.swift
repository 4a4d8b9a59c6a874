// GPT-2's input embedding: token rows plus position rows.
import Kernels

/// Token ids (or positions) for a batch: `batch` rows of `time` ids, row-major.
public struct TokenGrid: Sendable, Equatable {
    public let batch: Int
    public let time: Int
    public let ids: [Int32]

    public init(batch: Int, time: Int, ids: [Int32]) throws {
        guard ids.count == batch * time else {
            throw TensorError.countMismatch(operation: "TokenGrid", shape: [batch, time], count: ids.count)
        }
        self.batch = batch
        self.time = time
        self.ids = ids
    }

    /// The grid of rows `rows` only.
    public func rows(_ rows: Range<Int>) -> TokenGrid {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= batch, "rows \(rows) of a \(batch)-row grid")
        return try! TokenGrid(batch: rows.count, time: time, ids: Array(ids[(rows.lowerBound * time)..<(rows.upperBound * time)]))
    }

    /// Positions offset, offset+1, ... for every row.
    public static func positions(batch: Int, time: Int, offset: Int = 0) -> TokenGrid {
        let row = (0..<time).map { Int32(offset + $0) }
        return try! TokenGrid(batch: batch, time: time, ids: Array((0..<batch).map { _ in row }.joined()))
    }
}

extension Tensor {
    /// [B, T, C] = tokenTable[tokens] + positionTable[positions].
    public static func embedding(tokens: TokenGrid, positions: TokenGrid, tokenTable: Tensor, positionTable: Tensor) throws -> Tensor {
        let operation = "embedding"
        guard tokenTable.shape.rank == 2, positionTable.shape.rank == 2, tokenTable.shape[1] == positionTable.shape[1] else {
            throw TensorError.shapeMismatch(operation: operation, tokenTable.shape, positionTable.shape, expected: "tables [V, C] and [P, C]")
        }
        guard tokens.batch == positions.batch, tokens.time == positions.time else {
            throw TensorError.shapeMismatch(operation: operation, [tokens.batch, tokens.time], [positions.batch, positions.time], expected: "token and position grids of one shape")
        }
        let (V, P, C) = (tokenTable.shape[0], positionTable.shape[0], tokenTable.shape[1])
        guard tokens.batch * tokens.time > 0 else {
            throw TensorError.invalidShape(operation: operation, [tokens.batch, tokens.time], expected: "at least one token")
        }
        if let bad = tokens.ids.first(where: { $0 < 0 || Int($0) >= V }) {
            throw TensorError.indexOutOfRange(operation: "\(operation) (token id)", index: Int(bad), bound: V)
        }
        if let bad = positions.ids.first(where: { $0 < 0 || Int($0) >= P }) {
            throw TensorError.indexOutOfRange(operation: "\(operation) (position)", index: Int(bad), bound: P)
        }
        let count = tokens.ids.count
        let out = Tensor(uninitialized: [tokens.batch, tokens.time, C])
        tokens.ids.withUnsafeBufferPointer { t in
            positions.ids.withUnsafeBufferPointer { p in
                Embedding.forward(
                    out: out.data, tokens: t.baseAddress!, positions: p.baseAddress!, count: count,
                    tokenTable: tokenTable.data, positionTable: positionTable.data, width: C)
            }
        }
        if let tape = Tape.recording(tokenTable, positionTable) {
            out.record(on: tape) { dout in
                let dwte = tokenTable.requiresGradient ? tokenTable.accumulatingGradient() : nil
                let dwpe = positionTable.requiresGradient ? positionTable.accumulatingGradient() : nil
                tokens.ids.withUnsafeBufferPointer { t in
                    positions.ids.withUnsafeBufferPointer { p in
                        Embedding.backward(
                            dTokenTable: dwte, dPositionTable: dwpe, dout: dout,
                            tokens: t.baseAddress!, positions: p.baseAddress!, count: count, width: C)
                    }
                }
            }
        }
        return out
    }
}
