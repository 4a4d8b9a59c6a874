// All parameters of a model in one flat buffer of named views, with gradients in a parallel flat
// buffer: zeroing, clipping, an optimizer step, saving and cloning are each one pass or one copy.
//
// A frozen matrix whose values are exactly a GGUF block format's may be held in that compact
// form only (a fifth to a quarter of the bytes): its range of the flat buffer is then given back
// to the kernel, and whatever asks for its Floats (a tensor view, saving, copying into a trainable
// store, merging adapters) gets them decoded back first, bit for bit. Models that know the form
// (Llama) multiply with it directly and never ask.
import Kernels
import Randomness

/// The names, shapes and offsets of a model's parameters, in storage order.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: Shape
        /// Index of the first element in the flat buffer.
        public let offset: Int
        public var range: Range<Int> { offset..<(offset + shape.elementCount) }
    }

    public private(set) var entries: [Entry] = []
    private var indexByName: [String: Int] = [:]

    public init() {}

    /// Total number of scalars.
    public var scalarCount: Int { entries.last.map { $0.offset + $0.shape.elementCount } ?? 0 }

    public mutating func append(_ name: String, _ shape: Shape) {
        precondition(indexByName[name] == nil, "parameter \(name) declared twice")
        indexByName[name] = entries.count
        entries.append(Entry(name: name, shape: shape, offset: scalarCount))
    }

    public func entry(named name: String) -> Entry? {
        indexByName[name].map { entries[$0] }
    }

    public func index(of name: String) -> Int? {
        indexByName[name]
    }
}

/// A model's parameters and their gradients. A reference type: the model, its optimizer and its
/// checkpoints all act on the same buffers.
public final class ParameterStore {
    public let layout: ParameterLayout
    package let values: TensorStorage
    /// Nil for a store made without gradients (a frozen reference model).
    package let gradients: TensorStorage?
    private var frozen: [Bool]
    /// By entry index: the frozen matrices held only in compact form.
    private var compactForms: [Int: CompactMatrix] = [:]

    /// Zero-initialised parameters; `trainable: false` allocates no gradient buffer at all.
    public init(layout: ParameterLayout, trainable: Bool = true) {
        self.layout = layout
        values = TensorStorage(zeroedPages: layout.scalarCount)
        gradients = trainable ? TensorStorage(repeating: 0, count: layout.scalarCount) : nil
        frozen = Array(repeating: !trainable, count: layout.entries.count)
    }

    private init(layout: ParameterLayout, values: TensorStorage, gradients: TensorStorage?, frozen: [Bool], compactForms: [Int: CompactMatrix]) {
        self.layout = layout
        self.values = values
        self.gradients = gradients
        self.frozen = frozen
        self.compactForms = compactForms
    }

    public var scalarCount: Int { layout.scalarCount }

    /// The parameter `name` as a tensor. With a tape, operations on it are recorded and backward
    /// accumulates into its slice of the gradient buffer (unless frozen); without one it is a
    /// constant view, which is how inference and frozen models run.
    public func tensor(_ name: String, on tape: Tape?) -> Tensor {
        guard let index = layout.index(of: name) else { preconditionFailure("no parameter named \(name)") }
        materialize(index)
        let entry = layout.entries[index]
        let count = entry.shape.elementCount
        let tensor = Tensor(shape: entry.shape, storage: TensorStorage(viewing: values, offset: entry.offset, count: count))
        if let tape, let gradients, !frozen[index] {
            tensor.bind(gradient: TensorStorage(viewing: gradients, offset: entry.offset, count: count), on: tape)
        }
        return tensor
    }

    /// The values of one parameter, for initialisation and loading.
    public func withValues<R>(of name: String, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        guard let index = layout.index(of: name) else { preconditionFailure("no parameter named \(name)") }
        materialize(index)
        return try body(UnsafeMutableBufferPointer(rebasing: values.buffer[layout.entries[index].range]))
    }

    /// Every value, in layout order.
    public var allValues: UnsafeMutableBufferPointer<Float> {
        materializeAll()
        return values.buffer
    }

    // MARK: Compact forms

    /// The compact form the frozen matrix `name` is held in, if it is held in one.
    package func compactForm(of name: String) -> CompactMatrix? {
        layout.index(of: name).flatMap { compactForms[$0] }
    }

