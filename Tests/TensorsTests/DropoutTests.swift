// Inverted dropout: the share dropped is p, kept elements are scaled by exactly 1/(1 − p), the
// mask is the generator's, and the backward pass uses the forward's mask (finite differences).
import Randomness
import Testing
import TestSupport
import Tensors

@Suite struct DropoutTests {
    @Test func dropsTheShareAskedForAndScalesTheRestToKeepTheMean() throws {
        let count = 100_000, p: Float = 0.3
        var generator = RandomGenerator(seed: 4)
        let x = try Tensor(shape: [count], values: [Float](repeating: 2, count: count))
        let out = try x.droppedOut(probability: p, generator: &generator).scalars
        let dropped = out.filter { $0 == 0 }.count
        let standardError = (Double(count) * Double(p) * Double(1 - p)).squareRoot()
        #expect(abs(Double(dropped) - Double(count) * Double(p)) < 4 * standardError)
        #expect(out.allSatisfy { $0 == 0 || $0 == 2 / (1 - p) })
        let mean = out.reduce(0, +) / Float(count)
        #expect(abs(mean - 2) < 0.02, "inverted dropout keeps the expectation")
    }

    @Test func theMaskIsTheGeneratorsAndZeroProbabilityIsTheIdentity() throws {
        let x = try Tensor(shape: [4, 5], values: (0..<20).map { Float($0) - 7.5 })
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9), c = RandomGenerator(seed: 10)
        let first = try x.droppedOut(probability: 0.5, generator: &a).scalars
        #expect(first == (try x.droppedOut(probability: 0.5, generator: &b).scalars))
        #expect(first != (try x.droppedOut(probability: 0.5, generator: &c).scalars))
        var d = RandomGenerator(seed: 1)
        #expect(try x.droppedOut(probability: 0, generator: &d).scalars == x.scalars)
        for p: Float in [-0.1, 1, .nan] {
            var e = RandomGenerator(seed: 1)
            #expect(throws: TensorError.self) { try x.droppedOut(probability: p, generator: &e) }
        }
    }

    @Test func theGradientFlowsThroughTheSameMask() {
        let p = 0.4, seed: UInt64 = 21
        // The reference draws the mask the way the op is documented to: one uniform per element,
        // in order, dropped below p.
        let reference = { (inputs: [[Double]]) -> [Double] in
            var generator = RandomGenerator(seed: seed)
            return inputs[0].map { generator.uniformDouble() < p ? 0 : $0 / (1 - p) }
        }
        var values = TestValues(seed: 3)
        tensorCheck([[6, 7]], inputs: [values.next(42, scale: 2)], reference: reference) { x in
            var generator = RandomGenerator(seed: seed)
            return try x[0].droppedOut(probability: Float(p), generator: &generator)
        }.run("dropout")
    }
}
