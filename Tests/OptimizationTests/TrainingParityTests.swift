// Ten AdamW steps (warmup + cosine schedule, global-norm clipping at 1) of a small MLP and of a
// one-block GPT-2-style attention stack, from PyTorch's initial weights and data: the losses,
// gradient norms and final weights must match PyTorch's run (scripts/make_engine_fixtures.py).
import Testing
import TestSupport
import Optimization
import Tensors

@Suite struct TrainingParityTests {
    let schedule = LearningRateSchedule(peak: 1e-2, warmupSteps: 3, totalSteps: 10, minimum: 1e-3)

    func store(from fixture: Fixture) throws -> ParameterStore {
        let initial = try fixture.tensors("initial")
        var layout = ParameterLayout()
        for name in initial.keys.sorted() { layout.append(name, Shape(initial[name]!.shape)) }
        let store = ParameterStore(layout: layout)
        for (name, tensor) in initial {
            store.withValues(of: name) { buffer in
                for i in buffer.indices { buffer[i] = Float(tensor.values[i]) }
            }
        }
        return store
    }

    /// Runs the 10 steps and compares everything the fixture recorded. `noiseDriven` names
    /// parameter ranges whose exact gradient is zero, so both runs move them by rounding noise
    /// that AdamW's normalisation amplifies; their final values are not comparable.
    func train(_ fixtureName: String, noiseDriven: [String: Range<Int>] = [:], loss: (ParameterStore, Tape) throws -> Tensor) throws {
        let fixture = try Fixture(engine: fixtureName)
        let parameters = try store(from: fixture)
        let optimizer = try AdamW(parameters: parameters, configuration: AdamWConfiguration(learningRate: 1e-2, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1))
        var losses: [Float] = [], norms: [Float] = []
        for step in 0..<10 {
            parameters.zeroGradients()
            let tape = Tape()
            let value = try loss(parameters, tape)
            try tape.backward(from: value)
            losses.append(value.item)
            norms.append(GradientClipping.clip(parameters, maxNorm: 1))
            optimizer.step(learningRate: schedule.rate(at: step))
        }
        expectClose(losses, try fixture.doubles("losses"), Tolerance(relative: 1e-4, absolute: 1e-6), "\(fixtureName) losses")
        expectClose(norms, try fixture.doubles("gradientNorms"), Tolerance(relative: 1e-4, absolute: 1e-6), "\(fixtureName) gradient norms")
        for (name, expected) in try fixture.tensors("final") {
            var actual: [Double] = parameters.withValues(of: name) { $0.map { Double($0) } }
            var reference = expected.values
            if let skipped = noiseDriven[name] {
                actual.removeSubrange(skipped)
                reference.removeSubrange(skipped)
            }
            expectClose(actual, reference, Tolerance(relative: 1e-3, absolute: 1e-5), "\(fixtureName) final \(name)")
        }
    }

    @Test func mlpMatchesPyTorch() throws {
        let fixture = try Fixture(engine: "train_mlp")
        let inputs = try fixture.tensor("data", "x")
        let x = try Tensor(shape: Shape(inputs.shape), values: inputs.floats)
        let targets = try fixture.int32s("data", "targets")
        try train("train_mlp") { p, tape in
            let hidden = try x.linear(p.tensor("fc1.weight", on: tape), bias: p.tensor("fc1.bias", on: tape), orientation: .outputsByInputs)
            let activated = try hidden.layerNorm(weight: p.tensor("ln.weight", on: tape), bias: p.tensor("ln.bias", on: tape)).gelu()
            let logits = try activated.linear(p.tensor("fc2.weight", on: tape), bias: p.tensor("fc2.bias", on: tape), orientation: .outputsByInputs)
            return try logits.crossEntropy(targets: targets)
        }
    }

    @Test func attentionBlockMatchesPyTorch() throws {
        let fixture = try Fixture(engine: "train_attention_block")
        let (B, T, heads) = (try fixture.int("data", "batch"), try fixture.int("data", "time"), try fixture.int("data", "heads"))
        let tokens = try TokenGrid(batch: B, time: T, ids: fixture.int32s("data", "tokens"))
        let targets = try fixture.int32s("data", "targets")
        // A key bias adds q·b to every score of a query: softmax ignores it, so its gradient is 0.
        let C = try fixture.tensor("initial", "wpe.weight").shape[1]
        try train("train_attention_block", noiseDriven: ["attn.c_attn.bias": C..<(2 * C)]) { p, tape in
            func w(_ name: String) -> Tensor { p.tensor(name, on: tape) }
            var h = try Tensor.embedding(tokens: tokens, positions: .positions(batch: B, time: T), tokenTable: w("wte.weight"), positionTable: w("wpe.weight"))
            let qkv = try h.layerNorm(weight: w("ln_1.weight"), bias: w("ln_1.bias")).linear(w("attn.c_attn.weight"), bias: w("attn.c_attn.bias"))
            h = try h + qkv.causalSelfAttention(heads: heads).linear(w("attn.c_proj.weight"), bias: w("attn.c_proj.bias"))
            let mlp = try h.layerNorm(weight: w("ln_2.weight"), bias: w("ln_2.bias")).linear(w("mlp.c_fc.weight"), bias: w("mlp.c_fc.bias")).gelu()
            h = try h + mlp.linear(w("mlp.c_proj.weight"), bias: w("mlp.c_proj.bias"))
            let logits = try h.layerNorm(weight: w("ln_f.weight"), bias: w("ln_f.bias")).linear(w("wte.weight"), orientation: .outputsByInputs)
            return try logits.crossEntropy(targets: targets)
        }
    }
}
