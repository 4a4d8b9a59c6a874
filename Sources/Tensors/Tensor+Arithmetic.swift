// Element-wise arithmetic: the pieces RLHF losses are assembled from (ratios, clipping, margins).
import Kernels

extension Tensor {
    private func sameShape(_ other: Tensor, _ operation: String) throws {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch(operation: operation, shape, other.shape, expected: "equal shapes")
        }
    }

    /// A new tensor of self's shape filled by `forward`, recorded with `backward` (given dout).
    private func unary(
        _ forward: (Vector8) -> Vector8,
        backward: @escaping (_ dout: UnsafePointer<Float>, _ out: Tensor) -> Void
    ) -> Tensor {
        let out = Tensor(uninitialized: shape)
        Elementwise.map(out.data, data, count: elementCount, forward)
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in backward(dout, out) }
        }
        return out
    }

    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try lhs.sameShape(rhs, "add")
        let out = Tensor(uninitialized: lhs.shape)
        Elementwise.map(out.data, lhs.data, rhs.data, count: lhs.elementCount) { $0 + $1 }
        if let tape = Tape.recording(lhs, rhs) {
            out.record(on: tape) { dout in
                lhs.addGradient(dout) { $0 }
                rhs.addGradient(dout) { $0 }
            }
        }
        return out
    }

    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try lhs.sameShape(rhs, "subtract")
        let out = Tensor(uninitialized: lhs.shape)
        Elementwise.map(out.data, lhs.data, rhs.data, count: lhs.elementCount) { $0 - $1 }
        if let tape = Tape.recording(lhs, rhs) {
            out.record(on: tape) { dout in
                lhs.addGradient(dout) { $0 }
                rhs.addGradient(dout) { -$0 }
            }
        }
        return out
    }

    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor {
        try lhs.sameShape(rhs, "multiply")
        let out = Tensor(uninitialized: lhs.shape)
        Elementwise.map(out.data, lhs.data, rhs.data, count: lhs.elementCount) { $0 * $1 }
        if let tape = Tape.recording(lhs, rhs) {
            out.record(on: tape) { dout in
                lhs.addGradient(dout, rhs.data) { g, other in g * other }
                rhs.addGradient(dout, lhs.data) { g, other in g * other }
            }
        }
        return out
    }

    /// self·factor + offset.
    public func affine(scale factor: Float, offset: Float = 0) -> Tensor {
        unary({ $0 * factor + offset }) { dout, _ in self.addGradient(dout) { $0 * factor } }
    }

    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.affine(scale: lhs) }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.affine(scale: rhs) }
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.affine(scale: 1, offset: rhs) }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.affine(scale: 1, offset: -rhs) }
    public static prefix func - (operand: Tensor) -> Tensor { operand.affine(scale: -1) }

    public func exp() -> Tensor {
        unary(VectorMath.exp) { dout, out in self.addGradient(dout, out.data) { g, y in g * y } }
    }

    /// log σ(x), stable for large |x|.
    public func logSigmoid() -> Tensor {
        unary(Elementwise.logSigmoid) { dout, _ in
            // d/dx log σ(x) = σ(−x).
            self.addGradient(dout, self.data) { g, x in g * Elementwise.sigmoid(-x) }
        }
    }

    public func squared() -> Tensor {
        unary({ $0 * $0 }) { dout, _ in self.addGradient(dout, self.data) { g, x in 2 * g * x } }
    }

    /// Values limited to `range`; the gradient passes where the value was inside it (ends included).
    public func clamped(to range: ClosedRange<Float>) -> Tensor {
        let (low, high) = (range.lowerBound, range.upperBound)
        return unary({ x in
            x.replacing(with: Vector8(repeating: low), where: x .< low).replacing(with: Vector8(repeating: high), where: x .> high)
        }) { dout, _ in
            self.addGradient(dout, self.data) { g, x in
                g.replacing(with: 0, where: (x .< low) .| (x .> high))
            }
        }
    }

    /// Element-wise minimum; at ties each side gets half the gradient (as torch.minimum).
    public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try extremum(a, b, "minimum") { x, y in x .< y }
    }

    /// Element-wise maximum; at ties each side gets half the gradient (as torch.maximum).
    public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try extremum(a, b, "maximum") { x, y in x .> y }
    }

    private static func extremum(
        _ a: Tensor, _ b: Tensor, _ operation: String, _ prefers: @escaping (Vector8, Vector8) -> SIMDMask<SIMD8<Int32>>
    ) throws -> Tensor {
        try a.sameShape(b, operation)
        let out = Tensor(uninitialized: a.shape)
        Elementwise.map(out.data, a.data, b.data, count: a.elementCount) { x, y in y.replacing(with: x, where: prefers(x, y)) }
        if let tape = Tape.recording(a, b) {
            out.record(on: tape) { dout in
                a.addGradient(dout, a.data, b.data) { g, x, y in share(g, prefers(x, y), x .== y) }
                b.addGradient(dout, b.data, a.data) { g, y, x in share(g, prefers(y, x), x .== y) }
            }
        }
        return out
    }

    @inline(__always)
    private static func share(_ g: Vector8, _ chosen: SIMDMask<SIMD8<Int32>>, _ tie: SIMDMask<SIMD8<Int32>>) -> Vector8 {
        Vector8().replacing(with: g, where: chosen).replacing(with: 0.5 * g, where: tie)
    }

    /// Adds f(dout) into this tensor's gradient when it requires one.
    package func addGradient(_ dout: UnsafePointer<Float>, _ f: (Vector8) -> Vector8) {
        guard requiresGradient else { return }
        withGradient { dx, accumulate in Elementwise.map(dx, dout, count: elementCount, accumulate: accumulate, f) }
    }

    package func addGradient(_ dout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ f: (Vector8, Vector8) -> Vector8) {
        guard requiresGradient else { return }
        withGradient { dx, accumulate in Elementwise.map(dx, dout, x, count: elementCount, accumulate: accumulate, f) }
    }

    package func addGradient(
        _ dout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ f: (Vector8, Vector8, Vector8) -> Vector8
    ) {
        guard requiresGradient else { return }
        withGradient { dx, accumulate in Elementwise.map(dx, dout, x, y, count: elementCount, accumulate: accumulate, f) }
    }
}
