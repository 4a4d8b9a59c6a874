// The tensor: a shape over contiguous Float storage, plus, when it takes part in a recorded
// computation, the tape it was recorded on and its gradient.

/// A row-major Float tensor. Tensors are reference types because a gradient belongs to one
/// tensor: the tape's backward pass accumulates into the gradients of the tensors it recorded.
public final class Tensor {
    public let shape: Shape
    package let storage: TensorStorage
    /// The gradient, once backward reached this tensor (parameters: a view into their store).
    package private(set) var gradientStorage: TensorStorage?
    /// False while `gradientStorage` is freshly allocated and not yet written: the first
    /// contribution overwrites instead of adding, which saves zeroing every activation gradient.
    private var gradientIsWritten = false
    /// The tape recording operations on this tensor; nil for constants and inference.
    package private(set) weak var tape: Tape?

    package init(shape: Shape, storage: TensorStorage) {
        precondition(storage.count == shape.elementCount, "storage of \(storage.count) floats for shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// An uninitialised tensor, for ops to fill.
    package convenience init(uninitialized shape: Shape) {
        self.init(shape: shape, storage: TensorStorage(count: shape.elementCount))
    }

    /// A constant tensor holding `values` in row-major order.
    public convenience init(shape: Shape, values: [Float]) throws {
        guard values.count == shape.elementCount else {
            throw TensorError.countMismatch(operation: "Tensor(shape:values:)", shape: shape, count: values.count)
        }
        let storage = values.withUnsafeBufferPointer { TensorStorage(copying: $0) }
        self.init(shape: shape, storage: storage)
    }

    /// A constant scalar.
    public convenience init(_ value: Float) {
        self.init(shape: .scalar, storage: TensorStorage(repeating: value, count: 1))
    }

    public static func zeros(_ shape: Shape) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(repeating: 0, count: shape.elementCount))
    }

    public static func filled(_ shape: Shape, with value: Float) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(repeating: value, count: shape.elementCount))
    }

    public var elementCount: Int { shape.elementCount }

    /// Whether backward will produce a gradient for this tensor.
    public var requiresGradient: Bool { tape != nil }

    package var data: UnsafeMutablePointer<Float> { storage.pointer }

    /// The values in row-major order.
    public var scalars: [Float] { Array(storage.buffer) }

    /// The value of a one-element tensor.
    public var item: Float {
        precondition(elementCount == 1, "item of a tensor of shape \(shape)")
        return storage.pointer[0]
    }

    /// The gradient in row-major order, if backward produced one and it is still held (leaves
    /// and parameters keep theirs; intermediate gradients are released during backward).
    public var gradient: [Float]? { gradientStorage.map { Array($0.buffer) } }

    /// Starts recording operations on this tensor: backward will leave its gradient here.
    public func track(on tape: Tape) {
        self.tape = tape
    }

    /// Attaches an existing gradient buffer (a parameter's slice of its store) and a tape.
    package func bind(gradient: TensorStorage, on tape: Tape) {
        precondition(gradient.count == elementCount, "gradient of \(gradient.count) floats for shape \(shape)")
        gradientStorage = gradient
        gradientIsWritten = true
        self.tape = tape
    }

    /// Gives `body` this tensor's gradient buffer and whether it must add to it (true) or may
    /// overwrite it (false: nothing has been written yet).
    package func withGradient(_ body: (UnsafeMutablePointer<Float>, _ accumulate: Bool) -> Void) {
        if gradientStorage == nil { gradientStorage = TensorStorage(count: elementCount) }
        body(gradientStorage!.pointer, gradientIsWritten)
        gradientIsWritten = true
    }

    /// As `withGradient` when this tensor requires a gradient; otherwise `body` gets nil.
    package func withGradientIfRequired(_ body: (UnsafeMutablePointer<Float>?, _ accumulate: Bool) -> Void) {
        if requiresGradient { withGradient(body) } else { body(nil, false) }
    }

    /// A gradient buffer to add into: a parameter's own, or a leaf's zeroed on first use.
    package func accumulatingGradient() -> UnsafeMutablePointer<Float> {
        withGradient { gradient, accumulate in
            if !accumulate { gradient.update(repeating: 0, count: elementCount) }
        }
        return gradientStorage!.pointer
    }

    /// The gradient buffers of `tensors` (nil where none is required) for one kernel that fills
    /// them all under one flag: written when none holds a gradient yet, else added to, the fresh
    /// ones zeroed first. A tensor passed twice thereby gets both contributions.
    package static func withGradients(of tensors: [Tensor], _ body: ([UnsafeMutablePointer<Float>?], _ accumulate: Bool) -> Void) {
        let required = tensors.filter(\.requiresGradient)
        let accumulate = required.contains { $0.gradientIsWritten }
            || Set(required.map(ObjectIdentifier.init)).count < required.count
        let buffers = tensors.map { tensor -> UnsafeMutablePointer<Float>? in
            guard tensor.requiresGradient else { return nil }
            if accumulate { return tensor.accumulatingGradient() }
            tensor.withGradient { _, _ in }
            return tensor.gradientStorage!.pointer
        }
        body(buffers, accumulate)
    }

    /// Sets the gradient that backward starts from.
    package func seedGradient(_ values: UnsafeBufferPointer<Float>) {
        gradientStorage = TensorStorage(copying: values)
        gradientIsWritten = true
    }

    /// Drops an intermediate gradient once backward has propagated it.
    package func releaseGradient() {
        gradientStorage = nil
        gradientIsWritten = false
    }

    /// Records `backward` on `tape` (from `Tape.recording(...)`), making this tensor require a
    /// gradient. Ops check for a tape first so inference builds no closures at all.
    package func record(on tape: Tape, backward: @escaping (UnsafePointer<Float>) -> Void) {
        self.tape = tape
        tape.append(output: self, backward: backward)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(shape)(\(shown)\(elementCount > 8 ? ", …" : ""))"
    }
}
