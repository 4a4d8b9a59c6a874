// Central finite differences (Double references) for the tensor ops built directly on the
// element-wise maps, reductions and layout changes, through the tape.
import Foundation
import Testing
import TestSupport
import Tensors

/// Runs `op` on tracked tensors of `shapes` and returns its output and input gradients.
func tensorCheck(
    _ shapes: [Shape], inputs: [[Double]], reference: @escaping ([[Double]]) -> [Double],
    _ op: @escaping ([Tensor]) throws -> Tensor
) -> GradientCheck {
    GradientCheck(
        inputs: inputs, reference: reference,
        fused: { x in (try? op(zip(shapes, x).map { try! Tensor(shape: $0, values: $1) }).scalars) ?? [] },
        fusedBackward: { x, g in
            let tape = Tape()
            let tensors = zip(shapes, x).map { try! Tensor(shape: $0, values: $1) }
            tensors.forEach { $0.track(on: tape) }
            guard let out = try? op(tensors), (try? tape.backward(from: out, gradient: g)) != nil else { return [] }
            return tensors.map { $0.gradient ?? [] }
        })
}

@Suite struct TensorGradientCheckTests {
    var values = TestValues(seed: 77)
    let shape: Shape = [3, 7]

    @Test mutating func unaryOps() {
        let x = values.next(21, scale: 3)
        let cases: [(String, (Double) -> Double, (Tensor) -> Tensor)] = [
            ("exp", { Foundation.exp($0) }, { $0.exp() }),
            ("logSigmoid", { min($0, 0) - log1p(Foundation.exp(-abs($0))) }, { $0.logSigmoid() }),
            ("squared", { $0 * $0 }, { $0.squared() }),
            ("affine", { $0 * 0.4 - 1 }, { $0.affine(scale: 0.4, offset: -1) }),
            ("negation", { -$0 }, { -$0 }),
            ("clamped", { min(max($0, -1), 1.5) }, { $0.clamped(to: -1...1.5) }),
        ]
        for (name, reference, op) in cases {
            tensorCheck([shape], inputs: [x], reference: { $0[0].map(reference) }) { op($0[0]) }.run(name)
        }
    }

    @Test mutating func binaryOps() {
        let a = values.next(21, scale: 2), b = values.next(21, scale: 2)
        let cases: [(String, (Double, Double) -> Double, (Tensor, Tensor) throws -> Tensor)] = [
            ("add", (+), { try $0 + $1 }),
            ("subtract", (-), { try $0 - $1 }),
            ("multiply", (*), { try $0 * $1 }),
            ("minimum", { min($0, $1) }, { try Tensor.minimum($0, $1) }),
            ("maximum", { max($0, $1) }, { try Tensor.maximum($0, $1) }),
        ]
        for (name, reference, op) in cases {
            tensorCheck([shape, shape], inputs: [a, b], reference: { zip($0[0], $0[1]).map(reference) }) { try op($0[0], $0[1]) }.run(name)
        }
    }

    @Test mutating func reductions() {
        let x = values.next(21)
        let mask = (0..<21).map { Float($0 % 3 == 0 ? 0 : 1) }
        tensorCheck([shape], inputs: [x], reference: { [$0[0].reduce(0, +)] }) { $0[0].sum() }.run("sum")
        tensorCheck([shape], inputs: [x], reference: { [$0[0].reduce(0, +) / 21] }) { $0[0].mean() }.run("mean")
        let maskedTotal = Double(mask.reduce(0, +))
        tensorCheck([shape], inputs: [x], reference: { [zip($0[0], mask).map { $0 * Double($1) }.reduce(0, +) / maskedTotal] }) {
            try $0[0].maskedMean(Tensor(shape: [3, 7], values: mask))
        }.run("maskedMean")
        func rowMaskedMeans(_ x: [[Double]]) -> [Double] {
            (0..<3).map { r in
                var total = 0.0, count = 0.0
                for j in 0..<7 {
                    total += x[0][r * 7 + j] * Double(mask[r * 7 + j])
                    count += Double(mask[r * 7 + j])
                }
                return total / count
            }
        }
        tensorCheck([shape], inputs: [x], reference: rowMaskedMeans) {
            try $0[0].sumAlongLastAxis(mask: Tensor(shape: [3, 7], values: mask), normalized: true)
        }.run("per-row masked mean")
    }

