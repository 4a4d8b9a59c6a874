// Element-wise comparison with explicit tolerances that reports the worst element and the first
// mismatches, never only a mean or a sum.
import Testing

public struct Tolerance: Sendable {
    public var relative: Double
    public var absolute: Double

    public init(relative: Double, absolute: Double) {
        self.relative = relative
        self.absolute = absolute
    }

    /// PyTorch parity for forward values.
    public static let forward = Tolerance(relative: 1e-5, absolute: 1e-6)
    /// PyTorch parity for gradients.
    public static let gradient = Tolerance(relative: 1e-4, absolute: 1e-6)
}

/// Records an issue unless |actual − expected| ≤ absolute + relative·|expected| everywhere.
public func expectClose<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [E], _ tolerance: Tolerance, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var mismatches: [String] = []
    var worst = (index: -1, excess: 0.0, difference: 0.0)
    for i in actual.indices {
        let a = Double(actual[i]), e = Double(expected[i])
        let difference = abs(a - e)
        let allowed = tolerance.absolute + tolerance.relative * abs(e)
        if !(difference <= allowed) {
            if mismatches.count < 5 { mismatches.append("[\(i)] \(a) vs \(e)") }
            if difference / allowed > worst.excess || difference.isNaN { worst = (i, difference / allowed, difference) }
        }
    }
    if !mismatches.isEmpty {
        let count = mismatches.count == 5 ? "5+" : "\(mismatches.count)"
        let message = "\(what): \(count) elements outside tolerance (rel \(tolerance.relative), abs \(tolerance.absolute)); "
            + "largest difference \(worst.difference) at [\(worst.index)]; first: \(mismatches.joined(separator: ", "))"
        Issue.record(Comment(rawValue: message),
            sourceLocation: sourceLocation)
    }
}

/// The largest |a − b| over two equal-length arrays.
public func maximumDifference<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B]) -> Double {
    zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
}
