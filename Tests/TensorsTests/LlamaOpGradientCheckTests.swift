// Llama's tape ops against Double loops written here, independently of the kernels' references,
// by central finite differences: RMSNorm, rotate-half RoPE, SwiGLU and grouped-query attention,
// including a tensor feeding two inputs, gradients that must add to earlier ones, untracked
// inputs, and errors that name the shapes.
import Foundation
import Testing
import TestSupport
import Tensors

/// Causal attention in Double: query head h of row b at t reads key/value head h / group at
/// positions first[b]...t; queries before first[b] output 0.
func groupedAttention(
    _ q: [Double], _ k: [Double], _ v: [Double], batch B: Int, time T: Int, heads: Int, keyValueHeads: Int, headSize D: Int, first: [Int32]?
) -> [Double] {
    let (C, KV, group) = (heads * D, keyValueHeads * D, heads / keyValueHeads)
    var out = [Double](repeating: 0, count: B * T * C)
    for b in 0..<B {
        let start = Int(first?[b] ?? 0)
        for h in 0..<heads {
            let shared = h / group * D
            for t in 0..<T where t >= start {
                var scores: [Double] = []
                for j in start...t {
                    var dot = 0.0
                    for d in 0..<D { dot += q[(b * T + t) * C + h * D + d] * k[(b * T + j) * KV + shared + d] }
                    scores.append(dot / Double(D).squareRoot())
                }
                let maximum = scores.max()!
                let weights = scores.map { exp($0 - maximum) }
                let total = weights.reduce(0, +)
                for d in 0..<D {
                    var sum = 0.0
                    for j in start...t { sum += weights[j - start] / total * v[(b * T + j) * KV + shared + d] }
                    out[(b * T + t) * C + h * D + d] = sum
                }
            }
        }
    }
    return out
}

@Suite struct LlamaOpGradientCheckTests {
    var values = TestValues(seed: 91)

    @Test mutating func rmsNorm() {
        let (rows, C, epsilon) = (3, 7, 1e-5)
        func reference(_ x: [[Double]]) -> [Double] {
            (0..<(rows * C)).map { i in
                let row = x[0][(i / C * C)..<((i / C + 1) * C)]
                return x[0][i] / (row.map { $0 * $0 }.reduce(0, +) / Double(C) + epsilon).squareRoot() * x[1][i % C]
            }
        }
        tensorCheck([[rows, C], [C]], inputs: [values.next(rows * C, scale: 2), values.next(C).map { $0 + 1 }], reference: reference) {
            try $0[0].rmsNorm(weight: $0[1], epsilon: Float(epsilon))
        }.run("rmsNorm")
    }

    /// Llama's token embedding (no position table): a token repeated in the batch must add its
    /// rows' gradients into one table row, and rows no token reads get none.
    @Test mutating func tokenEmbedding() throws {
        let (V, C) = (5, 4)
        let tokens = try TokenGrid(batch: 2, time: 3, ids: [3, 0, 3, 1, 3, 0])
        func reference(_ x: [[Double]]) -> [Double] {
            tokens.ids.flatMap { token in x[0][Int(token) * C..<(Int(token) + 1) * C] }
        }
        tensorCheck([[V, C]], inputs: [values.next(V * C)], reference: reference) {
            try Tensor.embedding(tokens: tokens, table: $0[0])
        }.run("tokenEmbedding")
    }

    @Test mutating func rotaryEmbedding() throws {
        let (B, T, heads, D) = (2, 3, 2, 6)
        let positions = try TokenGrid(batch: B, time: T, ids: [0, 1, 2, 0, 0, 1])
        let theta = Tensor.rotaryFrequencies(headSize: D, base: 10_000)
        #expect(theta.count == D / 2 && theta[0] == 1 && abs(Double(theta[1]) - pow(10_000, -2.0 / 6)) < 1e-7)
        func reference(_ x: [[Double]]) -> [Double] {
            var out = x[0]
            for row in 0..<(B * T) {
                for h in 0..<heads {
                    for i in 0..<(D / 2) {
                        let angle = Double(positions.ids[row]) * Double(theta[i])
                        let at = row * heads * D + h * D + i
                        out[at] = x[0][at] * cos(angle) - x[0][at + D / 2] * sin(angle)
                        out[at + D / 2] = x[0][at + D / 2] * cos(angle) + x[0][at] * sin(angle)
                    }
                }
            }
            return out
        }
        tensorCheck([[B, T, heads * D]], inputs: [values.next(B * T * heads * D)], reference: reference) {
            try $0[0].rotaryEmbedding(heads: heads, positions: positions, frequencies: theta)
        }.run("rotaryEmbedding")
    }

