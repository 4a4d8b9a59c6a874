// Causal self-attention as explicit loops over batch, head, query and key: the reference the
// fused two-sgemm kernel is checked and timed against.

package enum NaiveAttention {
    /// qkv [B, T, 3C] → [B, T, C]; query t of row b sees keys first[b]...t.
    package static func forward<T: ReferenceScalar>(_ qkv: [T], batch B: Int, time n: Int, width C: Int, heads H: Int, first: [Int32]? = nil) -> [T] {
        var out = [T](repeating: 0, count: B * n * C)
        let hs = C / H
        let scale = 1 / T(hs).squareRoot()
        for b in 0..<B {
            let start = first.map { Int($0[b]) } ?? 0
            for h in 0..<H {
                for t in 0..<n where t >= start {
                    let p = probabilities(qkv, b, h, t, start, n: n, C: C, hs: hs, scale: scale)
                    for d in 0..<hs {
                        var total: T = 0
                        for j in start...t { total += p[j - start] * qkv[(b * n + j) * 3 * C + 2 * C + h * hs + d] }
                        out[(b * n + t) * C + h * hs + d] = total
                    }
                }
            }
        }
        return out
    }

    package static func backward<T: ReferenceScalar>(_ dout: [T], _ qkv: [T], batch B: Int, time n: Int, width C: Int, heads H: Int, first: [Int32]? = nil) -> [T] {
        var dqkv = [T](repeating: 0, count: qkv.count)
        let hs = C / H
        let scale = 1 / T(hs).squareRoot()
        func index(_ b: Int, _ t: Int, _ part: Int, _ h: Int, _ d: Int) -> Int { (b * n + t) * 3 * C + part * C + h * hs + d }
        for b in 0..<B {
            let start = first.map { Int($0[b]) } ?? 0
            for h in 0..<H {
                for t in 0..<n where t >= start {
                    let p = probabilities(qkv, b, h, t, start, n: n, C: C, hs: hs, scale: scale)
                    var dp = [T](repeating: 0, count: p.count)
                    for j in start...t {
                        for d in 0..<hs {
                            let g = dout[(b * n + t) * C + h * hs + d]
                            dp[j - start] += g * qkv[index(b, j, 2, h, d)]
                            dqkv[index(b, j, 2, h, d)] += p[j - start] * g
                        }
                    }
                    let dot = zip(p, dp).map { $0 * $1 }.reduce(0, +)
                    for j in start...t {
                        let ds = p[j - start] * (dp[j - start] - dot) * scale
                        for d in 0..<hs {
                            dqkv[index(b, t, 0, h, d)] += ds * qkv[index(b, j, 1, h, d)]
                            dqkv[index(b, j, 1, h, d)] += ds * qkv[index(b, t, 0, h, d)]
                        }
                    }
                }
            }
        }
        return dqkv
    }

    private static func probabilities<T: ReferenceScalar>(
        _ qkv: [T], _ b: Int, _ h: Int, _ t: Int, _ start: Int, n: Int, C: Int, hs: Int, scale: T
    ) -> [T] {
        var scores = [T]()
        for j in start...t {
            var dot: T = 0
            for d in 0..<hs { dot += qkv[(b * n + t) * 3 * C + h * hs + d] * qkv[(b * n + j) * 3 * C + C + h * hs + d] }
            scores.append(dot * scale)
        }
        let maximum = scores.max()!
        let exponentials = scores.map { T.exponential($0 - maximum) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }
}
