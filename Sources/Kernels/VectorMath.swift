// SIMD building blocks shared by the kernels: unaligned 8-lane loads and stores, and exp/tanh
// approximations accurate to a few ulp that run eight lanes at once (libm's scalar expf would
// dominate softmax, cross-entropy and GELU).

package typealias Vector8 = SIMD8<Float>

extension UnsafePointer where Pointee == Float {
    @inline(__always) package func vector(at index: Int) -> Vector8 {
        UnsafeRawPointer(self + index).loadUnaligned(as: Vector8.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always) package func vector(at index: Int) -> Vector8 {
        UnsafeRawPointer(self + index).loadUnaligned(as: Vector8.self)
    }

    @inline(__always) package func setVector(_ value: Vector8, at index: Int) {
        UnsafeMutableRawPointer(self + index).storeBytes(of: value, as: Vector8.self)
    }
}

package enum VectorMath {
    /// e^x, Cephes-style: x = n·ln2 + r with |r| ≤ ln2/2, a degree-5 polynomial for e^r, and the
    /// exponent bits for 2^n. Relative error about 2 ulp; inputs below -87.3 give exactly 0.
    @inline(__always) package static func exp(_ x: Vector8) -> Vector8 {
        // The generic SIMD helpers (clamped, Int32 conversion) are not inlined and cost a call per
        // vector; comparisons with `replacing` and the 1.5·2²³ rounding trick compile to plain AVX.
        let magic = Vector8(repeating: 0x1.8p23)
        var clamped = x.replacing(with: -87.3, where: x .< -87.3)
        clamped = clamped.replacing(with: 88.7, where: clamped .> 88.7)
        let shifted = (clamped * 1.442_695_04) + magic
        let n = shifted - magic
        // ln2 split in a short high part and a correction so n·ln2 is subtracted without rounding.
        var r = clamped.addingProduct(n, Vector8(repeating: -0.693_359_375))
        r = r.addingProduct(n, Vector8(repeating: 2.121_944_4e-4))
        var p = Vector8(repeating: 1.987_569_15e-4)
        p = Vector8(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = Vector8(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = Vector8(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = Vector8(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = Vector8(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let body = (r + 1).addingProduct(p, r * r)
        // The low mantissa bits of `shifted` hold n as an integer; move n + 127 into the exponent.
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: Vector8.self)
        return (body * scale).replacing(with: 0, where: x .< -87.3)
    }

    /// tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1)); saturates cleanly for large |x|.
    @inline(__always) package static func tanh(_ x: Vector8) -> Vector8 {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let e = exp(2 * magnitude.replacing(with: 20, where: magnitude .> 20))
        let t = 1 - 2 / (e + 1)
        return t.replacing(with: -t, where: x .< 0)
    }

    /// Scalar e^x through the same approximation, for tails and single values.
    @inline(__always) package static func exp(_ x: Float) -> Float {
        exp(Vector8(repeating: x))[0]
    }
}