    @Test mutating func swiGLU() {
        func silu(_ g: Double) -> Double { g / (1 + exp(-g)) }
        let gate = values.next(21, scale: 5), up = values.next(21)
        tensorCheck([[3, 7], [3, 7]], inputs: [gate, up], reference: { zip($0[0], $0[1]).map { silu($0) * $1 } }) {
            try Tensor.swiGLU(gate: $0[0], up: $0[1])
        }.run("swiGLU")
        // One tensor as both inputs: both contributions reach it.
        tensorCheck([[3, 7]], inputs: [gate], reference: { $0[0].map { silu($0) * $0 } }) {
            try Tensor.swiGLU(gate: $0[0], up: $0[0])
        }.run("swiGLU of x with itself")
    }

    @Test(arguments: [nil, [0, 2] as [Int32]])
    func groupedQueryAttention(firstPosition: [Int32]?) {
        let (B, T, heads, kvHeads, D) = (2, 5, 4, 2, 3)
        var values = TestValues(seed: firstPosition == nil ? 92 : 93)
        tensorCheck(
            [[B, T, heads * D], [B, T, kvHeads * D], [B, T, kvHeads * D]],
            inputs: [values.next(B * T * heads * D, scale: 1.5), values.next(B * T * kvHeads * D, scale: 1.5), values.next(B * T * kvHeads * D)],
            reference: { groupedAttention($0[0], $0[1], $0[2], batch: B, time: T, heads: heads, keyValueHeads: kvHeads, headSize: D, first: firstPosition) }
        ) {
            try Tensor.groupedQueryAttention(query: $0[0], key: $0[1], value: $0[2], heads: heads, keyValueHeads: kvHeads, firstPosition: firstPosition)
        }.run("groupedQueryAttention\(firstPosition == nil ? "" : " padded")")
    }

    /// Keys that already hold a gradient when attention's backward runs (their other use ran
    /// first) while queries and values do not; and one tensor as both keys and values.
    @Test mutating func groupedQueryAttentionAddsToEarlierGradients() {
        let (B, T, heads, kvHeads, D) = (1, 4, 2, 1, 4)
        let (C, KV) = (heads * D, kvHeads * D)
        let q = values.next(B * T * C, scale: 1.5), k = values.next(B * T * KV, scale: 1.5), v = values.next(B * T * KV)
        func attention(_ x: [[Double]]) -> [Double] { groupedAttention(x[0], x[1], x[2], batch: B, time: T, heads: heads, keyValueHeads: kvHeads, headSize: D, first: nil) }
        func alongsideKeysSquared(_ x: [[Double]]) -> [Double] {
            let out = attention(x)
            var joined: [Double] = []
            for t in 0..<T {
                joined += out[(t * C)..<((t + 1) * C)]
                joined += x[1][(t * KV)..<((t + 1) * KV)].map { $0 * $0 }
            }
            return joined
        }
        tensorCheck([[B, T, C], [B, T, KV], [B, T, KV]], inputs: [q, k, v], reference: alongsideKeysSquared) { x in
            let out = try Tensor.groupedQueryAttention(query: x[0], key: x[1], value: x[2], heads: heads, keyValueHeads: kvHeads)
            return try Tensor.concatenate([out, x[1].squared()], axis: 2)
        }.run("groupedQueryAttention after another use of the keys")
        tensorCheck([[B, T, C], [B, T, KV]], inputs: [q, k], reference: { attention([$0[0], $0[1], $0[1]]) }) {
            try Tensor.groupedQueryAttention(query: $0[0], key: $0[1], value: $0[1], heads: heads, keyValueHeads: kvHeads)
        }.run("groupedQueryAttention with keys as values")
    }