    /// Keeps the frozen matrix `name` [rows, columns] only in compact form when its values (or
    /// `replacement`, its new values, which a loader need not write first) are exactly one of the
    /// block formats, and returns whether they were; otherwise the values stay, unreplaced.
    @discardableResult
    package func holdCompact(_ name: String, replacement: UnsafePointer<Float>? = nil) -> Bool {
        guard let index = layout.index(of: name), frozen[index], compactForms[index] == nil else { return compactForm(of: name) != nil }
        let entry = layout.entries[index]
        let source = replacement ?? UnsafePointer(values.pointer + entry.offset)
        guard entry.shape.rank == 2, let form = CompactMatrix.encode(source, rows: entry.shape[0], columns: entry.shape[1]) else { return false }
        compactForms[index] = form
        values.discardPages(in: entry.range)
        return true
    }

    /// Decodes a matrix held in compact form back into its range, which from then on holds it.
    private func materialize(_ index: Int) {
        guard let form = compactForms.removeValue(forKey: index) else { return }
        form.decode(rows: 0..<form.rows, into: values.pointer + layout.entries[index].offset)
    }

    private func materializeAll() {
        for index in compactForms.keys { materialize(index) }
    }

    /// Every gradient, in layout order (nil without a gradient buffer).
    public var allGradients: UnsafeMutableBufferPointer<Float>? { gradients?.buffer }

    // MARK: Training state

    public func isFrozen(_ name: String) -> Bool {
        layout.index(of: name).map { frozen[$0] } ?? true
    }

    /// Freezes the parameters matching `predicate`: backward leaves their gradients alone and
    /// optimizers skip them.
    public func freeze(where predicate: (ParameterLayout.Entry) -> Bool) {
        for (index, entry) in layout.entries.enumerated() where predicate(entry) { frozen[index] = true }
    }

    /// Makes every parameter trainable again (needs a gradient buffer).
    public func unfreezeAll() {
        precondition(gradients != nil, "a store made without gradients cannot be trained")
        materializeAll()
        frozen = Array(repeating: false, count: frozen.count)
    }

    /// The trainable entries, in layout order.
    public var trainableEntries: [ParameterLayout.Entry] {
        zip(layout.entries, frozen).filter { !$0.1 }.map(\.0)
    }

    public func zeroGradients() {
        gradients?.zero()
    }

    /// A copy of the values. `trainable: false` gives a frozen copy without gradient memory (a
    /// reference model); otherwise every parameter of the copy is trainable, with zeroed
    /// gradients, whatever was frozen here: a copy starts a new training run (a value network
    /// from a reward model loaded for inference), and that run chooses what to freeze. A frozen
    /// copy shares the compact forms (they are immutable); a trainable one decodes them.
    public func copy(trainable: Bool = true) -> ParameterStore {
        let copied = TensorStorage(zeroedPages: scalarCount)
        for (index, entry) in layout.entries.enumerated() {
            let target = copied.pointer + entry.offset
            if let form = compactForms[index] {
                if !trainable { continue }
                form.decode(rows: 0..<form.rows, into: target)
            } else {
                target.update(from: values.pointer + entry.offset, count: entry.shape.elementCount)
            }
        }
        return ParameterStore(
            layout: layout, values: copied,
            gradients: trainable ? TensorStorage(repeating: 0, count: layout.scalarCount) : nil,
            frozen: Array(repeating: !trainable, count: frozen.count), compactForms: trainable ? [:] : compactForms)
    }

    /// Overwrites the values with another store's (same layout).
    public func copyValues(from other: ParameterStore) throws {
        guard other.layout == layout else {
            throw TensorError.invalidShape(operation: "copyValues", [other.scalarCount], expected: "a store with the same layout (\(scalarCount) values)")
        }
        let source = other.allValues.baseAddress!
        // Every value is overwritten: the forms held here go stale.
        compactForms = [:]
        values.pointer.update(from: source, count: scalarCount)
    }

    // MARK: Initialisation

    public func fill(_ name: String, with value: Float) {
        withValues(of: name) { $0.update(repeating: value) }
    }

    /// Draws the parameter from N(0, standardDeviation²).
    public func fillNormal(_ name: String, standardDeviation: Float, using generator: inout RandomGenerator) {
        withValues(of: name) { buffer in
            for i in buffer.indices { buffer[i] = Float(generator.normal()) * standardDeviation }
        }
    }
}
