// The input layer of models without a learned position table (Llama: positions enter through
// rotary embedding inside attention).
import Kernels

extension Tensor {
    /// [B, T, C] = table[tokens], table [V, C].
    public static func embedding(tokens: TokenGrid, table: Tensor) throws -> Tensor {
        guard table.shape.rank == 2 else {
            throw TensorError.invalidShape(operation: "embedding", table.shape, expected: "a table [V, C]")
        }
        let C = table.shape[1]
        let out = try gathering(tokens, rows: table.shape[0], width: C) { token, row in row.update(from: table.data + token * C, count: C) }
        if let tape = Tape.recording(table) {
            out.record(on: tape) { dout in
                let dTable = table.accumulatingGradient()
                tokens.ids.withUnsafeBufferPointer { t in
                    Embedding.backward(
                        dTokenTable: dTable, dPositionTable: nil, dout: dout,
                        tokens: t.baseAddress!, positions: t.baseAddress!, count: t.count, width: C)
                }
            }
        }
        return out
    }

    /// [B, T, C] = table[tokens] for a frozen table [V, C] held in compact form: only the rows
    /// looked up are decoded.
    package static func embedding(tokens: TokenGrid, compact table: CompactMatrix) throws -> Tensor {
        try gathering(tokens, rows: table.rows, width: table.columns) { token, row in table.decode(row: token, into: row) }
    }

    /// [B, T, C] with row i written by `copyRow(token i, row i)`, once every token is known to be
    /// one of the table's `rows`.
    private static func gathering(_ tokens: TokenGrid, rows V: Int, width C: Int, _ copyRow: (Int, UnsafeMutablePointer<Float>) -> Void) throws -> Tensor {
        guard tokens.batch * tokens.time > 0 else {
            throw TensorError.invalidShape(operation: "embedding", [tokens.batch, tokens.time], expected: "at least one token")
        }
        if let bad = tokens.ids.first(where: { $0 < 0 || Int($0) >= V }) {
            throw TensorError.indexOutOfRange(operation: "embedding (token id)", index: Int(bad), bound: V)
        }
        let out = Tensor(uninitialized: [tokens.batch, tokens.time, C])
        for (row, token) in tokens.ids.enumerated() { copyRow(Int(token), out.data + row * C) }
        return out
    }
}
