// Multi-head causal self-attention with the mask and softmax fused between two sgemm calls per
// head, for training (queries = keys) and for decoding against a KV cache (queries attend to
// `past` cached keys too), with grouped-query heads sharing key/value heads. Heads run in
// parallel, each calling BLAS on its own thread.

/// Rows of a batch of matrices inside a larger buffer: row t of batch b starts at
/// base + b·batchStride + t·rowStride. Lets q, k and v be column slices of one fused QKV buffer.
package struct StridedRows {
    package var base: UnsafeMutablePointer<Float>
    package var rowStride: Int
    package var batchStride: Int

    package init(base: UnsafeMutablePointer<Float>, rowStride: Int, batchStride: Int) {
        self.base = base
        self.rowStride = rowStride
        self.batchStride = batchStride
    }

    @inline(__always) func head(_ b: Int, _ column: Int) -> UnsafeMutablePointer<Float> {
        base + b * batchStride + column
    }
}

package struct AttentionGeometry: Sendable {
    package var batch: Int
    package var heads: Int
    package var headSize: Int
    /// New positions (rows of q).
    package var queries: Int
    /// Visible positions (rows of k and v): the cached past followed by the new queries.
    package var keys: Int
    /// Query heads that share one key/value head (grouped-query attention; 1 for GPT-2).
    package var queriesPerKeyValueHead: Int
    /// Leading keys every query sees whatever its row's padding: a prefix all rows share, read
    /// once and placed before each row's own (left-padded) keys.
    package var sharedKeys: Int

    package init(
        batch: Int, heads: Int, headSize: Int, queries: Int, keys: Int, queriesPerKeyValueHead: Int = 1, sharedKeys: Int = 0
    ) {
        precondition(keys >= queries, "attention needs keys (\(keys)) ≥ queries (\(queries))")
        precondition(queriesPerKeyValueHead >= 1 && heads % queriesPerKeyValueHead == 0, "\(heads) heads in groups of \(queriesPerKeyValueHead)")
        self.batch = batch
        self.heads = heads
        self.headSize = headSize
        self.queries = queries
        self.keys = keys
        self.queriesPerKeyValueHead = queriesPerKeyValueHead
        precondition(sharedKeys >= 0 && sharedKeys <= keys - queries, "shared keys (\(sharedKeys)) must come before the queries' own")
        self.sharedKeys = sharedKeys
    }

    /// The column of query head h's key and value head.
    @inline(__always) package func keyValueColumn(ofHead h: Int) -> Int { h / queriesPerKeyValueHead * headSize }

    package var past: Int { keys - queries }
    package var scale: Float { 1 / Float(headSize).squareRoot() }
    /// Floats in the saved attention probabilities, [B, H, queries, keys].
    package var probabilityCount: Int { batch * heads * queries * keys }

    /// Heads per thread so that a thread gets at least ~64K multiply-adds: decoding one token
    /// for one sequence stays on the calling thread, where a hand-off would cost more than the work.
    package var minimumPairsPerThread: Int { max(1, 65_536 / max(1, queries * keys * headSize)) }
}

