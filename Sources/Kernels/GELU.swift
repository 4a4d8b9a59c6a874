// GPT-2's activation, the tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).

package enum GELU {
    private static let s: Float = 0.797_884_560_802_865_4  // √(2/π)
    private static let k: Float = 0.044_715

    package static func forward(out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(of: count / 8, minimumChunk: 2048) { blocks in
            for block in blocks {
                let v = x.vector(at: block * 8)
                out.setVector(value(v), at: block * 8)
            }
        }
        for i in (count / 8 * 8)..<count {
            out[i] = value(Vector8(repeating: x[i]))[0]
        }
    }

    /// dx (+)= dout · gelu'(x).
    package static func backward(
        dInput dx: UnsafeMutablePointer<Float>, accumulate: Bool,
        dout: UnsafePointer<Float>, input x: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(of: count / 8, minimumChunk: 2048) { blocks in
            for block in blocks {
                let i = block * 8
                var g = dout.vector(at: i) * derivative(x.vector(at: i))
                if accumulate { g += dx.vector(at: i) }
                dx.setVector(g, at: i)
            }
        }
        for i in (count / 8 * 8)..<count {
            let g = dout[i] * derivative(Vector8(repeating: x[i]))[0]
            dx[i] = accumulate ? dx[i] + g : g
        }
    }

    @inline(__always) private static func value(_ x: Vector8) -> Vector8 {
        let t = VectorMath.tanh(s * x.addingProduct(k * x, x * x))
        return 0.5 * x * (1 + t)
    }

    @inline(__always) private static func derivative(_ x: Vector8) -> Vector8 {
        let x2 = x * x
        let t = VectorMath.tanh(s * x.addingProduct(k * x, x2))
        let inner = s * (1 + 3 * k * x2)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner
    }
}
