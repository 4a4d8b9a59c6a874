// Element-wise maps over contiguous buffers, eight lanes at a time with a padded last vector, so
// every op (and its backward) is one closure over SIMD lanes and no op writes its own tail loop.
#if canImport(Glibc)
import Glibc
#endif

package enum Elementwise {
    /// Buffers smaller than this run on one thread.
    static let parallelThreshold = 65_536

    /// Lanes i..<i+lanes of p, zero-padded to a full vector.
    @inline(__always)
    package static func load(_ p: UnsafePointer<Float>, _ i: Int, _ lanes: Int) -> Vector8 {
        if lanes == 8 { return p.vector(at: i) }
        var v = Vector8()
        for lane in 0..<lanes { v[lane] = p[i + lane] }
        return v
    }

    /// Writes (or adds) the first `lanes` lanes of v at p + i.
    @inline(__always)
    package static func store(_ v: Vector8, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ lanes: Int, accumulate: Bool) {
        if lanes == 8 {
            p.setVector(accumulate ? p.vector(at: i) + v : v, at: i)
            return
        }
        for lane in 0..<lanes { p[i + lane] = accumulate ? p[i + lane] + v[lane] : v[lane] }
    }

    /// Calls body(start, lanes) for every vector of `count` values, the last one possibly partial,
    /// in parallel for large counts.
    @inline(__always)
    package static func forEachVector(_ count: Int, _ body: (Int, Int) -> Void) {
        let minimum = count >= parallelThreshold ? parallelThreshold / 8 : Int.max
        Parallel.forEachChunk(of: (count + 7) / 8, minimumChunk: minimum) { vectors in
            for vector in vectors { body(vector * 8, min(8, count - vector * 8)) }
        }
    }

    /// out (+)= f(x).
    @inline(__always)
    package static func map(
        _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, accumulate: Bool = false,
        _ f: (Vector8) -> Vector8
    ) {
        forEachVector(count) { i, lanes in
            store(f(load(x, i, lanes)), out, i, lanes, accumulate: accumulate)
        }
    }

    /// out (+)= f(x, y).
    @inline(__always)
    package static func map(
        _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        count: Int, accumulate: Bool = false, _ f: (Vector8, Vector8) -> Vector8
    ) {
        forEachVector(count) { i, lanes in
            store(f(load(x, i, lanes), load(y, i, lanes)), out, i, lanes, accumulate: accumulate)
        }
    }

    /// out (+)= f(x, y, z).
    @inline(__always)
    package static func map(
        _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ z: UnsafePointer<Float>, count: Int, accumulate: Bool = false, _ f: (Vector8, Vector8, Vector8) -> Vector8
    ) {
        forEachVector(count) { i, lanes in
            store(f(load(x, i, lanes), load(y, i, lanes), load(z, i, lanes)), out, i, lanes, accumulate: accumulate)
        }
    }

    /// log σ(x) = min(x, 0) − log1p(e^−|x|), stable for large |x| of either sign.
    @inline(__always) package static func logSigmoid(_ x: Vector8) -> Vector8 {
        var result = Vector8()
        for lane in 0..<8 {
            let v = x[lane]
            result[lane] = min(v, 0) - log1p(exp(-abs(v)))
        }
        return result
    }

    /// σ(x), stable for large |x| of either sign.
    @inline(__always) package static func sigmoid(_ x: Vector8) -> Vector8 {
        var result = Vector8()
        for lane in 0..<8 {
            let v = x[lane]
            result[lane] = v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v))
        }
        return result
    }

    /// Σ x in Double, for losses and statistics where Float summation would drift.
    package static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        for i in 0..<count { total += Double(x[i]) }
        return total
    }

    /// Σ x·w in Double.
    package static func weightedSum(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        for i in 0..<count { total += Double(x[i]) * Double(w[i]) }
        return total
    }
}
