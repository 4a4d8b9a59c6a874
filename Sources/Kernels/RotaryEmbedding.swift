// Rotary position embedding: every pair of a head's values turns by position·θ_i. Two pairings:
// rotate-half (x[i], x[i + D/2]), Hugging Face's, which training uses; and adjacent pairs
// (x[2i], x[2i+1]), the order in which llama.cpp's converter stores Q and K, which the GGUF
// inference network reads. Angles are computed in Double: position·θ reaches thousands of radians
// in long contexts, where Float would lose the low digits of the angle.
import Foundation

package enum RotaryEmbedding {
    /// The angles' frequencies θ_i = base^(−2i/headSize), i < headSize/2.
    package static func frequencies(headSize: Int, base: Double) -> [Float] {
        (0..<(headSize / 2)).map { Float(Foundation.pow(base, -2 * Double($0) / Double(headSize))) }
    }

    /// Rotate-half: out[i] = x[i]·cos − x[i+D/2]·sin and out[i+D/2] = x[i+D/2]·cos + x[i]·sin,
    /// angle positions[r]·θ_i, for each head of D = `headSize` values of every row r. Rows hold
    /// `heads·headSize` values at their own stride; `out` may be `input` itself (in place).
    package static func forward(
        out: UnsafeMutablePointer<Float>, outRowStride: Int, input: UnsafePointer<Float>, inputRowStride: Int,
        rows: Int, heads: Int, headSize: Int, positions: UnsafePointer<Int32>, frequencies: [Float]
    ) {
        rotateHalves(
            out: out, outRowStride: outRowStride, input: input, inputRowStride: inputRowStride, accumulate: false,
            rows: rows, heads: heads, headSize: headSize, positions: positions, frequencies: frequencies, inverse: false)
    }

    /// dx (+)= R(−angle)·dout: the rotation is orthogonal, so its transpose is its inverse.
    package static func backward(
        dInput: UnsafeMutablePointer<Float>, dInputRowStride: Int, accumulate: Bool,
        dout: UnsafePointer<Float>, doutRowStride: Int,
        rows: Int, heads: Int, headSize: Int, positions: UnsafePointer<Int32>, frequencies: [Float]
    ) {
        rotateHalves(
            out: dInput, outRowStride: dInputRowStride, input: dout, inputRowStride: doutRowStride, accumulate: accumulate,
            rows: rows, heads: heads, headSize: headSize, positions: positions, frequencies: frequencies, inverse: true)
    }

    private static func rotateHalves(
        out: UnsafeMutablePointer<Float>, outRowStride: Int, input: UnsafePointer<Float>, inputRowStride: Int,
        accumulate: Bool, rows: Int, heads: Int, headSize: Int, positions: UnsafePointer<Int32>,
        frequencies: [Float], inverse: Bool
    ) {
        precondition(frequencies.count * 2 == headSize, "\(frequencies.count) frequencies for heads of \(headSize)")
        guard rows > 0 else { return }
        let half = headSize / 2
        let angles = Angles(positions: positions, rows: rows, frequencies: frequencies, inverse: inverse)
        defer { angles.deallocate() }
        Parallel.forEachChunk(of: rows, minimumChunk: Parallel.minimumRows(width: heads * headSize)) { chunk in
            for row in chunk {
                let cosines = angles.row(row), sines = cosines + half
                for head in 0..<heads {
                    let x = input + row * inputRowStride + head * headSize
                    let y = out + row * outRowStride + head * headSize
                    var i = 0
                    while i + 8 <= half {
                        let (a, b) = (x.vector(at: i), x.vector(at: half + i))
                        let (c, s) = (cosines.vector(at: i), sines.vector(at: i))
                        var (first, second) = (a * c - b * s, b * c + a * s)
                        if accumulate {
                            first += y.vector(at: i)
                            second += y.vector(at: half + i)
                        }
                        y.setVector(first, at: i)
                        y.setVector(second, at: half + i)
                        i += 8
                    }
                    while i < half {
                        let (a, b) = (x[i], x[half + i])
                        let (first, second) = (a * cosines[i] - b * sines[i], b * cosines[i] + a * sines[i])
                        y[i] = accumulate ? y[i] + first : first
                        y[half + i] = accumulate ? y[half + i] + second : second
                        i += 1
                    }
                }
            }
        }
    }

    /// cos and sin of ±position·θ_i for the rows of one call, each computed once: rows repeat
    /// positions (every sequence of a batch counts 0, 1, …), so when the positions span no more
    /// values than there are rows there is one entry per position of the span, else one per row
    /// (a few sequences decoding far apart). An entry holds D/2 cosines then D/2 sines.
    private struct Angles {
        private let values: UnsafeMutablePointer<Float>
        private let positions: UnsafePointer<Int32>
        private let byPosition: Bool
        private let lowest: Int
        private let width: Int

        init(positions: UnsafePointer<Int32>, rows: Int, frequencies: [Float], inverse: Bool) {
            let half = frequencies.count
            var (lowest, highest) = (Int(positions[0]), Int(positions[0]))
            for row in 0..<rows {
                lowest = min(lowest, Int(positions[row]))
                highest = max(highest, Int(positions[row]))
            }
            let byPosition = highest - lowest < rows
            let entries = byPosition ? highest - lowest + 1 : rows
            let values = UnsafeMutablePointer<Float>.allocate(capacity: max(1, entries * 2 * half))
            let sign: Double = inverse ? -1 : 1
            frequencies.withUnsafeBufferPointer { theta in
                Parallel.forEachChunk(of: entries, minimumChunk: max(1, 2048 / max(half, 1))) { chunk in
                    for entry in chunk {
                        let position = sign * Double(byPosition ? lowest + entry : Int(positions[entry]))
                        let target = values + entry * 2 * half
                        for i in 0..<half {
                            let angle = position * Double(theta[i])
                            target[i] = Float(Foundation.cos(angle))
                            target[half + i] = Float(Foundation.sin(angle))
                        }
                    }
                }
            }
            (self.values, self.positions, self.byPosition, self.lowest, width) = (values, positions, byPosition, lowest, 2 * half)
        }

        @inline(__always) func row(_ row: Int) -> UnsafePointer<Float> {
            UnsafePointer(values + (byPosition ? Int(positions[row]) - lowest : row) * width)
        }

        func deallocate() { values.deallocate() }
    }
}
