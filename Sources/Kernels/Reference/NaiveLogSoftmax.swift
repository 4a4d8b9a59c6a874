// Row-wise log-softmax statistics as plain loops: log-probabilities of chosen tokens and entropy.

package enum NaiveLogSoftmax {
    /// log softmax(scale·z) of row i of z [N, V].
    private static func logSoftmax<T: ReferenceScalar>(_ z: [T], row i: Int, vocabulary V: Int, scale: T) -> [T] {
        var maximum = -T.infinity
        for j in 0..<V { maximum = max(maximum, z[i * V + j] * scale) }
        var total: T = 0
        for j in 0..<V { total += T.exponential(z[i * V + j] * scale - maximum) }
        let logTotal = T.logarithm(total) + maximum
        var out = [T](repeating: 0, count: V)
        for j in 0..<V { out[j] = z[i * V + j] * scale - logTotal }
        return out
    }

    /// log p(tokens[i]) per row of z [N, V]; negative tokens give 0.
    package static func tokenLogProbabilities<T: ReferenceScalar>(_ z: [T], _ tokens: [Int32], vocabulary V: Int, scale: T = 1) -> [T] {
        tokens.indices.map { i in
            tokens[i] < 0 ? 0 : logSoftmax(z, row: i, vocabulary: V, scale: scale)[Int(tokens[i])]
        }
    }

    package static func tokenLogProbabilitiesBackward<T: ReferenceScalar>(
        _ g: [T], _ z: [T], _ tokens: [Int32], vocabulary V: Int, scale: T = 1
    ) -> [T] {
        var dz = [T](repeating: 0, count: z.count)
        for i in tokens.indices where tokens[i] >= 0 {
            let logP = logSoftmax(z, row: i, vocabulary: V, scale: scale)
            for j in 0..<V {
                let indicator: T = j == Int(tokens[i]) ? 1 : 0
                dz[i * V + j] = g[i] * scale * (indicator - T.exponential(logP[j]))
            }
        }
        return dz
    }

    package static func entropy<T: ReferenceScalar>(_ z: [T], vocabulary V: Int, scale: T = 1) -> [T] {
        (0..<(z.count / V)).map { i in
            let logP = logSoftmax(z, row: i, vocabulary: V, scale: scale)
            return -logP.map { T.exponential($0) * $0 }.reduce(0, +)
        }
    }

    package static func entropyBackward<T: ReferenceScalar>(_ g: [T], _ z: [T], vocabulary V: Int, scale: T = 1) -> [T] {
        var dz = [T](repeating: 0, count: z.count)
        for i in 0..<(z.count / V) {
            let logP = logSoftmax(z, row: i, vocabulary: V, scale: scale)
            let h = -logP.map { T.exponential($0) * $0 }.reduce(0, +)
            for j in 0..<V { dz[i * V + j] = -g[i] * scale * T.exponential(logP[j]) * (logP[j] + h) }
        }
        return dz
    }
}
