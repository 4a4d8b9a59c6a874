// The naive reference kernels are generic so tests run them in Double (finite differences) and
// benchmarks run them in Float (the baseline each fused kernel is timed against).
#if canImport(Glibc)
import Glibc
#endif

package protocol ReferenceScalar: BinaryFloatingPoint {
    static func exponential(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    static func hyperbolicTangent(_ x: Self) -> Self
}

extension Float: ReferenceScalar {
    package static func exponential(_ x: Float) -> Float { expf(x) }
    package static func logarithm(_ x: Float) -> Float { logf(x) }
    package static func hyperbolicTangent(_ x: Float) -> Float { tanhf(x) }
}

extension Double: ReferenceScalar {
    package static func exponential(_ x: Double) -> Double { exp(x) }
    package static func logarithm(_ x: Double) -> Double { log(x) }
    package static func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
}
