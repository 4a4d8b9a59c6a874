// Vectorised reductions over one row, and per-thread scratch rows for summing parameter
// gradients across the rows a parallel loop splits.

package enum RowMath {
    @inline(__always) package static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = Vector8()
        var i = 0
        while i + 8 <= count {
            acc += x.vector(at: i)
            i += 8
        }
        var total = acc.sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }

    @inline(__always)
    package static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, _ count: Int, from center: Float) -> Float {
        var acc = Vector8()
        var i = 0
        while i + 8 <= count {
            let d = x.vector(at: i) - center
            acc = acc.addingProduct(d, d)
            i += 8
        }
        var total = acc.sum()
        while i < count {
            total += (x[i] - center) * (x[i] - center)
            i += 1
        }
        return total
    }

    @inline(__always) package static func maximum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var best = Vector8(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            let v = x.vector(at: i)
            best = best.replacing(with: v, where: v .> best)
            i += 8
        }
        var result = best.max()
        while i < count {
            result = Swift.max(result, x[i])
            i += 1
        }
        return result
    }

    @inline(__always)
    package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = Vector8()
        var i = 0
        while i + 8 <= count {
            acc = acc.addingProduct(a.vector(at: i), b.vector(at: i))
            i += 8
        }
        var total = acc.sum()
        while i < count {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }

    /// x[i] = e^(x[i] − shift) over the row; returns the sum of the results.
    @inline(__always)
    package static func exponentiate(_ x: UnsafeMutablePointer<Float>, _ count: Int, shift: Float) -> Float {
        var acc = Vector8()
        var i = 0
        while i + 8 <= count {
            let e = VectorMath.exp(x.vector(at: i) - shift)
            x.setVector(e, at: i)
            acc += e
            i += 8
        }
        var total = acc.sum()
        while i < count {
            x[i] = VectorMath.exp(x[i] - shift)
            total += x[i]
            i += 1
        }
        return total
    }

    /// Σ e^(x[i] − shift) without writing.
    @inline(__always)
    package static func sumOfExponentials(_ x: UnsafePointer<Float>, _ count: Int, shift: Float) -> Float {
        var acc = Vector8()
        var i = 0
        while i + 8 <= count {
            acc += VectorMath.exp(x.vector(at: i) - shift)
            i += 8
        }
        var total = acc.sum()
        while i < count {
            total += VectorMath.exp(x[i] - shift)
            i += 1
        }
        return total
    }

    /// x[i] *= factor over the row.
    @inline(__always) package static func scale(_ x: UnsafeMutablePointer<Float>, _ count: Int, by factor: Float) {
        var i = 0
        while i + 8 <= count {
            x.setVector(x.vector(at: i) * factor, at: i)
            i += 8
        }
        while i < count {
            x[i] *= factor
            i += 1
        }
    }
}

/// One zeroed scratch row per parallel chunk; `reduce` adds the rows' columns into a gradient.
package struct PartialSums {
    private let storage: UnsafeMutablePointer<Float>
    private let chunks: Int
    private let width: Int

    package init(chunks: Int, width: Int) {
        self.chunks = chunks
        self.width = width
        storage = .allocate(capacity: chunks * width)
        storage.initialize(repeating: 0, count: chunks * width)
    }

    package func row(_ chunk: Int) -> UnsafeMutablePointer<Float> { storage + chunk * width }

    /// target[j] += Σ_chunks row[columns.lowerBound + j].
    package func reduce(into target: UnsafeMutablePointer<Float>?, columns: Range<Int>) {
        guard let target else { return }
        for chunk in 0..<chunks {
            let row = storage + chunk * width + columns.lowerBound
            for j in 0..<columns.count { target[j] += row[j] }
        }
    }

    package func deallocate() { storage.deallocate() }
}
