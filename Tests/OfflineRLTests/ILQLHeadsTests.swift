// The heads: trlX's MLP shapes and torch's initialisation bounds, the ReLU and the tape-composed
// backward against finite differences of a naive Double MLP, the detached target heads, the
// Polyak update, and the safetensors round trip under trlX's names.
import Foundation
import OfflineRL
import Tensors
import Testing
import TestSupport

@Suite struct ILQLHeadsTests {
    @Test func headsHaveTrlXShapesAndStartWithTargetsEqualToTheirQHeads() throws {
        let heads = try ILQLHeads(hiddenSize: 6, vocabularySize: 11, qCount: 2, seed: 3)
        let shapes = Dictionary(uniqueKeysWithValues: heads.parameters.layout.entries.map { ($0.name, $0.shape.dimensions) })
        #expect(shapes["q_heads.1.0.weight"] == [12, 6])
        #expect(shapes["q_heads.1.2.weight"] == [11, 12])
        #expect(shapes["v_head.2.weight"] == [1, 12])
        #expect(heads.targetParameters.layout.entries.map(\.name).allSatisfy { $0.hasPrefix("target_q_heads.") })
        let first = Array(heads.parameters.allValues[heads.parameters.layout.entry(named: "q_heads.0.0.weight")!.range])
        #expect(first.allSatisfy { abs($0) <= 1 / Float(6).squareRoot() } && Set(first).count == first.count)
        let second = Array(heads.parameters.allValues[heads.parameters.layout.entry(named: "q_heads.0.2.weight")!.range])
        #expect(second.allSatisfy { abs($0) <= 1 / Float(12).squareRoot() })
        let narrow = try ILQLHeads(hiddenSize: 6, vocabularySize: 11, width: 5, qCount: 1)
        #expect(narrow.parameters.layout.entry(named: "q_heads.0.0.weight")?.shape == [5, 6])
        #expect(narrow.parameters.layout.entry(named: "q_heads.1.0.weight") == nil)
        let hidden = try Tensor(shape: [2, 6], values: (0..<12).map { Float($0) / 7 - 0.8 })
        for (q, target) in zip(try heads.qValues(hidden, tape: nil), try heads.targetQValues(hidden)) {
            #expect(q.scalars == target.scalars)
        }
    }

    @Test func reluAndTheHeadBackwardMatchFiniteDifferences() throws {
        let (C, W, V, rows) = (3, 4, 5, 2)
        var values = TestValues(seed: 21)
        let inputs = [values.next(rows * C), values.next(W * C), values.next(W), values.next(V * W), values.next(V)]
        func reference(_ x: [[Double]]) -> [Double] {
            (0..<rows).flatMap { r -> [Double] in
                let inner = (0..<W).map { w in max(0, x[2][w] + (0..<C).reduce(0) { $0 + x[1][w * C + $1] * x[0][r * C + $1] }) }
                return (0..<V).map { v in x[4][v] + (0..<W).reduce(0) { $0 + x[3][v * W + $1] * inner[$1] } }
            }
        }
        func run(_ x: [[Float]], upstream: [Float]?) throws -> (out: [Float], gradients: [[Float]]) {
            let heads = try ILQLHeads(hiddenSize: C, vocabularySize: V, width: W, qCount: 1)
            for (name, value) in zip(["q_heads.0.0.weight", "q_heads.0.0.bias", "q_heads.0.2.weight", "q_heads.0.2.bias"], x.dropFirst()) {
                heads.parameters.withValues(of: name) { _ = $0.update(fromContentsOf: value) }
            }
            let tape = Tape()
            let hidden = try Tensor(shape: [rows, C], values: x[0])
            hidden.track(on: tape)
            let out = try heads.qValues(hidden, tape: tape)[0]
            guard let upstream else { return (out.scalars, []) }
            try tape.backward(from: out, gradient: upstream)
            let g = Array(heads.parameters.allGradients!)
            let layout = heads.parameters.layout
            return (out.scalars, [hidden.gradient!] + ["q_heads.0.0.weight", "q_heads.0.0.bias", "q_heads.0.2.weight", "q_heads.0.2.bias"].map {
                Array(g[layout.entry(named: $0)!.range])
            })
        }
        GradientCheck(
            inputs: inputs, reference: reference,
            fused: { x in (try? run(x, upstream: nil).out) ?? [] },
            fusedBackward: { x, upstream in (try? run(x, upstream: upstream).gradients) ?? [] }
        ).run("Q-head MLP")

        GradientCheck(
            inputs: [values.next(16)], reference: { x in x[0].map { max(0, $0) } },
            fused: { x in (try? Tensor(shape: [16], values: x[0]).rectified().scalars) ?? [] },
            fusedBackward: { x, upstream in
                let tape = Tape()
                guard let input = try? Tensor(shape: [16], values: x[0]) else { return [] }
                input.track(on: tape)
                let out = input.rectified()
                try? tape.backward(from: out, gradient: upstream)
                return [input.gradient ?? []]
            }
        ).run("ReLU")
    }

    @Test func targetHeadsTakeNoGradientAndFollowThePolyakRule() throws {
        let heads = try ILQLHeads(hiddenSize: 4, vocabularySize: 6, qCount: 2, seed: 1)
        let tape = Tape()
        let hidden = try Tensor(shape: [3, 4], values: (0..<12).map { Float($0) / 5 - 1 })
        hidden.track(on: tape)
        let target = try heads.targetQValues(hidden)[0]
        #expect(!target.requiresGradient)
        let before = Array(heads.targetParameters.allValues)
        // Move the Q-heads, then sync: target ← α·Q + (1 − α)·target.
        for i in heads.parameters.allValues.indices { heads.parameters.allValues[i] += 0.5 }
        let q = Array(heads.parameters.allValues)
        heads.syncTargets(alpha: 0.25)
        let after = Array(heads.targetParameters.allValues)
        let layout = heads.parameters.layout
        for entry in heads.targetParameters.layout.entries {
            let source = layout.entry(named: String(entry.name.dropFirst("target_".count)))!
            for (t, s) in zip(entry.range, source.range) {
                #expect(after[t] == 0.25 * q[s] + 0.75 * before[t])
            }
        }
    }

    @Test func headsRoundTripThroughSafetensorsUnderTrlXNames() throws {
        let heads = try ILQLHeads(hiddenSize: 4, vocabularySize: 6, qCount: 2, seed: 5)
        heads.syncTargets(alpha: 0.5)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ilql-heads-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try heads.save(to: url)
        let loaded = try ILQLHeads(hiddenSize: 4, vocabularySize: 6, qCount: 2, seed: 99)
        try loaded.load(from: url)
        #expect(Array(loaded.parameters.allValues) == Array(heads.parameters.allValues))
        #expect(Array(loaded.targetParameters.allValues) == Array(heads.targetParameters.allValues))
        let wrong = try ILQLHeads(hiddenSize: 4, vocabularySize: 7, qCount: 2)
        #expect(throws: (any Error).self) { try wrong.load(from: url) }
    }
}
