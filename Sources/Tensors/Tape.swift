// Reverse-mode autograd: each differentiable op appends one entry; backward replays the entries
// in reverse recording order, which is a topological order of the computation.

/// Records operations on tensors that require gradients and replays them backwards.
/// Inference simply records nothing: run the computation on tensors no tape tracks (parameters
/// taken with `on: nil`).
public final class Tape {
    private struct Entry {
        let output: Tensor
        let backward: (UnsafePointer<Float>) -> Void
    }

    /// Entries become nil as backward passes them, freeing their activations early.
    private var entries: [Entry?] = []

    public init() {}

    /// Number of recorded operations.
    public var count: Int { entries.count }

    /// The tape of the first input that requires a gradient: where an op on these inputs records.
    @inline(__always)
    package static func recording(_ a: Tensor?, _ b: Tensor? = nil, _ c: Tensor? = nil) -> Tape? {
        a?.tape ?? b?.tape ?? c?.tape
    }

    package static func recording(_ inputs: [Tensor]) -> Tape? {
        inputs.lazy.compactMap(\.tape).first
    }

    package func append(output: Tensor, backward: @escaping (UnsafePointer<Float>) -> Void) {
        entries.append(Entry(output: output, backward: backward))
    }

    /// Propagates from a scalar `loss` (gradient 1) to every tracked tensor and parameter,
    /// accumulating into their gradients, then clears the tape and frees the activations.
    public func backward(from loss: Tensor) throws {
        guard loss.elementCount == 1 else {
            throw TensorError.invalidShape(operation: "backward", loss.shape, expected: "a scalar loss")
        }
        try backward(from: loss, gradient: [1])
    }

    /// Propagates from `output` with the given upstream gradient (one value per element).
    public func backward(from output: Tensor, gradient: [Float]) throws {
        guard gradient.count == output.elementCount else {
            throw TensorError.countMismatch(operation: "backward", shape: output.shape, count: gradient.count)
        }
        guard let last = entries.lastIndex(where: { $0?.output === output }) else {
            throw TensorError.notRecorded(operation: "backward")
        }
        gradient.withUnsafeBufferPointer { output.seedGradient($0) }
        for index in stride(from: last, through: 0, by: -1) {
            guard let entry = entries[index] else { continue }
            entries[index] = nil
            if let gradient = entry.output.gradientStorage {
                entry.backward(gradient.pointer)
            }
            entry.output.releaseGradient()
        }
        entries.removeAll()
    }
}
