// The fused low-rank-adapter layer y = x·Wᵀ + b + s·(a·Aᵀ)·Bᵀ against a Double loop by central
// finite differences, with the adapter reading x itself and reading a separate input (x after
// dropout), and in GPT-2's [in, out] weight orientation.
import Testing
import TestSupport
import Tensors

@Suite struct AdaptedLinearGradientCheckTests {
    var values = TestValues(seed: 17)
    static let rows = 3, inputs = 5, outputs = 4, rank = 2, scale = 1.5

    /// y[i, o] = Σ_j x[i, j]·W(o, j) + b[o] + s·Σ_k (Σ_j a[i, j]·A[k, j])·B[o, k].
    static func reference(x: [Double], w: [Double], b: [Double], down: [Double], up: [Double], a: [Double], inputsByOutputs: Bool) -> [Double] {
        (0..<(rows * outputs)).map { index in
            let (i, o) = (index / outputs, index % outputs)
            var y = b[o]
            for j in 0..<inputs { y += x[i * inputs + j] * (inputsByOutputs ? w[j * outputs + o] : w[o * inputs + j]) }
            for k in 0..<rank {
                var reduced = 0.0
                for j in 0..<inputs { reduced += a[i * inputs + j] * down[k * inputs + j] }
                y += scale * reduced * up[o * rank + k]
            }
            return y
        }
    }

    @Test(arguments: [false, true]) mutating func adapterReadingTheLayersInput(inputsByOutputs: Bool) {
        let (rows, inputs, outputs, rank) = (Self.rows, Self.inputs, Self.outputs, Self.rank)
        let weightShape: [Int] = inputsByOutputs ? [inputs, outputs] : [outputs, inputs]
        let shapes: [Shape] = [[rows, inputs], Shape(weightShape), [outputs], [rank, inputs], [outputs, rank]]
        let data = shapes.map { values.next($0.elementCount) }
        tensorCheck(shapes, inputs: data, reference: { p in
            Self.reference(x: p[0], w: p[1], b: p[2], down: p[3], up: p[4], a: p[0], inputsByOutputs: inputsByOutputs)
        }) {
            try $0[0].adaptedLinear($0[1], bias: $0[2], orientation: inputsByOutputs ? .inputsByOutputs : .outputsByInputs,
                                    down: $0[3], up: $0[4], scale: Float(Self.scale))
        }.run("adaptedLinear")
    }

    @Test mutating func adapterReadingASeparateInput() {
        let (rows, inputs, outputs, rank) = (Self.rows, Self.inputs, Self.outputs, Self.rank)
        let shapes: [Shape] = [[rows, inputs], [outputs, inputs], [outputs], [rank, inputs], [outputs, rank], [rows, inputs]]
        let data = shapes.map { values.next($0.elementCount) }
        tensorCheck(shapes, inputs: data, reference: { p in
            Self.reference(x: p[0], w: p[1], b: p[2], down: p[3], up: p[4], a: p[5], inputsByOutputs: false)
        }) {
            try $0[0].adaptedLinear($0[1], bias: $0[2], orientation: .outputsByInputs, down: $0[3], up: $0[4], scale: Float(Self.scale), adapterInput: $0[5])
        }.run("adaptedLinear with a separate adapter input")
    }
}
