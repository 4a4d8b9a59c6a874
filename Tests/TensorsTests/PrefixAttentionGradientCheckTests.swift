// Attention over a prefix shared by every row, against the Double attention of each row written
// out whole (padding, then the prefix, then the row's own tokens), by central finite differences:
// the prefix's key and value gradients are the sum of every row's.
import Testing
import TestSupport
import Tensors

@Suite struct PrefixAttentionGradientCheckTests {
    /// Row b laid out whole is [first[b] padding, P shared, S − first[b] own]; its own query t
    /// sits at P + t there. Queries of the row's padding output 0.
    static func reference(
        _ x: [[Double]], batch B: Int, own S: Int, shared P: Int, heads: Int, keyValueHeads: Int, headSize D: Int, first: [Int32]?
    ) -> [Double] {
        let (C, KV, T) = (heads * D, keyValueHeads * D, P + S)
        var q: [Double] = [], k: [Double] = [], v: [Double] = []
        for b in 0..<B {
            let pad = Int(first?[b] ?? 0)
            q += Array(repeating: 0, count: P * C) + x[0][(b * S * C)..<((b + 1) * S * C)]
            for (whole, own, shared) in [(0, 1, 3), (1, 2, 4)] {
                let row = Array(repeating: 0, count: pad * KV) + x[shared] + x[own][((b * S + pad) * KV)..<((b + 1) * S * KV)]
                if whole == 0 { k += row } else { v += row }
            }
        }
        let out = groupedAttention(q, k, v, batch: B, time: T, heads: heads, keyValueHeads: keyValueHeads, headSize: D, first: first)
        return (0..<B).flatMap { b in
            (0..<S).flatMap { t -> [Double] in
                t < Int(first?[b] ?? 0) ? Array(repeating: 0, count: C) : Array(out[((b * T + P + t) * C)..<((b * T + P + t + 1) * C)])
            }
        }
    }

    @Test(arguments: [nil, [0, 2, 3] as [Int32]])
    func sharedPrefixAttention(firstPosition: [Int32]?) {
        let (B, S, P, heads, kvHeads, D) = (3, 4, 3, 4, 2, 3)
        let (C, KV) = (heads * D, kvHeads * D)
        var values = TestValues(seed: firstPosition == nil ? 94 : 95)
        tensorCheck(
            [[B, S, C], [B, S, KV], [B, S, KV], [1, P, KV], [1, P, KV]],
            inputs: [
                values.next(B * S * C, scale: 1.5), values.next(B * S * KV, scale: 1.5), values.next(B * S * KV),
                values.next(P * KV, scale: 1.5), values.next(P * KV),
            ],
            reference: { Self.reference($0, batch: B, own: S, shared: P, heads: heads, keyValueHeads: kvHeads, headSize: D, first: firstPosition) }
        ) {
            try Tensor.groupedQueryAttention(
                query: $0[0], key: $0[1], value: $0[2], sharedKey: $0[3], sharedValue: $0[4], heads: heads, keyValueHeads: kvHeads,
                firstPosition: firstPosition)
        }.run("groupedQueryAttention after a shared prefix\(firstPosition == nil ? "" : ", padded")")
    }

    /// The shared keys and values hold a gradient from another use before attention's backward
    /// adds the rows' to it.
    @Test func sharedKeysAddToEarlierGradients() {
        let (B, S, P, heads, kvHeads, D) = (2, 3, 2, 2, 1, 4)
        let (C, KV) = (heads * D, kvHeads * D)
        var values = TestValues(seed: 96)
        let inputs = [values.next(B * S * C), values.next(B * S * KV), values.next(B * S * KV), values.next(P * KV), values.next(P * KV)]
        tensorCheck([[B, S, C], [B, S, KV], [B, S, KV], [1, P, KV], [1, P, KV]], inputs: inputs, reference: { x in
            Self.reference(x, batch: B, own: S, shared: P, heads: heads, keyValueHeads: kvHeads, headSize: D, first: nil)
                + x[3].map { $0 * $0 } + x[4].map { 2 * $0 }
        }) { x in
            let out = try Tensor.groupedQueryAttention(
                query: x[0], key: x[1], value: x[2], sharedKey: x[3], sharedValue: x[4], heads: heads, keyValueHeads: kvHeads)
            return try Tensor.concatenate([out.reshaped([B * S * C]), x[3].squared().reshaped([P * KV]), (x[4] + x[4]).reshaped([P * KV])], axis: 0)
        }.run("groupedQueryAttention after a shared prefix, its keys used before")
    }

    @Test func errorsNameTheShapes() {
        let query = Tensor.zeros([2, 3, 8]), own = Tensor.zeros([2, 3, 4])
        let cases: [(String, [String], () throws -> Tensor)] = [
            ("shared batch", ["[2, 1, 4]"], {
                try Tensor.groupedQueryAttention(query: query, key: own, value: own, sharedKey: .zeros([2, 1, 4]), sharedValue: .zeros([2, 1, 4]), heads: 2, keyValueHeads: 1)
            }),
            ("shared width", ["[1, 1, 5]"], {
                try Tensor.groupedQueryAttention(query: query, key: own, value: own, sharedKey: .zeros([1, 1, 5]), sharedValue: .zeros([1, 1, 5]), heads: 2, keyValueHeads: 1)
            }),
            ("padding", ["firstPosition", "4"], {
                try Tensor.groupedQueryAttention(
                    query: query, key: own, value: own, sharedKey: .zeros([1, 1, 4]), sharedValue: .zeros([1, 1, 4]), heads: 2, keyValueHeads: 1,
                    firstPosition: [0, 4])
            }),
        ]
        for (name, named, op) in cases {
            let error = #expect(throws: TensorError.self, "\(name)") { try op() }
            let description = error.map { "\($0)" } ?? ""
            #expect(named.allSatisfy(description.contains), "\(name): \(description)")
        }
    }
}
