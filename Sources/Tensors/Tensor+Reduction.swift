// Reductions: whole-tensor and per-row sums and (masked) means, and gathering one time step
// per sequence (a scalar head read at the last real token).
import Kernels

extension Tensor {
    /// Σ of all elements: a scalar.
    public func sum() -> Tensor {
        weightedTotal(weights: nil, divisor: 1)
    }

    /// Mean of all elements: a scalar.
    public func mean() -> Tensor {
        weightedTotal(weights: nil, divisor: Float(max(elementCount, 1)))
    }

    /// Σ(x·mask) / Σ mask over all elements: a scalar (0 when the mask is empty). The mask is a
    /// constant of self's shape, typically 1 for response tokens and 0 for prompt and padding.
    public func maskedMean(_ mask: Tensor) throws -> Tensor {
        guard mask.shape == shape else {
            throw TensorError.shapeMismatch(operation: "maskedMean", shape, mask.shape, expected: "a mask of the tensor's shape")
        }
        let total = Float(Elementwise.sum(mask.data, count: mask.elementCount))
        return weightedTotal(weights: mask, divisor: total == 0 ? 1 : total)
    }

    private func weightedTotal(weights: Tensor?, divisor: Float) -> Tensor {
        let total = weights.map { Elementwise.weightedSum(data, $0.data, count: elementCount) }
            ?? Elementwise.sum(data, count: elementCount)
        let out = Tensor(Float(total) / divisor)
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                let g = dout[0] / divisor
                if let weights {
                    self.addGradient(weights.data, weights.data) { w, _ in g * w }
                } else {
                    self.withGradient { dx, accumulate in
                        for i in 0..<self.elementCount { dx[i] = (accumulate ? dx[i] : 0) + g }
                    }
                }
            }
        }
        return out
    }

    /// Per-row Σ_j x[..., j]·mask[..., j] over the last axis (mask optional): shape [...].
    /// With `normalized`, each row is divided by its mask total (a per-sequence masked mean).
    public func sumAlongLastAxis(mask: Tensor? = nil, normalized: Bool = false) throws -> Tensor {
        if let mask, mask.shape != shape {
            throw TensorError.shapeMismatch(operation: "sumAlongLastAxis", shape, mask.shape, expected: "a mask of the tensor's shape")
        }
        let (rows, width) = (shape.rows, shape.last)
        var weights = [Float](repeating: 1, count: rows)
        let out = Tensor(uninitialized: shape.droppingLast)
        for r in 0..<rows {
            let m = mask.map { UnsafePointer($0.data + r * width) }
            let total = m.map { Elementwise.weightedSum(data + r * width, $0, count: width) } ?? Elementwise.sum(data + r * width, count: width)
            if normalized {
                let count = m.map { Elementwise.sum($0, count: width) } ?? Double(width)
                weights[r] = count == 0 ? 0 : Float(1 / count)
            }
            out.data[r] = Float(total) * weights[r]
        }
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dx, accumulate in
                    for r in 0..<rows {
                        let g = dout[r] * weights[r]
                        for j in 0..<width {
                            let value = g * (mask.map { $0.data[r * width + j] } ?? 1)
                            dx[r * width + j] = (accumulate ? dx[r * width + j] : 0) + value
                        }
                    }
                }
            }
        }
        return out
    }

    /// For self [B, T, ...], the slice at time positions[b] of each row b: shape [B, ...].
    public func gathered(at positions: [Int32]) throws -> Tensor {
        guard shape.rank >= 2, positions.count == shape[0] else {
            throw TensorError.invalidShape(operation: "gathered(at:)", shape, expected: "[B, T, ...] with \(positions.count) positions")
        }
        let (B, T) = (shape[0], shape[1])
        let width = elementCount / max(B * T, 1)
        if let bad = positions.first(where: { $0 < 0 || Int($0) >= T }) {
            throw TensorError.indexOutOfRange(operation: "gathered(at:)", index: Int(bad), bound: T)
        }
        var dimensions = shape.dimensions
        dimensions.remove(at: 1)
        let out = Tensor(uninitialized: Shape(dimensions))
        for b in 0..<B {
            (out.data + b * width).update(from: data + (b * T + Int(positions[b])) * width, count: width)
        }
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dx, accumulate in
                    if !accumulate { dx.update(repeating: 0, count: self.elementCount) }
                    for b in 0..<B {
                        let target = dx + (b * T + Int(positions[b])) * width
                        for j in 0..<width { target[j] += dout[b * width + j] }
                    }
                }
            }
        }
        return out
    }
}
