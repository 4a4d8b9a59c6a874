// The input layer of models without a learned position table (Llama: positions enter through
// rotary embedding inside attention).
import Kernels

extension Tensor {
    /// [B, T, C] = table[tokens], table [V, C].
    public static func embedding(tokens: TokenGrid, table: Tensor) throws -> Tensor {
        let operation = "embedding"
        guard table.shape.rank == 2 else {
            throw TensorError.invalidShape(operation: operation, table.shape, expected: "a table [V, C]")
        }
        let (V, C) = (table.shape[0], table.shape[1])
        guard tokens.batch * tokens.time > 0 else {
            throw TensorError.invalidShape(operation: operation, [tokens.batch, tokens.time], expected: "at least one token")
        }
        if let bad = tokens.ids.first(where: { $0 < 0 || Int($0) >= V }) {
            throw TensorError.indexOutOfRange(operation: "\(operation) (token id)", index: Int(bad), bound: V)
        }
        let out = Tensor(uninitialized: [tokens.batch, tokens.time, C])
        for (row, token) in tokens.ids.enumerated() {
            (out.data + row * C).update(from: table.data + Int(token) * C, count: C)
        }
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
}
