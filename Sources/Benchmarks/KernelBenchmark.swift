// Each fused kernel's forward + backward time against its naive reference (plain loops over
// arrays, in Float), at the sizes a small GPT trains at.
import Kernels

struct KernelBenchmark {
    let repetitions: Int

    private struct Buffers {
        private var storage: [UnsafeMutablePointer<Float>] = []
        mutating func make(_ count: Int, scale: Float = 1) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            for i in 0..<count { p[i] = scale * (Float((i &* 2_654_435_761) % 1000) / 500 - 1) }
            storage.append(p)
            return p
        }
        func free() { storage.forEach { $0.deallocate() } }
    }

    private func array(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: p, count: count))
    }

    func run() -> [String: Double] {
        let table = Table(columns: [("kernel (forward + backward)", 44), ("fused ms", 10), ("naive ms", 10), ("speed-up", 9)])
        print(table.header())
        var speedups: [String: Double] = [:]
        var buffers = Buffers()
        defer { buffers.free() }
        func report(_ name: String, fused: () -> Void, naive: () -> Void) {
            let f = Clock.measure(repetitions: repetitions, fused)
            let n = Clock.measure(repetitions: max(1, repetitions / 4), naive)
            speedups[name] = n.median / f.median
            print(table.row([name, format(f.median * 1e3), format(n.median * 1e3), format(n.median / f.median, 1) + "x"]))
        }

        let (N, C) = (4096, 256)
        let x = buffers.make(N * C, scale: 2), w = buffers.make(C), b = buffers.make(C), dy = buffers.make(N * C)
        let y = buffers.make(N * C), dx = buffers.make(N * C), mean = buffers.make(N), rstd = buffers.make(N)
        report("layer norm [4096, 256]", fused: {
            LayerNorm.forward(out: y, mean: mean, rstd: rstd, input: x, weight: w, bias: b, rows: N, width: C)
            LayerNorm.backward(dInput: dx, accumulateInput: false, dWeight: w, dBias: b, dout: dy, input: x, weight: w, mean: mean, rstd: rstd, rows: N, width: C)
        }, naive: {
            let (xa, wa, ga) = (array(x, N * C), array(w, C), array(dy, N * C))
            _ = NaiveLayers.layerNorm(xa, wa, array(b, C), rows: N, width: C)
            _ = NaiveLayers.layerNormBackward(ga, xa, wa, rows: N, width: C)
        })

        let count = 2048 * 1024
        let gx = buffers.make(count, scale: 3), gy = buffers.make(count), gd = buffers.make(count), gdx = buffers.make(count)
        report("gelu [2048, 1024]", fused: {
            GELU.forward(out: gy, input: gx, count: count)
            GELU.backward(dInput: gdx, accumulate: false, dout: gd, input: gx, count: count)
        }, naive: {
            let (xa, ga) = (array(gx, count), array(gd, count))
            _ = NaiveLayers.gelu(xa)
            _ = NaiveLayers.geluBackward(ga, xa)
        })

        benchmarkEmbedding(&buffers, report)
        benchmarkAttention(&buffers, report)
        benchmarkLogSoftmax(&buffers, report)
        return speedups
    }

    private func benchmarkEmbedding(_ buffers: inout Buffers, _ report: (String, () -> Void, () -> Void) -> Void) {
        let (N, C, V, P) = (2048, 256, 4096, 256)
        let tokens = (0..<N).map { Int32(($0 &* 7919) % V) }, positions = (0..<N).map { Int32($0 % P) }
        let wte = buffers.make(V * C), wpe = buffers.make(P * C), out = buffers.make(N * C), dout = buffers.make(N * C)
        report("embedding [2048 tokens, 256], V 4096", {
            Embedding.forward(out: out, tokens: tokens, positions: positions, count: N, tokenTable: wte, positionTable: wpe, width: C)
            Embedding.backward(dTokenTable: wte, dPositionTable: wpe, dout: dout, tokens: tokens, positions: positions, count: N, width: C)
        }, {
            _ = NaiveLayers.embedding(tokens, positions, array(wte, V * C), array(wpe, P * C), width: C)
            _ = NaiveLayers.embeddingBackward(array(dout, N * C), tokens, positions, vocabulary: V, positionCount: P, width: C)
        })
    }

    private func benchmarkAttention(_ buffers: inout Buffers, _ report: (String, () -> Void, () -> Void) -> Void) {
        let (B, T, C, H) = (8, 128, 128, 4)
        let g = AttentionGeometry(batch: B, heads: H, headSize: C / H, queries: T, keys: T)
        let qkv = buffers.make(B * T * 3 * C), out = buffers.make(B * T * C), dout = buffers.make(B * T * C)
        let probabilities = buffers.make(g.probabilityCount), dqkv = buffers.make(B * T * 3 * C)
        let rows = { (base: UnsafeMutablePointer<Float>, offset: Int) in StridedRows(base: base + offset, rowStride: 3 * C, batchStride: T * 3 * C) }
        let outRows = StridedRows(base: out, rowStride: C, batchStride: T * C), doutRows = StridedRows(base: dout, rowStride: C, batchStride: T * C)
        report("causal attention B8 H4 T128 C128", {
            Attention.forward(out: outRows, probabilities: probabilities, query: rows(qkv, 0), key: rows(qkv, C), value: rows(qkv, 2 * C), geometry: g, firstKey: nil)
            Attention.backward(
                dQuery: rows(dqkv, 0), dKey: rows(dqkv, C), dValue: rows(dqkv, 2 * C), accumulate: false, dout: doutRows,
                probabilities: probabilities, query: rows(qkv, 0), key: rows(qkv, C), value: rows(qkv, 2 * C), geometry: g, firstKey: nil)
        }, {
            let input = array(qkv, B * T * 3 * C)
            _ = NaiveAttention.forward(input, batch: B, time: T, width: C, heads: H)
            _ = NaiveAttention.backward(array(dout, B * T * C), input, batch: B, time: T, width: C, heads: H)
        })
    }

    private func benchmarkLogSoftmax(_ buffers: inout Buffers, _ report: (String, () -> Void, () -> Void) -> Void) {
        let (N, V) = (2048, 4096)
        let tokens = (0..<N).map { Int32(($0 &* 31) % V) }
        let logits = buffers.make(N * V, scale: 4), dlogits = buffers.make(N * V)
        let out = buffers.make(N), lse = buffers.make(N), g = buffers.make(N)
        report("token log-probabilities [2048, 4096]", {
            LogSoftmax.tokenLogProbabilities(out: out, logSumExp: lse, logits: logits, tokens: tokens, scale: 1, rows: N, vocabulary: V)
            LogSoftmax.tokenLogProbabilitiesBackward(dLogits: dlogits, accumulate: false, gradient: g, logits: logits, logSumExp: lse, tokens: tokens, scale: 1, rows: N, vocabulary: V)
        }, {
            let z = array(logits, N * V)
            _ = NaiveLogSoftmax.tokenLogProbabilities(z, tokens, vocabulary: V)
            _ = NaiveLogSoftmax.tokenLogProbabilitiesBackward(array(g, N), z, tokens, vocabulary: V)
        })
        report("entropy [2048, 4096]", {
            LogSoftmax.entropy(out: out, logSumExp: lse, logits: logits, scale: 1, rows: N, vocabulary: V)
            LogSoftmax.entropyBackward(dLogits: dlogits, accumulate: false, gradient: g, logits: logits, logSumExp: lse, entropy: out, scale: 1, rows: N, vocabulary: V)
        }, {
            let z = array(logits, N * V)
            _ = NaiveLogSoftmax.entropy(z, vocabulary: V)
            _ = NaiveLogSoftmax.entropyBackward(array(g, N), z, vocabulary: V)
        })
    }
}
