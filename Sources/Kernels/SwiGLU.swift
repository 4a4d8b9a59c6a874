// Llama's MLP gate: silu(g)·u = g·σ(g)·u, and its backward.

package enum SwiGLU {
    /// out[i] = silu(gate[i])·up[i] = gate[i]·up[i] / (1 + e^(−gate[i])).
    package static func forward(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        Elementwise.map(out, gate, up, count: count) { g, u in g * u / (1 + VectorMath.exp(-g)) }
    }

    /// dgate (+)= dout·up·σ(g)·(1 + g·(1 − σ(g))) and dup (+)= dout·silu(g), each written or added
    /// per its flag; a nil buffer is skipped. One pass computes σ once for both.
    package static func backward(
        dGate: UnsafeMutablePointer<Float>?, accumulateGate: Bool, dUp: UnsafeMutablePointer<Float>?, accumulateUp: Bool,
        dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int
    ) {
        Elementwise.forEachVector(count) { i, lanes in
            let g = Elementwise.load(gate, i, lanes), d = Elementwise.load(dout, i, lanes)
            let sigmoid = 1 / (1 + VectorMath.exp(-g))
            if let dGate {
                let u = Elementwise.load(up, i, lanes)
                Elementwise.store(d * u * sigmoid * (1 + g * (1 - sigmoid)), dGate, i, lanes, accumulate: accumulateGate)
            }
            if let dUp { Elementwise.store(d * g * sigmoid, dUp, i, lanes, accumulate: accumulateUp) }
        }
    }
}