    /// Untracked keys (a frozen projection) get no gradient and change none of the others'.
    @Test mutating func groupedQueryAttentionWithUntrackedKeys() throws {
        let (B, T, heads, kvHeads, D) = (2, 3, 4, 2, 2)
        let q = values.next(B * T * heads * D).map(Float.init), k = values.next(B * T * kvHeads * D).map(Float.init)
        let v = values.next(B * T * kvHeads * D).map(Float.init), g = values.next(B * T * heads * D).map(Float.init)
        func gradients(trackingKeys: Bool) throws -> [[Float]?] {
            let tape = Tape()
            let tensors = try [(q, heads), (k, kvHeads), (v, kvHeads)].map { try Tensor(shape: [B, T, $0.1 * D], values: $0.0) }
            for (i, tensor) in tensors.enumerated() where i != 1 || trackingKeys { tensor.track(on: tape) }
            let out = try Tensor.groupedQueryAttention(query: tensors[0], key: tensors[1], value: tensors[2], heads: heads, keyValueHeads: kvHeads)
            try tape.backward(from: out, gradient: g)
            return tensors.map(\.gradient)
        }
        let all = try gradients(trackingKeys: true), some = try gradients(trackingKeys: false)
        #expect(some[1] == nil)
        #expect(some[0] == all[0] && some[2] == all[2])
    }

    @Test func errorsNameTheShapes() throws {
        let x = Tensor.zeros([2, 5, 12])
        let cases: [(String, [String], () throws -> Tensor)] = [
            ("rmsNorm", ["[2, 5, 12]", "[11]"], { try x.rmsNorm(weight: .zeros([11]), epsilon: 1e-5) }),
            ("rotaryEmbedding odd head", ["[2, 5, 12]"], { try x.rotaryEmbedding(heads: 4, positions: .positions(batch: 2, time: 5), frequencies: [1]) }),
            ("rotaryEmbedding positions", ["[2, 5, 12]", "[2, 4]"], { try x.rotaryEmbedding(heads: 2, positions: .positions(batch: 2, time: 4), frequencies: [1, 1, 1]) }),
            ("rotaryEmbedding frequencies", ["[3]"], { try x.rotaryEmbedding(heads: 2, positions: .positions(batch: 2, time: 5), frequencies: [1, 1]) }),
            ("swiGLU", ["[2, 5, 12]", "[2, 5, 11]"], { try Tensor.swiGLU(gate: x, up: .zeros([2, 5, 11])) }),
            ("attention groups", ["[2, 5, 12]"], { try Tensor.groupedQueryAttention(query: x, key: x, value: x, heads: 4, keyValueHeads: 3) }),
            ("attention keys", ["[2, 5, 12]", "[2, 5, 5]"], { try Tensor.groupedQueryAttention(query: x, key: .zeros([2, 5, 5]), value: .zeros([2, 5, 6]), heads: 4, keyValueHeads: 2) }),
            ("attention values", ["[2, 5, 12]", "[2, 4, 6]"], { try Tensor.groupedQueryAttention(query: x, key: .zeros([2, 5, 6]), value: .zeros([2, 4, 6]), heads: 4, keyValueHeads: 2) }),
            ("attention padding", ["firstPosition", "6"], { try Tensor.groupedQueryAttention(query: x, key: .zeros([2, 5, 6]), value: .zeros([2, 5, 6]), heads: 4, keyValueHeads: 2, firstPosition: [0, 6]) }),
        ]
        for (name, named, op) in cases {
            let error = #expect(throws: TensorError.self, "\(name)") { try op() }
            let description = error.map { "\($0)" } ?? ""
            #expect(named.allSatisfy(description.contains), "\(name): \(description)")
        }
    }
}
