// The compact block forms (Kernels/CompactMatrix.swift) of Llama's frozen weight matrices, for
// the few-row products of decoding: reading 5 bits per weight instead of 32 is what bounds a
// decoding step. A compact form holds the very Floats of its matrix, so outputs differ from the
// f32 path only in summation order, and a matrix whose values fit no block format (trained
// weights) simply keeps the f32 path.
//
// A network loaded frozen from a GGUF file holds its matrices in compact form only (the store's
// forms, see ParameterStore), and those are the forms used here; a frozen f32 network (a Hugging
// Face folder) gets forms encoded from its Floats, beside them.
//
// Only frozen parameters get a compact form, so an optimizer step can never leave one stale:
// a parameter seen trainable, by a decoding pass or by a pass on a tape, loses its form. The
// other writers of a model's base weights are loading (before any pass) and merging adapters,
// which resets the `adapters` property and with it every form here.
import Kernels
import Synchronization
import Tensors

/// The compact forms of one block's linear layers (nil where a layer has none).
struct LlamaBlockCompactWeights: Sendable {
    var query, key, value, output, gate, up, down: CompactMatrix?
}

/// The compact forms of every linear layer of the model, for one pass.
struct LlamaCompactWeights: Sendable {
    var blocks: [LlamaBlockCompactWeights]
    var outputHead: CompactMatrix?
}

final class CompactWeightCache: Sendable {
    private struct State {
        /// By parameter name: the compact form, or nil when the values fit no format.
        var forms: [String: CompactMatrix?] = [:]
        /// The last snapshot, reused as long as no parameter can become trainable.
        var snapshot: LlamaCompactWeights?
    }

    private let state = Mutex(State())

    /// The compact forms of `model`'s frozen matrices, encoding those not seen before.
    func weights(for model: Llama) -> LlamaCompactWeights {
        let p = model.parameters
        // A store without gradient memory can never be trained or unfrozen.
        let alwaysFrozen = p.gradients == nil
        return state.withLock { state in
            if alwaysFrozen, let snapshot = state.snapshot { return snapshot }
            func form(_ name: String) -> CompactMatrix? {
                // The store's own form: its f32 range holds nothing to encode.
                if let held = p.compactForm(of: name) { return held }
                guard alwaysFrozen || p.isFrozen(name) else {
                    state.forms[name] = nil
                    return nil
                }
                if let known = state.forms[name] { return known }
                let entry = p.layout.entry(named: name)!
                let form = CompactMatrix.encode(p.values.pointer + entry.offset, rows: entry.shape[0], columns: entry.shape[1])
                state.forms[name] = .some(form)
                return form
            }
            let blocks = model.blockNames.map { n in
                LlamaBlockCompactWeights(
                    query: form(n.query), key: form(n.key), value: form(n.value), output: form(n.output),
                    gate: form(n.gate), up: form(n.up), down: form(n.down))
            }
            let snapshot = LlamaCompactWeights(blocks: blocks, outputHead: form(model.outputHeadName))
            state.snapshot = snapshot
            return snapshot
        }
    }

    /// Drops the forms of parameters `parameters` may train now (a pass on a tape).
    func forgetTrainable(in parameters: ParameterStore) {
        guard parameters.gradients != nil else { return }
        state.withLock { state in
            for name in state.forms.keys where !parameters.isFrozen(name) { state.forms[name] = nil }
            state.snapshot = nil
        }
    }

    /// Drops every form: the base weights may have been rewritten.
    func forgetAll() {
        state.withLock { $0 = State() }
    }
}

extension Llama {
    /// Bytes of weights one decoding step of a few rows reads: the compact forms where the
    /// matrices have them, f32 for the rest (norms, and any matrix without an exact compact form).
    package var decodingWeightBytes: Int {
        let compact = compactWeights.weights(for: self)
        let matrices = compact.blocks.flatMap { [$0.query, $0.key, $0.value, $0.output, $0.gate, $0.up, $0.down] } + [compact.outputHead]
        let compactBytes = matrices.compactMap { $0?.byteCount }.reduce(0, +)
        let compactFloats = matrices.compactMap { $0.map { $0.rows * $0.columns } }.reduce(0, +)
        let embeddingRows = configuration.tiedEmbeddings ? 0 : configuration.vocabularySize * configuration.width
        return compactBytes + (parameters.scalarCount - compactFloats - embeddingRows) * MemoryLayout<Float>.size
    }
}
