// y = x·Wᵀ as a plain loop over a weight matrix given as Floats: the reference the compact
// product is checked and timed against. Each output is accumulated over the inputs in order with
// fused multiply-adds, the order the compact kernel promises, so in Float the two agree bit for
// bit; in Double it is the definition.

package enum NaiveCompactProduct {
    /// out[N, O] = x[N, I]·W[O, I]ᵀ.
    package static func product<T: ReferenceScalar>(_ x: [T], _ w: [T], rows N: Int, outputs O: Int, inputs I: Int) -> [T] {
        var out = [T](repeating: 0, count: N * O)
        for r in 0..<N {
            for o in 0..<O {
                var total: T = 0
                for i in 0..<I { total = total.addingProduct(x[r * I + i], w[o * I + i]) }
                out[r * O + o] = total
            }
        }
        return out
    }
}
