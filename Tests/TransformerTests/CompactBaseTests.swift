// A Llama whose frozen matrices live only in compact form (`compactFrozenWeights()`, what the
// GGUF loader does for a model not trained in full) computes what the same model over f32 weights
// computes: the logits of a full pass, a LoRA step's loss and every adapter gradient bit for bit
// (each matrix is decoded whole before the same BLAS products), greedy generation token for
// token; the output head cut into slices of rows gives the same logits and the input gradient up
// to summation order; and whatever asks for the Floats (a trainable copy, merging) gets them back.
import Randomness
import Tensors
import Testing
import TestSupport
@testable import Transformer

@Suite struct CompactBaseTests {
    /// The quantised model over f32 weights, and a copy of it holding its matrices compact.
    func models() throws -> (f32: Llama, compact: Llama) {
        let f32 = try CompactDecodingTests.quantizedModel(trainable: false)
        let compact = try f32.copy(trainable: false)
        compact.compactFrozenWeights()
        return (f32, compact)
    }

    static let rows: [[Int32]] = [CompactDecodingTests.prompt, CompactDecodingTests.prompt.map { ($0 + 5) % 96 }]

    func bits(_ values: some Collection<Float>) -> [UInt32] { values.map(\.bitPattern) }

    @Test func everyMatrixIsHeldCompactAndTheNormsStayFloats() throws {
        let compact = try models().compact
        for entry in compact.parameters.layout.entries {
            #expect((compact.parameters.compactForm(of: entry.name) != nil) == (entry.shape.rank == 2), "\(entry.name)")
        }
    }

    @Test func aFullPassGivesTheSameLogits() throws {
        let (f32, compact) = try models()
        let input = try TokenBatch(rows: Self.rows)
        let expected = try f32.logits(f32.hiddenStates(input, tape: nil), tape: nil).scalars
        #expect(bits(try compact.logits(compact.hiddenStates(input, tape: nil), tape: nil).scalars) == bits(expected))
    }

    /// The loss and the adapters' gradients of one LoRA step (with dropout) on `model`.
    func loraStep(_ model: Llama) throws -> (loss: Float, gradients: [Float]) {
        try model.attachAdapters(LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.1), seed: 1)
        let adapters = try #require(model.adapters)
        var generator = RandomGenerator(seed: 2)
        // B starts at zero; random values let every gradient reach through it.
        for entry in adapters.parameters.layout.entries { adapters.parameters.fillNormal(entry.name, standardDeviation: 0.05, using: &generator) }
        adapters.startStep(0)
        let tape = Tape()
        let input = try TokenBatch(rows: Self.rows.map { Array($0.dropLast()) })
        let loss = try model.logits(model.hiddenStates(input, tape: tape), tape: tape).crossEntropy(targets: Self.rows.flatMap { $0.dropFirst() })
        try tape.backward(from: loss)
        return (loss.item, Array(try #require(adapters.parameters.allGradients)))
    }

    @Test func aLoRAStepGivesTheSameLossAndGradients() throws {
        let (f32, compact) = try models()
        let (expected, actual) = (try loraStep(f32), try loraStep(compact))
        #expect(actual.loss.bitPattern == expected.loss.bitPattern)
        #expect(bits(actual.gradients) == bits(expected.gradients))
    }

    /// Dropout masks are a function of the step and the data-parallel rank: the same pair draws
    /// the same masks (a resumed run draws what an unbroken one did), another rank other masks.
    @Test func dropoutMasksFollowTheStepAndTheRank() throws {
        let (model, _) = try models()
        try model.attachAdapters(LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.5), seed: 1)
        let adapters = try #require(model.adapters)
        var generator = RandomGenerator(seed: 2)
        for entry in adapters.parameters.layout.entries { adapters.parameters.fillNormal(entry.name, standardDeviation: 0.05, using: &generator) }
        let input = try TokenBatch(rows: Self.rows)
        func recorded(step: Int, rank: Int) throws -> [Float] {
            adapters.startStep(step, rank: rank)
            let tape = Tape()
            return try model.logits(model.hiddenStates(input, tape: tape), tape: tape).scalars
        }
        let first = try recorded(step: 3, rank: 0)
        #expect(bits(try recorded(step: 3, rank: 0)) == bits(first))
        #expect(bits(try recorded(step: 3, rank: 1)) != bits(first))
        #expect(bits(try recorded(step: 4, rank: 0)) != bits(first))
        #expect(bits(try recorded(step: 3, rank: 1)) == bits(try recorded(step: 3, rank: 1)))
    }

