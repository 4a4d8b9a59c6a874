// Attention of one new query per row against the KV cache, the shape of every decoding step:
// each head's two products are then a dot product per key and a weighted sum of value rows,
// smaller than the overhead of the two BLAS calls per (row, head) the general kernel makes
// (16 rows × 9 heads × 30 layers = 8,640 calls per token). Fused SIMD loops instead, one
// (row, head) pair per task: the same bits for any thread count.

extension Attention {
    /// out = softmax(q·kᵀ·scale)·v per head for `geometry.queries == 1`: the query of row b sees
    /// keys firstKey[b] ..< geometry.keys (the new position is the last key); no visible key
    /// gives 0. Saves no probabilities (inference only).
    package static func decodingForward(
        out: StridedRows, query: StridedRows, key: StridedRows, value: StridedRows,
        geometry g: AttentionGeometry, firstKey: UnsafePointer<Int32>?
    ) {
        precondition(g.queries == 1, "decodingForward attends one query per row, not \(g.queries)")
        let D = g.headSize
        Parallel.forEachChunk(of: g.batch * g.heads, minimumChunk: g.minimumPairsPerThread) { pairs in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: g.keys)
            defer { scores.deallocate() }
            for pair in pairs {
                let b = pair / g.heads, h = pair % g.heads
                let q = UnsafePointer(query.head(b, h * D)), o = out.head(b, h * D)
                let k = UnsafePointer(key.head(b, g.keyValueColumn(ofHead: h)))
                let v = UnsafePointer(value.head(b, g.keyValueColumn(ofHead: h)))
                let first = firstKey.map { Int($0[b]) } ?? 0
                guard first < g.keys else {
                    o.update(repeating: 0, count: D)
                    continue
                }
                dots(q, rows: k, stride: key.rowStride, from: first, count: g.keys, width: D, scale: g.scale, into: scores)
                softmax(row: scores, width: g.keys, from: first, through: g.keys - 1)
                weightedSum(scores, rows: v, stride: value.rowStride, from: first, count: g.keys, width: D, into: o)
            }
        }
    }

    /// scores[j] = scale·(q·rows[j]) for j in first..<count, four rows at a time: one row's dot
    /// product alone is a chain of dependent multiply-adds.
    @inline(__always)
    private static func dots(
        _ q: UnsafePointer<Float>, rows: UnsafePointer<Float>, stride: Int, from first: Int, count: Int, width: Int, scale: Float,
        into scores: UnsafeMutablePointer<Float>
    ) {
        var j = first
        while j + 4 <= count {
            let r0 = rows + j * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride
            var a0 = Vector8(), a1 = Vector8(), a2 = Vector8(), a3 = Vector8()
            var c = 0
            while c + 8 <= width {
                let qc = q.vector(at: c)
                a0 = a0.addingProduct(qc, r0.vector(at: c))
                a1 = a1.addingProduct(qc, r1.vector(at: c))
                a2 = a2.addingProduct(qc, r2.vector(at: c))
                a3 = a3.addingProduct(qc, r3.vector(at: c))
                c += 8
            }
            scores[j] = finish(a0, q, r0, from: c, width) * scale
            scores[j + 1] = finish(a1, q, r1, from: c, width) * scale
            scores[j + 2] = finish(a2, q, r2, from: c, width) * scale
            scores[j + 3] = finish(a3, q, r3, from: c, width) * scale
            j += 4
        }
        while j < count {
            let r = rows + j * stride
            var a = Vector8()
            var c = 0
            while c + 8 <= width {
                a = a.addingProduct(q.vector(at: c), r.vector(at: c))
                c += 8
            }
            scores[j] = finish(a, q, r, from: c, width) * scale
            j += 1
        }
    }

    /// The lanes of `acc` summed, plus the products of the columns past the last full vector.
    @inline(__always)
    private static func finish(_ acc: Vector8, _ q: UnsafePointer<Float>, _ row: UnsafePointer<Float>, from start: Int, _ width: Int) -> Float {
        let half = acc.lowHalf + acc.highHalf, quarter = half.lowHalf + half.highHalf
        var total = quarter[0] + quarter[1]
        for c in start..<width { total = total.addingProduct(q[c], row[c]) }
        return total
    }

    /// out[0..<width] = Σ_{j ≥ first} p[j]·rows[j], the rows in order, 64 columns (eight
    /// independent chains) at a time.
    @inline(__always)
    private static func weightedSum(
        _ p: UnsafePointer<Float>, rows: UnsafePointer<Float>, stride: Int, from first: Int, count: Int, width: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        var c = 0
        while c + 64 <= width {
            var a0 = Vector8(), a1 = Vector8(), a2 = Vector8(), a3 = Vector8()
            var a4 = Vector8(), a5 = Vector8(), a6 = Vector8(), a7 = Vector8()
            for j in first..<count {
                let pj = Vector8(repeating: p[j]), r = rows + j * stride + c
                a0 = a0.addingProduct(pj, r.vector(at: 0))
                a1 = a1.addingProduct(pj, r.vector(at: 8))
                a2 = a2.addingProduct(pj, r.vector(at: 16))
                a3 = a3.addingProduct(pj, r.vector(at: 24))
                a4 = a4.addingProduct(pj, r.vector(at: 32))
                a5 = a5.addingProduct(pj, r.vector(at: 40))
                a6 = a6.addingProduct(pj, r.vector(at: 48))
                a7 = a7.addingProduct(pj, r.vector(at: 56))
            }
            let o = out + c
            o.setVector(a0, at: 0)
            o.setVector(a1, at: 8)
            o.setVector(a2, at: 16)
            o.setVector(a3, at: 24)
            o.setVector(a4, at: 32)
            o.setVector(a5, at: 40)
            o.setVector(a6, at: 48)
            o.setVector(a7, at: 56)
            c += 64
        }
        while c + 8 <= width {
            var acc = Vector8()
            for j in first..<count { acc = acc.addingProduct(p[j], rows.vector(at: j * stride + c)) }
            out.setVector(acc, at: c)
            c += 8
        }
        while c < width {
            var total: Float = 0
            for j in first..<count { total = total.addingProduct(p[j], rows[j * stride + c]) }
            out[c] = total
            c += 1
        }
    }
}