    @Test mutating func layoutAndGathering() {
        let x = values.next(2 * 4 * 3)
        let shape: Shape = [2, 4, 3]
        func gathered(_ x: [[Double]]) -> [Double] {
            Array(x[0][((0 * 4 + 2) * 3)..<((0 * 4 + 2) * 3 + 3)]) + Array(x[0][((1 * 4 + 3) * 3)..<((1 * 4 + 3) * 3 + 3)])
        }
        tensorCheck([shape], inputs: [x], reference: gathered) { try $0[0].gathered(at: [2, 3]) }.run("gathered")
        func sliced(_ x: [[Double]]) -> [Double] {
            Array(x[0][3..<9]) + Array(x[0][15..<21])
        }
        tensorCheck([shape], inputs: [x], reference: sliced) { try $0[0].slice(axis: 1, 1..<3) }.run("slice")
        let y = values.next(2 * 1 * 3)
        func concatenated(_ x: [[Double]]) -> [Double] {
            var out: [Double] = []
            for b in 0..<2 {
                out.append(contentsOf: x[0][(b * 12)..<(b * 12 + 12)])
                out.append(contentsOf: x[1][(b * 3)..<(b * 3 + 3)])
            }
            return out
        }
        tensorCheck([shape, [2, 1, 3]], inputs: [x, y], reference: concatenated) { try Tensor.concatenate([$0[0], $0[1]], axis: 1) }.run("concatenate")
        tensorCheck([shape], inputs: [x], reference: { $0[0].map { $0 * $0 } }) { try $0[0].reshaped([6, 4]).squared() }.run("reshaped")
        // Rows 3, none, 0 and 5 of the eight; the second run also reads every row directly, so
        // the picked rows' gradients add to what is there (and the unpicked ones keep theirs).
        let sources: [Int?] = [3, nil, 0, 5]
        func picked(_ x: [[Double]]) -> [Double] {
            sources.flatMap { $0.map { Array(x[0][($0 * 3)..<($0 * 3 + 3)]) } ?? [0, 0, 0] }
        }
        tensorCheck([shape], inputs: [x], reference: picked) { try $0[0].gatheringRows(sources, into: [2, 2, 3]) }.run("gatheringRows")
        tensorCheck([shape], inputs: [x], reference: { picked($0) + $0[0].map { $0 * $0 } }) {
            try Tensor.concatenate([$0[0].gatheringRows(sources, into: [4, 3]), $0[0].reshaped([8, 3]).squared()], axis: 0)
        }.run("gatheringRows, added to")
    }

    @Test func gatheringRowsRefusesARowPickedTwiceOrOutside() throws {
        let x = try Tensor(shape: [4, 2], values: Array(repeating: 1, count: 8))
        #expect(throws: TensorError.self) { try x.gatheringRows([1, 1], into: [2, 2]) }
        #expect(throws: TensorError.self) { try x.gatheringRows([4], into: [1, 2]) }
        #expect(throws: TensorError.self) { try x.gatheringRows([0, 1], into: [1, 4]) }
    }

    @Test mutating func crossEntropyAndMatmul() {
        let logits = values.next(4 * 5, scale: 3)
        let targets: [Int32] = [1, -1, 4, 0]
        func meanNegativeLogLikelihood(_ x: [[Double]]) -> [Double] {
            let rows = (0..<4).filter { targets[$0] >= 0 }
            var total = 0.0
            for r in rows {
                let row = Array(x[0][(r * 5)..<(r * 5 + 5)])
                total += log(row.map { Foundation.exp($0) }.reduce(0, +)) - row[Int(targets[r])]
            }
            return [total / Double(rows.count)]
        }
        tensorCheck([[4, 5]], inputs: [logits], reference: meanNegativeLogLikelihood) { try $0[0].crossEntropy(targets: targets) }.run("crossEntropy")
        let a = values.next(2 * 3 * 4), b = values.next(2 * 5 * 4)
        func products(_ x: [[Double]]) -> [Double] {
            var out: [Double] = []
            for n in 0..<2 {
                for i in 0..<3 {
                    for j in 0..<5 {
                        var dot = 0.0
                        for k in 0..<4 { dot += x[0][n * 12 + i * 4 + k] * x[1][n * 20 + j * 4 + k] }
                        out.append(dot)
                    }
                }
            }
            return out
        }
        tensorCheck([[2, 3, 4], [2, 5, 4]], inputs: [a, b], reference: products) { try $0[0].matmul($0[1], transposeOther: true) }.run("matmul")
    }
}