    @Test func greedyGenerationIsTheSame() throws {
        let (f32, compact) = try models()
        let prompts: [[Int32]] = [CompactDecodingTests.prompt, [3, 17, 40, 2]]
        let greedy = SamplingParameters(temperature: 0, maxNewTokens: 12)
        var generator = RandomGenerator(seed: 0)
        let expected = try f32.generate(prompts: prompts, parameters: greedy, generator: &generator)
        #expect(try compact.generate(prompts: prompts, parameters: greedy, generator: &generator) == expected)
    }

    @Test func theHeadInSlicesGivesCloseLogitsAndGradients() throws {
        let (f32, compact) = try models()
        let head = try #require(compact.parameters.compactForm(of: "model.embed_tokens.weight"))
        var values = TestValues(seed: 9)
        let hidden = try Tensor(shape: [20, 64], values: values.next(20 * 64).map(Float.init))
        let table = f32.parameters.tensor("model.embed_tokens.weight", on: nil)
        let expected = try hidden.linear(table, orientation: .outputsByInputs).scalars
        let dout = values.next(20 * 96)
        // A slice is its own, narrower sgemm: BLAS kernels may block or round its edge columns
        // differently (OpenBLAS's AVX2 and AVX-512 kernels do), so sliced logits are close, not
        // bitwise equal; the decoded whole runs the f32 path's very products.
        func inputGradient(exact: Bool, _ product: (Tensor) throws -> Tensor) throws -> [Float] {
            let tape = Tape()
            let x = try Tensor(shape: [20, 64], values: hidden.scalars)
            x.track(on: tape)
            let out = try product(x)
            try tape.backward(from: (out * Tensor(shape: [20, 96], values: dout.map(Float.init))).sum())
            if exact {
                #expect(bits(out.scalars) == bits(expected), "logits")
            } else {
                expectClose(out.scalars, expected.map(Double.init), .forward, "logits")
            }
            return try #require(x.gradient)
        }
        let whole = try inputGradient(exact: true) { try $0.linear(table, orientation: .outputsByInputs) }
        #expect(bits(try inputGradient(exact: true) { try $0.linear(compact: head) }) == bits(whole), "decoded whole: the f32 path's products")
        expectClose(
            try inputGradient(exact: false) { try $0.linear(compact: head, sliceRows: 32) }, whole.map(Double.init), .forward, "three slices of 32 rows")
    }

    @Test func whatAsksForTheFloatsGetsThemExactly() throws {
        let (f32, compact) = try models()
        let trainable = try compact.copy(trainable: true)
        #expect(trainable.parameters.compactForm(of: "model.embed_tokens.weight") == nil, "a trainable copy holds Floats")
        #expect(bits(trainable.parameters.allValues) == bits(f32.parameters.allValues))
        for model in [f32, compact] {
            try model.attachAdapters(LoRAConfiguration(rank: 4, alpha: 8), seed: 1)
            var generator = RandomGenerator(seed: 3)
            let adapters = try #require(model.adapters)
            for entry in adapters.parameters.layout.entries { adapters.parameters.fillNormal(entry.name, standardDeviation: 0.05, using: &generator) }
            model.mergeAdapters()
        }
        #expect(bits(compact.parameters.allValues) == bits(f32.parameters.allValues), "merged into decoded matrices")
    }
}
