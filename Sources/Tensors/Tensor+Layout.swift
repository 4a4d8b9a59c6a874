// Changing how values are arranged: reshaping, slicing and concatenating along an axis, and
// picking rows.

extension Tensor {
    /// The same values under another shape with as many elements.
    public func reshaped(_ newShape: Shape) throws -> Tensor {
        guard newShape.elementCount == elementCount else {
            throw TensorError.shapeMismatch(operation: "reshaped", shape, newShape, expected: "equal element counts")
        }
        let out = Tensor(shape: newShape, storage: storage)
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in self.addGradient(dout) { $0 } }
        }
        return out
    }

    /// Elements `range` of `axis`, all of every other axis.
    public func slice(axis: Int, _ range: Range<Int>) throws -> Tensor {
        guard axis >= 0, axis < shape.rank, range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw TensorError.invalidShape(operation: "slice(axis: \(axis), \(range))", shape, expected: "an axis of the tensor and a range inside it")
        }
        let (outer, length, inner) = Self.split(shape, at: axis)
        var dimensions = shape.dimensions
        dimensions[axis] = range.count
        let out = Tensor(uninitialized: Shape(dimensions))
        let block = range.count * inner
        for o in 0..<outer {
            (out.data + o * block).update(from: data + (o * length + range.lowerBound) * inner, count: block)
        }
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dx, accumulate in
                    if !accumulate { dx.update(repeating: 0, count: self.elementCount) }
                    for o in 0..<outer {
                        let target = dx + (o * length + range.lowerBound) * inner
                        for j in 0..<block { target[j] += dout[o * block + j] }
                    }
                }
            }
        }
        return out
    }

    /// Tensors joined along `axis`; every other dimension must agree.
    public static func concatenate(_ parts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = parts.first, axis >= 0, axis < first.shape.rank else {
            throw TensorError.invalidShape(operation: "concatenate", parts.first?.shape ?? .scalar, expected: "at least one tensor with axis \(axis)")
        }
        for part in parts where part.shape.rank != first.shape.rank
            || zip(part.shape.dimensions, first.shape.dimensions).enumerated().contains(where: { $0.offset != axis && $0.element.0 != $0.element.1 }) {
            throw TensorError.shapeMismatch(operation: "concatenate", first.shape, part.shape, expected: "equal dimensions except axis \(axis)")
        }
        let (outer, _, inner) = split(first.shape, at: axis)
        let total = parts.reduce(0) { $0 + $1.shape[axis] }
        var dimensions = first.shape.dimensions
        dimensions[axis] = total
        let out = Tensor(uninitialized: Shape(dimensions))
        var start = 0
        var starts: [Int] = []
        for part in parts {
            starts.append(start)
            let block = part.shape[axis] * inner
            for o in 0..<outer {
                (out.data + (o * total + start) * inner).update(from: part.data + o * block, count: block)
            }
            start += part.shape[axis]
        }
        if let tape = Tape.recording(parts) {
            out.record(on: tape) { dout in
                for (part, start) in zip(parts, starts) where part.requiresGradient {
                    let block = part.shape[axis] * inner
                    part.withGradient { dx, accumulate in
                        for o in 0..<outer {
                            let source = dout + (o * total + start) * inner
                            for j in 0..<block { dx[o * block + j] = (accumulate ? dx[o * block + j] : 0) + source[j] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The rows (vectors along the last axis) of this tensor picked by `sources`: row j of the
    /// result is row `sources[j]`, or zeros where that is nil; the result has `shape`, whose last
    /// dimension is this tensor's and whose other dimensions hold `sources.count` rows. A row is
    /// picked at most once, so the gradient goes back to each row from one place. Moves a batch
    /// between its left-padded layout and one without the padding.
    public func gatheringRows(_ sources: [Int?], into shape: Shape) throws -> Tensor {
        let width = self.shape.last, rows = self.shape.rows
        guard self.shape.rank >= 1, shape.rank >= 1, shape.last == width, shape.rows == sources.count else {
            throw TensorError.shapeMismatch(operation: "gatheringRows", self.shape, shape, expected: "\(sources.count) rows of width \(width)")
        }
        var picked = [Bool](repeating: false, count: rows)
        for source in sources {
            guard let source else { continue }
            guard source >= 0, source < rows, !picked[source] else {
                throw TensorError.invalidShape(operation: "gatheringRows", self.shape, expected: "distinct source rows below \(rows), not \(source)")
            }
            picked[source] = true
        }
        let out = Tensor(uninitialized: shape)
        for (j, source) in sources.enumerated() {
            let target = out.data + j * width
            if let source { target.update(from: data + source * width, count: width) } else { target.update(repeating: 0, count: width) }
        }
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dx, accumulate in
                    if !accumulate {
                        for row in 0..<rows where !picked[row] { (dx + row * width).update(repeating: 0, count: width) }
                    }
                    for (j, source) in sources.enumerated() {
                        guard let source else { continue }
                        let (target, gradient) = (dx + source * width, dout + j * width)
                        if accumulate {
                            for i in 0..<width { target[i] += gradient[i] }
                        } else {
                            target.update(from: gradient, count: width)
                        }
                    }
                }
            }
        }
        return out
    }

    /// A shape as [outer, axis length, inner].
    private static func split(_ shape: Shape, at axis: Int) -> (Int, Int, Int) {
        let outer = shape.dimensions[..<axis].reduce(1, *)
        let inner = shape.dimensions[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }
}