package enum Attention {
    /// Query rows per block: a block of queries only multiplies the keys it can see, which skips
    /// most of the masked upper triangle without making the products too small for BLAS.
    static let block = 32

    /// out = softmax(mask(q·kᵀ·scale))·v per head. Query t of batch b sees keys
    /// firstKey[b] ... past + t (earlier keys are left padding) and the shared keys before them.
    /// Saves the probabilities.
    package static func forward(
        out: StridedRows, probabilities: UnsafeMutablePointer<Float>,
        query: StridedRows, key: StridedRows, value: StridedRows,
        geometry g: AttentionGeometry, firstKey: UnsafePointer<Int32>?
    ) {
        Parallel.forEachChunk(of: g.batch * g.heads, minimumChunk: g.minimumPairsPerThread) { pairs in
            for pair in pairs {
                let b = pair / g.heads, column = (pair % g.heads) * g.headSize, shared = g.keyValueColumn(ofHead: pair % g.heads)
                let p = probabilities + pair * g.queries * g.keys
                let q = query.head(b, column), k = key.head(b, shared), v = value.head(b, shared)
                let first = firstKey.map { Int($0[b]) } ?? 0
                forEachBlock(g) { rows, visible in
                    MatrixProduct.multiply(
                        m: rows.count, n: visible, k: g.headSize,
                        a: q + rows.lowerBound * query.rowStride, lda: query.rowStride,
                        b: k, transposeB: true, ldb: key.rowStride,
                        c: p + rows.lowerBound * g.keys, ldc: g.keys, alpha: g.scale)
                    for t in rows {
                        softmax(row: p + t * g.keys, width: g.keys, shared: g.sharedKeys, from: first, through: g.past + t)
                    }
                    MatrixProduct.multiply(
                        m: rows.count, n: g.headSize, k: visible,
                        a: p + rows.lowerBound * g.keys, lda: g.keys,
                        b: v, ldb: value.rowStride,
                        c: out.head(b, column) + rows.lowerBound * out.rowStride, ldc: out.rowStride)
                }
            }
        }
    }

    /// Gradients of q, k and v (written, or added when `accumulate`) from dout and the saved
    /// probabilities; a nil gradient is not computed. Grouped heads (`queriesPerKeyValueHead` > 1)
    /// sum into their shared key/value head's dk and dv.
    package static func backward(
        dQuery: StridedRows?, dKey: StridedRows?, dValue: StridedRows?, accumulate: Bool,
        dout: StridedRows, probabilities: UnsafePointer<Float>,
        query: StridedRows, key: StridedRows, value: StridedRows,
        geometry g: AttentionGeometry, firstKey: UnsafePointer<Int32>?
    ) {
        let beta: Float = accumulate ? 1 : 0
        let group = g.queriesPerKeyValueHead, keyValueHeads = g.heads / group
        // One task per key/value head, running its query heads in order: the first writes (or adds
        // to) the shared dk and dv and the others add, so no two threads touch one head's gradient
        // and the sum is formed in the same order whatever the thread count.
        Parallel.forEachChunk(of: g.batch * keyValueHeads, minimumChunk: max(1, g.minimumPairsPerThread / group)) { pairs in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: g.queries * g.keys)
            defer { scores.deallocate() }
            for pair in pairs {
                let b = pair / keyValueHeads, shared = (pair % keyValueHeads) * g.headSize
                let k = key.head(b, shared), v = value.head(b, shared)
                let first = firstKey.map { Int($0[b]) } ?? 0
                for member in 0..<group {
                    let h = (pair % keyValueHeads) * group + member, column = h * g.headSize
                    let p = UnsafeMutablePointer(mutating: probabilities + (b * g.heads + h) * g.queries * g.keys)
                    let q = query.head(b, column), dO = dout.head(b, column)
                    let sharedBeta: Float = member == 0 ? beta : 1
                    if dQuery != nil || dKey != nil {
                        // dP = dO·vᵀ, then dS = P ⊙ (dP − rowsum(P ⊙ dP))·scale, in place.
                        forEachBlock(g) { rows, visible in
                            MatrixProduct.multiply(
                                m: rows.count, n: visible, k: g.headSize,
                                a: dO + rows.lowerBound * dout.rowStride, lda: dout.rowStride,
                                b: v, transposeB: true, ldb: value.rowStride,
                                c: scores + rows.lowerBound * g.keys, ldc: g.keys)
                            for t in rows {
                                softmaxBackward(
                                    gradient: scores + t * g.keys, probabilities: p + t * g.keys,
                                    width: g.keys, shared: g.sharedKeys, from: first, through: g.past + t, scale: g.scale)
                            }
                            guard let dQuery else { return }
                            MatrixProduct.multiply(
                                m: rows.count, n: g.headSize, k: visible,
                                a: scores + rows.lowerBound * g.keys, lda: g.keys,
                                b: k, ldb: key.rowStride,
                                c: dQuery.head(b, column) + rows.lowerBound * dQuery.rowStride, ldc: dQuery.rowStride,
                                beta: beta)
                        }
                    }
                    // dk = dSᵀ·q and dv = Pᵀ·dO, by blocks of keys over the queries that see them.
                    forEachKeyBlock(g) { keys, firstQuery in
                        let seeing = g.queries - firstQuery
                        if let dKey {
                            MatrixProduct.multiply(
                                m: keys.count, n: g.headSize, k: seeing,
                                a: scores + firstQuery * g.keys + keys.lowerBound, transposeA: true, lda: g.keys,
                                b: q + firstQuery * query.rowStride, ldb: query.rowStride,
                                c: dKey.head(b, shared) + keys.lowerBound * dKey.rowStride, ldc: dKey.rowStride,
                                beta: sharedBeta)
                        }
                        if let dValue {
                            MatrixProduct.multiply(
                                m: keys.count, n: g.headSize, k: seeing,
                                a: p + firstQuery * g.keys + keys.lowerBound, transposeA: true, lda: g.keys,
                                b: dO + firstQuery * dout.rowStride, ldb: dout.rowStride,
                                c: dValue.head(b, shared) + keys.lowerBound * dValue.rowStride, ldc: dValue.rowStride,
                                beta: sharedBeta)
                        }
                    }
                }
            }
        }
    }

    /// Visits query blocks with the number of keys the block's last query sees.
    @inline(__always)
    private static func forEachBlock(_ g: AttentionGeometry, _ body: (Range<Int>, Int) -> Void) {
        var start = 0
        while start < g.queries {
            let end = min(g.queries, start + block)
            body(start..<end, g.past + end)
            start = end
        }
    }

    /// Visits key blocks with the first query that sees the block's first key.
    @inline(__always)
    private static func forEachKeyBlock(_ g: AttentionGeometry, _ body: (Range<Int>, Int) -> Void) {
        var start = 0
        while start < g.keys {
            let end = min(g.keys, start + block)
            body(start..<end, max(0, start - g.past))
            start = end
        }
    }

    /// Softmax over entries 0..<shared and start...end in place; every other entry of the row
    /// becomes 0 (all of them when start...end is empty: a padding query).
    @inline(__always)
    static func softmax(row: UnsafeMutablePointer<Float>, width: Int, shared: Int = 0, from start: Int, through end: Int) {
        guard start <= end, start < width else {
            row.update(repeating: 0, count: width)
            return
        }
        let kept = min(shared, start), count = end - start + 1
        var maximum = RowMath.maximum(row + start, count)
        if kept > 0 { maximum = max(maximum, RowMath.maximum(row, kept)) }
        var total = RowMath.exponentiate(row + start, count, shift: maximum)
        if kept > 0 { total += RowMath.exponentiate(row, kept, shift: maximum) }
        RowMath.scale(row + start, count, by: 1 / total)
        if kept > 0 { RowMath.scale(row, kept, by: 1 / total) }
        (row + kept).update(repeating: 0, count: start - kept)
        (row + end + 1).update(repeating: 0, count: width - end - 1)
    }

    /// dS = P ⊙ (dP − Σ P ⊙ dP)·scale over 0..<shared and start...end, 0 elsewhere, in place in `gradient`.
    @inline(__always)
    static func softmaxBackward(
        gradient: UnsafeMutablePointer<Float>, probabilities: UnsafePointer<Float>,
        width: Int, shared: Int = 0, from start: Int, through end: Int, scale: Float
    ) {
        guard start <= end, start < width else {
            gradient.update(repeating: 0, count: width)
            return
        }
        let kept = min(shared, start), count = end - start + 1
        var dot = RowMath.dot(gradient + start, probabilities + start, count)
        if kept > 0 { dot += RowMath.dot(gradient, probabilities, kept) }
        scaleBackward(gradient + start, probabilities + start, count, dot: dot, scale: scale)
        if kept > 0 { scaleBackward(gradient, probabilities, kept, dot: dot, scale: scale) }
        (gradient + kept).update(repeating: 0, count: start - kept)
        (gradient + end + 1).update(repeating: 0, count: width - end - 1)
    }

    /// d ← p ⊙ (d − dot)·scale over `count` entries.
    @inline(__always)
    private static func scaleBackward(_ d: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ count: Int, dot: Float, scale: Float) {
        var i = 0
        while i + 8 <= count {
            d.setVector(p.vector(at: i) * (d.vector(at: i) - dot) * scale, at: i)
            i += 8
        }
        while i < count {
            d[i] = p[i] * (d[i] - dot) * scale
            i += 1
        }
    }
}
