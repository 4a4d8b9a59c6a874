// Left-padded rows after a shared prefix, laid out as one sequence of real tokens: the prefix,
// then each row's tokens without its padding. Every per-token op of a block (the products,
// norms, feed-forward) then reads the prefix and the rows together and no padding at all;
// attention alone needs the rows apart, and reads them back in their padded layout.
import Tensors

struct PackedRows {
    /// The prefix's tokens, then each row's real ones, as one sequence [1, P + real tokens].
    let tokens: TokenGrid
    let positions: TokenGrid
    let prefixLength: Int
    let batch: Int
    let time: Int
    /// For each padded position b·T + t: its index in the packed sequence, nil for padding.
    let paddedSources: [Int?]
    /// For each of the rows' packed tokens: its padded position.
    let packedSources: [Int?]

    var count: Int { tokens.time }

    init(prefix: [Int32], rows input: TokenBatch) throws {
        let (P, B, T) = (prefix.count, input.batch, input.time)
        let first = input.firstPosition ?? Array(repeating: 0, count: B)
        var ids = prefix, positions = (0..<P).map(Int32.init)
        var paddedSources = [Int?](repeating: nil, count: B * T), packedSources: [Int?] = []
        for b in 0..<B {
            for t in Int(first[b])..<T {
                paddedSources[b * T + t] = ids.count
                packedSources.append(b * T + t)
                ids.append(input.tokens.ids[b * T + t])
                positions.append(input.positions.ids[b * T + t])
            }
        }
        tokens = try TokenGrid(batch: 1, time: ids.count, ids: ids)
        self.positions = try TokenGrid(batch: 1, time: positions.count, ids: positions)
        (prefixLength, batch, time) = (P, B, T)
        self.paddedSources = paddedSources
        self.packedSources = packedSources
    }

    /// The prefix's part of packed values [1, N, W]: [1, P, W].
    func prefix(of packed: Tensor) throws -> Tensor {
        try packed.slice(axis: 1, 0..<prefixLength)
    }

    /// The rows' part of packed values [1, N, W] in the padded layout [B, T, W], zeros in the padding.
    func padded(_ packed: Tensor) throws -> Tensor {
        try packed.gatheringRows(paddedSources, into: [batch, time, packed.shape.last])
    }

    /// Padded values [B, T, W] of the rows, packed: [1, real tokens, W].
    func packed(_ padded: Tensor) throws -> Tensor {
        try padded.gatheringRows(packedSources, into: [1, packedSources.count, padded.shape.last])
    }
}
