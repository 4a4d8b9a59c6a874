// Central finite differences in Double: the independent check of every hand-written backward.

/// d/dx of L(x) = Σ_k upstream[k]·f(x)[k], by (L(x + h·e_i) − L(x − h·e_i)) / 2h for each i.
public func finiteDifferenceGradient(
    at x: [Double], upstream: [Double], step h: Double = 1e-6, _ f: ([Double]) -> [Double]
) -> [Double] {
    func loss(_ point: [Double]) -> Double {
        zip(f(point), upstream).reduce(0) { $0 + $1.0 * $1.1 }
    }
    var point = x
    return x.indices.map { i in
        point[i] = x[i] + h
        let plus = loss(point)
        point[i] = x[i] - h
        let minus = loss(point)
        point[i] = x[i]
        return (plus - minus) / (2 * h)
    }
}

/// Tolerance for a Float kernel's analytic gradient against a Double finite difference.
public let finiteDifferenceTolerance = Tolerance(relative: 1e-3, absolute: 1e-4)

/// Reproducible test inputs that are exactly representable in Float, so a Float kernel and a
/// Double reference see the same numbers.
public struct TestValues {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    /// `count` values, uniform in (−scale, scale), rounded to Float.
    public mutating func next(_ count: Int, scale: Double = 1) -> [Double] {
        (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Double(state >> 11) * 0x1.0p-53
            return Double(Float((2 * unit - 1) * scale))
        }
    }
}
