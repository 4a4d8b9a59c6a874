// Every tensor op against PyTorch: inputs, output, upstream gradient and input gradients come
// from Tests/Fixtures/engine (scripts/make_engine_fixtures.py, computed in float64).
import Testing
import TestSupport
import Tensors

struct ParityCase: CustomTestStringConvertible, Sendable {
    let fixture: String
    let apply: @Sendable ([String: Tensor], Fixture) throws -> Tensor
    var testDescription: String { fixture }
}

@Suite struct PyTorchParityTests {
    static let cases: [ParityCase] = [
        ParityCase(fixture: "linear_conv1d") { x, _ in try x["x"]!.linear(x["w"]!, bias: x["b"]!) },
        ParityCase(fixture: "linear_nobias_transposed") { x, _ in try x["x"]!.linear(x["w"]!, orientation: .outputsByInputs) },
        ParityCase(fixture: "matmul_00") { x, _ in try x["a"]!.matmul(x["b"]!) },
        ParityCase(fixture: "matmul_01") { x, _ in try x["a"]!.matmul(x["b"]!, transposeOther: true) },
        ParityCase(fixture: "matmul_10") { x, _ in try x["a"]!.matmul(x["b"]!, transposeSelf: true) },
        ParityCase(fixture: "matmul_11") { x, _ in try x["a"]!.matmul(x["b"]!, transposeSelf: true, transposeOther: true) },
        ParityCase(fixture: "embedding") { x, f in
            let (B, T) = (try f.int("constants", "batch"), try f.int("constants", "time"))
            return try Tensor.embedding(
                tokens: TokenGrid(batch: B, time: T, ids: f.int32s("constants", "tokens")),
                positions: TokenGrid(batch: B, time: T, ids: f.int32s("constants", "positions")),
                tokenTable: x["wte"]!, positionTable: x["wpe"]!)
        },
        ParityCase(fixture: "layer_norm") { x, _ in try x["x"]!.layerNorm(weight: x["w"]!, bias: x["b"]!) },
        ParityCase(fixture: "gelu") { x, _ in x["x"]!.gelu() },
        ParityCase(fixture: "attention") { x, f in try x["qkv"]!.causalSelfAttention(heads: f.int("constants", "heads")) },
        ParityCase(fixture: "attention_long") { x, f in try x["qkv"]!.causalSelfAttention(heads: f.int("constants", "heads")) },
        ParityCase(fixture: "attention_padded") { x, f in
            try x["qkv"]!.causalSelfAttention(heads: f.int("constants", "heads"), firstPosition: f.int32s("constants", "firstPosition"))
        },
        ParityCase(fixture: "cross_entropy") { x, f in try x["z"]!.crossEntropy(targets: f.int32s("constants", "targets")) },
        ParityCase(fixture: "token_log_probabilities") { x, f in
            try x["z"]!.tokenLogProbabilities(of: f.int32s("constants", "tokens"), temperature: Float(f.double("constants", "temperature")))
        },
        ParityCase(fixture: "entropy") { x, f in try x["z"]!.entropy(temperature: Float(f.double("constants", "temperature"))) },
        ParityCase(fixture: "log_sigmoid") { x, _ in x["x"]!.logSigmoid() },
        ParityCase(fixture: "exp") { x, _ in x["x"]!.exp() },
        ParityCase(fixture: "square") { x, _ in x["x"]!.squared() },
        ParityCase(fixture: "clamp") { x, f in
            x["x"]!.clamped(to: Float(try f.double("constants", "low"))...Float(try f.double("constants", "high")))
        },
        ParityCase(fixture: "minimum") { x, _ in try Tensor.minimum(x["x"]!, x["y"]!) },
        ParityCase(fixture: "maximum") { x, _ in try Tensor.maximum(x["x"]!, x["y"]!) },
        ParityCase(fixture: "multiply") { x, _ in try x["x"]! * x["y"]! },
        ParityCase(fixture: "subtract") { x, _ in try x["x"]! - x["y"]! },
        ParityCase(fixture: "add") { x, _ in try x["x"]! + x["y"]! },
        ParityCase(fixture: "affine") { x, f in
            x["x"]!.affine(scale: Float(try f.double("constants", "scale")), offset: Float(try f.double("constants", "offset")))
        },
        ParityCase(fixture: "masked_mean") { x, f in try x["x"]!.maskedMean(mask(f, like: x["x"]!)) },
        ParityCase(fixture: "row_masked_mean") { x, f in try x["x"]!.sumAlongLastAxis(mask: mask(f, like: x["x"]!), normalized: true) },
        ParityCase(fixture: "row_masked_sum") { x, f in try x["x"]!.sumAlongLastAxis(mask: mask(f, like: x["x"]!)) },
        ParityCase(fixture: "gather_last") { x, f in try x["h"]!.gathered(at: f.int32s("constants", "positions")) },
        ParityCase(fixture: "slice_time") { x, f in
            try x["h"]!.slice(axis: f.int("constants", "axis"), f.int("constants", "start")..<f.int("constants", "end"))
        },
        ParityCase(fixture: "concatenate") { x, f in try Tensor.concatenate([x["a"]!, x["b"]!], axis: f.int("constants", "axis")) },
    ]

    static func mask(_ fixture: Fixture, like x: Tensor) throws -> Tensor {
        try Tensor(shape: x.shape, values: fixture.doubles("constants", "mask").map(Float.init))
    }

    @Test(arguments: cases)
    func matchesPyTorch(_ parity: ParityCase) throws {
        let fixture = try Fixture(engine: parity.fixture)
        let tape = Tape()
        var inputs: [String: Tensor] = [:]
        for (name, value) in try fixture.tensors("inputs") {
            let tensor = try Tensor(shape: Shape(value.shape), values: value.floats)
            tensor.track(on: tape)
            inputs[name] = tensor
        }
        let output = try parity.apply(inputs, fixture)
        let expected = try fixture.tensor("output")
        #expect(output.shape == Shape(expected.shape))
        expectClose(output.scalars, expected.values, .forward, "\(parity.fixture) output")
        try tape.backward(from: output, gradient: fixture.tensor("upstream").floats)
        for (name, gradient) in try fixture.tensors("gradients") {
            let actual = try #require(inputs[name]?.gradient, "\(parity.fixture): no gradient for \(name)")
            expectClose(actual, gradient.values, .gradient, "\(parity.fixture) gradient of \(name)")
        }
    }
}
