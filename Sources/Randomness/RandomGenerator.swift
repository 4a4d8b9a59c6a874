// The one seeded source of randomness: initialisation, data order, dropout-free sampling and
// simulated annotators all draw from it, so a seed fixes every number a run produces.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// xoshiro256** seeded through SplitMix64: fast, 256 bits of state, and its state is plain data,
/// so a checkpoint can store it and a resumed run continues the same stream.
public struct RandomGenerator: RandomNumberGenerator, Codable, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64
    /// The second value of the last Box–Muller pair, returned by the next `normal()`.
    private var spareNormal: Double?

    /// Creates a generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var mixer = seed
        s0 = Self.splitMix(&mixer)
        s1 = Self.splitMix(&mixer)
        s2 = Self.splitMix(&mixer)
        s3 = Self.splitMix(&mixer)
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A generator for an independent stream, derived from this one (which advances by one draw).
    /// Give each consumer (data order, initialisation, each annotator) its own child so adding
    /// draws in one place does not shift the numbers seen by another.
    public mutating func child() -> RandomGenerator {
        RandomGenerator(seed: next())
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func uniform() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// A standard normal draw (Box–Muller; both values of each pair are used).
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u = 0.0
        while u == 0 { u = uniformDouble() }
        let v = uniformDouble()
        let radius = (-2 * log(u)).squareRoot()
        let angle = 2 * Double.pi * v
        spareNormal = radius * sin(angle)
        return radius * cos(angle)
    }

    /// A normal draw with the given mean and standard deviation.
    public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * normal()
    }

    /// An index drawn with probability proportional to `weights[i]` (non-negative, not all zero).
    public mutating func categorical<C: Collection>(weights: C) -> Int where C.Element: BinaryFloatingPoint {
        var total = 0.0
        for w in weights { total += Double(w) }
        precondition(total > 0 && total.isFinite, "categorical draw needs finite positive total weight, got \(total)")
        let target = uniformDouble() * total
        var cumulative = 0.0
        var index = 0
        var lastPositive = 0
        for w in weights {
            if w > 0 {
                cumulative += Double(w)
                lastPositive = index
                if target < cumulative { return index }
            }
            index += 1
        }
        return lastPositive
    }

    /// A uniformly random integer in `range`.
    public mutating func integer(in range: Range<Int>) -> Int {
        precondition(!range.isEmpty, "integer(in:) needs a non-empty range")
        return range.lowerBound + Int(next(upperBound: UInt64(range.count)))
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        var i = count - 1
        while i > 0 {
            let j = Int(next(upperBound: UInt64(i + 1)))
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}
