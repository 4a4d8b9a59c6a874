// The tape's contract: accumulation over reuse, nothing recorded without a tracked input,
// frozen parameters left alone, and errors that name the shapes involved.
import Foundation
import Testing
import Tensors

@Suite struct TapeTests {
    @Test func aTensorUsedTwiceAccumulatesBothGradients() throws {
        let tape = Tape()
        let x = try Tensor(shape: [3], values: [1, 2, 3])
        x.track(on: tape)
        let y = try (x * x + x.affine(scale: 3)).sum()  // Σ x² + 3x → 2x + 3
        try tape.backward(from: y)
        #expect(x.gradient == [5, 7, 9])
        #expect(tape.count == 0)
    }

    @Test func constantsRecordNothing() throws {
        let tape = Tape()
        let x = try Tensor(shape: [2], values: [1, 2])
        let y = (x.exp() * 2).sum()
        #expect(!y.requiresGradient)
        #expect(tape.count == 0)
        #expect(throws: TensorError.notRecorded(operation: "backward")) { try tape.backward(from: y) }
    }

    @Test func backwardNeedsAScalarOrAnExplicitGradient() throws {
        let tape = Tape()
        let x = try Tensor(shape: [2], values: [1, 2])
        x.track(on: tape)
        let y = x.squared()
        #expect(throws: TensorError.self) { try tape.backward(from: y) }
        #expect(throws: TensorError.countMismatch(operation: "backward", shape: [2], count: 3)) {
            try tape.backward(from: y, gradient: [1, 1, 1])
        }
        try tape.backward(from: y, gradient: [1, 0.5])
        #expect(x.gradient == [2, 2])
    }

    @Test func frozenParametersGetNoGradientAndInferenceRecordsNothing() throws {
        var layout = ParameterLayout()
        layout.append("a", [2, 2])
        layout.append("b", [2])
        let store = ParameterStore(layout: layout)
        _ = store.allValues.update(fromContentsOf: [1, 2, 3, 4, 0.5, -0.5])
        store.freeze { $0.name == "a" }
        let tape = Tape()
        let x = try Tensor(shape: [1, 2], values: [1, 1])
        let loss = try x.linear(store.tensor("a", on: tape), bias: store.tensor("b", on: tape)).sum()
        try tape.backward(from: loss)
        #expect(Array(store.allGradients!) == [0, 0, 0, 0, 1, 1])
        let inference = try x.linear(store.tensor("a", on: nil), bias: store.tensor("b", on: nil))
        #expect(!inference.requiresGradient)
        #expect(inference.scalars == [4.5, 5.5])
    }

    @Test func gradientsAccumulateAcrossBackwardPassesUntilZeroed() throws {
        var layout = ParameterLayout()
        layout.append("w", [2])
        let store = ParameterStore(layout: layout)
        _ = store.allValues.update(fromContentsOf: [3, 4])
        for _ in 0..<2 {
            let tape = Tape()
            try tape.backward(from: store.tensor("w", on: tape).squared().sum())
        }
        #expect(Array(store.allGradients!) == [12, 16])
        store.zeroGradients()
        #expect(Array(store.allGradients!) == [0, 0])
    }

    @Test func shapeErrorsNameBothShapes() throws {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 2])
        do {
            _ = try a + b
            Issue.record("adding [2, 3] and [3, 2] did not throw")
        } catch let error as TensorError {
            #expect(error.description.contains("[2, 3]") && error.description.contains("[3, 2]"), "\(error)")
        }
        #expect(throws: TensorError.self) { try a.linear(Tensor.zeros([4, 5])) }
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 4, 9]).causalSelfAttention(heads: 2) }
        #expect(throws: TensorError.indexOutOfRange(operation: "tokenLogProbabilities", index: 7, bound: 3)) {
            try Tensor.zeros([2, 3]).tokenLogProbabilities(of: [0, 7])
        }
        #expect(throws: TensorError.countMismatch(operation: "Tensor(shape:values:)", shape: [2, 2], count: 3)) {
            try Tensor(shape: [2, 2], values: [1, 2, 3])
        }
    }

    @Test func rowNormalisersMatchTheLogSumExpInDouble() throws {
        let values: [Float] = [0.3, -1.2, 2.5, 0, 40, 39.5, -3, 1]
        let logits = try Tensor(shape: [2, 4], values: values)
        for temperature: Float in [1, 0.7] {
            let found = try logits.rowLogSumExp(temperature: temperature)
            for row in 0..<2 {
                let expected = log(values[(row * 4)..<(row * 4 + 4)].reduce(0.0) { $0 + exp(Double($1) / Double(temperature)) })
                #expect(abs(Double(found[row]) - expected) < 1e-5 * max(1, abs(expected)), "row \(row) at \(temperature)")
            }
        }
    }

    @Test func copiesAreIndependentAndFrozenCopiesHaveNoGradients() throws {
        var layout = ParameterLayout()
        layout.append("w", [3])
        let store = ParameterStore(layout: layout)
        store.fill("w", with: 2)
        let reference = store.copy(trainable: false)
        store.fill("w", with: 5)
        #expect(Array(reference.allValues) == [2, 2, 2])
        #expect(reference.allGradients == nil)
        #expect(reference.isFrozen("w"))
        let tape = Tape()
        #expect(!reference.tensor("w", on: tape).requiresGradient)
        try reference.copyValues(from: store)
        #expect(Array(reference.allValues) == [5, 5, 5])
    }

    /// A value network starts as a trainable copy of a reward model loaded for inference: the
    /// copy must learn, not inherit the inference store's frozen set.
    @Test func aTrainableCopyOfAFrozenStoreRecordsGradients() throws {
        var layout = ParameterLayout()
        layout.append("w", [2])
        layout.append("b", [1])
        let inference = ParameterStore(layout: layout, trainable: false)
        let partly = ParameterStore(layout: layout)
        partly.freeze(where: { $0.name == "w" })
        for copy in [inference.copy(), partly.copy()] {
            #expect(!copy.isFrozen("w") && !copy.isFrozen("b"))
            let tape = Tape()
            let w = copy.tensor("w", on: tape)
            #expect(w.requiresGradient)
            try tape.backward(from: w.sum())
            #expect(Array(try #require(copy.allGradients)) == [1, 1, 0])
        }
    }
}
