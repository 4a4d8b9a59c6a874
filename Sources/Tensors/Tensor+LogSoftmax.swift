// Losses and statistics over the vocabulary axis, fused with the softmax: cross-entropy,
// log-probabilities of given tokens, and entropy.
import Kernels

extension Tensor {
    /// Mean negative log-likelihood of `targets` under logits self [..., V]; a negative target
    /// marks a position to ignore (padding, prompt tokens in SFT). A scalar; 0 when all ignored.
    public func crossEntropy(targets: [Int32]) throws -> Tensor {
        let (out, weight, logSumExp) = try crossEntropyParts(targets)
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dz, accumulate in
                    self.crossEntropyBackward(into: dz, accumulate: accumulate, dout[0] * weight, targets, logSumExp)
                }
            }
        }
        return out
    }

    /// The mean cross-entropy of `targets` under the logits x·Wᵀ of `head` (x = self [..., C]),
    /// as `linear` then `crossEntropy` compute it, without a second [rows, V] buffer for the
    /// logits' gradient: nothing else reads these logits, so backward turns them into their own
    /// gradient in place. At 8 × 128 tokens of SmolLM2's 49,152-token vocabulary that is 201 MB,
    /// a tenth of a LoRA step's peak memory.
    package func crossEntropy(through head: BaseLayer, targets: [Int32]) throws -> Tensor {
        let logits = try through(head, recorded: false)
        let (out, weight, logSumExp) = try logits.crossEntropyParts(targets)
        if let tape = Tape.recording([self] + head.tensors) {
            out.record(on: tape) { dout in
                logits.crossEntropyBackward(into: logits.data, accumulate: false, dout[0] * weight, targets, logSumExp)
                self.throughBackward(logits.data, head)
            }
        }
        return out
    }

    /// The loss (unrecorded), the weight of each counted row in it, and the rows' normalisers.
    private func crossEntropyParts(_ targets: [Int32]) throws -> (Tensor, Float, TensorStorage) {
        let (logProbabilities, logSumExp) = try tokenLogProbabilitiesAndNormalizers(targets, operation: "crossEntropy", temperature: 1)
        let counted = targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        let weight = counted == 0 ? 0 : -1 / Float(counted)
        return (Tensor(Float(Elementwise.sum(logProbabilities.data, count: logProbabilities.elementCount)) * weight), weight, logSumExp)
    }

    /// dz (+)= the loss's gradient with respect to these logits, each counted row weighing
    /// `rowGradient`; dz may be the logits themselves when not accumulating (elementwise in place).
    private func crossEntropyBackward(into dz: UnsafeMutablePointer<Float>, accumulate: Bool, _ rowGradient: Float, _ targets: [Int32], _ logSumExp: TensorStorage) {
        let rowGradients = [Float](repeating: rowGradient, count: shape.rows)
        targets.withUnsafeBufferPointer { t in
            LogSoftmax.tokenLogProbabilitiesBackward(
                dLogits: dz, accumulate: accumulate, gradient: rowGradients, logits: data,
                logSumExp: logSumExp.pointer, tokens: t.baseAddress!, scale: 1, rows: shape.rows, vocabulary: shape.last)
        }
    }

    /// log p(tokens[i]) under softmax(logits / temperature) for each row of self [..., V]:
    /// shape [...]. Negative tokens give 0 and no gradient.
    public func tokenLogProbabilities(of tokens: [Int32], temperature: Float = 1) throws -> Tensor {
        let (out, logSumExp) = try tokenLogProbabilitiesAndNormalizers(tokens, operation: "tokenLogProbabilities", temperature: temperature)
        let (N, V, scale) = (shape.rows, shape.last, 1 / temperature)
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dz, accumulate in
                    tokens.withUnsafeBufferPointer { t in
                        LogSoftmax.tokenLogProbabilitiesBackward(
                            dLogits: dz, accumulate: accumulate, gradient: dout, logits: self.data,
                            logSumExp: logSumExp.pointer, tokens: t.baseAddress!, scale: scale, rows: N, vocabulary: V)
                    }
                }
            }
        }
        return out
    }

    /// log Σ_j exp(logits[i, j] / temperature) for each row of self [..., V], not recorded on a tape
    /// (a sampler's normalisers, read while decoding).
    public func rowLogSumExp(temperature: Float = 1) throws -> [Float] {
        let (_, logSumExp) = try tokenLogProbabilitiesAndNormalizers(
            [Int32](repeating: -1, count: shape.rank >= 1 ? shape.rows : 0), operation: "rowLogSumExp", temperature: temperature)
        return Array(UnsafeBufferPointer(start: logSumExp.pointer, count: shape.rows))
    }

    /// Entropy of softmax(logits / temperature) for each row of self [..., V]: shape [...].
    public func entropy(temperature: Float = 1) throws -> Tensor {
        guard shape.rank >= 1, shape.last > 0, temperature > 0 else {
            throw TensorError.invalidShape(operation: "entropy", shape, expected: "logits [..., V] and a positive temperature")
        }
        let (N, V, scale) = (shape.rows, shape.last, 1 / temperature)
        let out = Tensor(uninitialized: shape.droppingLast)
        let logSumExp = TensorStorage(count: N)
        LogSoftmax.entropy(out: out.data, logSumExp: logSumExp.pointer, logits: data, scale: scale, rows: N, vocabulary: V)
        if let tape = Tape.recording(self) {
            out.record(on: tape) { dout in
                self.withGradient { dz, accumulate in
                    LogSoftmax.entropyBackward(
                        dLogits: dz, accumulate: accumulate, gradient: dout, logits: self.data,
                        logSumExp: logSumExp.pointer, entropy: out.data, scale: scale, rows: N, vocabulary: V)
                }
            }
        }
        return out
    }

    private func tokenLogProbabilitiesAndNormalizers(
        _ tokens: [Int32], operation: String, temperature: Float
    ) throws -> (Tensor, TensorStorage) {
        guard shape.rank >= 1, shape.last > 0, shape.rows > 0, temperature > 0 else {
            throw TensorError.invalidShape(operation: operation, shape, expected: "logits [..., V] and a positive temperature")
        }
        let (N, V) = (shape.rows, shape.last)
        guard tokens.count == N else {
            throw TensorError.countMismatch(operation: "\(operation) (tokens for logits \(shape))", shape: shape.droppingLast, count: tokens.count)
        }
        if let bad = tokens.first(where: { Int($0) >= V }) {
            throw TensorError.indexOutOfRange(operation: operation, index: Int(bad), bound: V)
        }
        let out = Tensor(uninitialized: shape.droppingLast)
        let logSumExp = TensorStorage(count: N)
        tokens.withUnsafeBufferPointer { t in
            LogSoftmax.tokenLogProbabilities(
                out: out.data, logSumExp: logSumExp.pointer, logits: data, tokens: t.baseAddress!,
                scale: 1 / temperature, rows: N, vocabulary: V)
        }
        return (out, logSumExp)
    }
}
