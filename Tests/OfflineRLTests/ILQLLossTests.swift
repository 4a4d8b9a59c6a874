// The ILQL loss against scripts/make_ilql_fixtures.py (trlX's ILQLConfig.loss re-derived in
// float64): every term, trlX's statistics and the gradients with respect to the heads' outputs,
// and the fused backward against central differences of the loss itself.
import OfflineRL
import Tensors
import Testing
import TestSupport

@Suite struct ILQLLossTests {
    let fixture: Fixture
    /// The loss sums in Double; gradients are written as Float (relative 6e-8).
    let tight = Tolerance(relative: 1e-9, absolute: 1e-6)

    init() throws {
        fixture = try Fixture("Tests/Fixtures/ilql/ilql_loss.json")
    }

    struct Case {
        let loss: ILQLLoss
        let logits: Tensor, qs: [Tensor], targetQs: [Tensor], vs: Tensor
        let targets: ILQLTargets
    }

    func load(_ name: String) throws -> Case {
        let f = fixture
        let constant = { (t: FixtureTensor) in try Tensor(shape: Shape(t.shape), values: t.floats) }
        let settings = { (key: String) in try f.double(name, "settings", key) }
        let loss = ILQLLoss(
            tau: try settings("tau"), gamma: try settings("gamma"), cqlScale: try settings("cql_scale"),
            awacScale: try settings("awac_scale"), awacBeta: try settings("beta"))
        let qs = try tensors(name, "inputs", "qs"), targetQs = try tensors(name, "inputs", "target_qs")
        let logits = try constant(f.tensor(name, "inputs", "logits"))
        let dones = try f.tensor(name, "inputs", "dones")
        let (B, R) = (logits.shape[0], logits.shape[1])
        let targets = try ILQLTargets(
            rows: B, actionSlots: R, actions: f.int32s(name, "inputs", "actions"),
            rewards: f.tensor(name, "inputs", "rewards").floats, dones: dones.floats)
        return Case(loss: loss, logits: logits, qs: qs, targetQs: targetQs, vs: try constant(f.tensor(name, "inputs", "vs")), targets: targets)
    }

    /// A list of fixture tensors (one per Q-head).
    func tensors(_ name: String, _ group: String, _ key: String) throws -> [Tensor] {
        guard let list = try fixture.value([name, group, key]) as? [[String: Any]] else {
            throw FixtureError(description: "\(name).\(group).\(key) is not a list of tensors")
        }
        return try list.map { object in
            guard let shape = object["shape"] as? [Int], let data = object["data"] as? [Double] else {
                throw FixtureError(description: "\(name).\(group).\(key) holds something that is not a tensor")
            }
            return try Tensor(shape: Shape(shape), values: data.map(Float.init))
        }
    }

    @Test(arguments: ["two_heads", "one_head_weighted", "two_heads_weighted"])
    func termsStatisticsAndGradientsMatchTheReference(_ name: String) throws {
        let c = try load(name)
        let tape = Tape()
        for t in [c.logits, c.vs] + c.qs { t.track(on: tape) }
        let output = try c.loss(logits: c.logits, qValues: c.qs, targetQValues: c.targetQs, values: c.vs, targets: c.targets)
        let terms = output.terms
        let expected = try ["loss", "loss_q", "loss_v", "loss_cql", "loss_awac"].map { try fixture.double(name, "terms", $0) }
        expectClose([terms.loss, terms.q, terms.v, terms.cql, terms.awac], expected, Tolerance(relative: 1e-12, absolute: 1e-12), "\(name) loss terms")
        for (key, value) in zip(["losses/loss", "losses/loss_q", "losses/loss_v", "losses/loss_cql", "losses/loss_awac"], expected) {
            expectClose([output.statistics[key] ?? .nan], [value], Tolerance(relative: 1e-12, absolute: 1e-12), "\(name) \(key)")
        }
        let groups = try #require(try fixture.value([name, "statistics"]) as? [String: [String: Double]])
        for (group, stats) in groups {
            for (stat, value) in stats {
                expectClose([output.statistics["\(group)/\(stat)"] ?? .nan], [value], Tolerance(relative: 1e-9, absolute: 1e-9), "\(name) \(group)/\(stat)")
            }
        }
        try tape.backward(from: output.loss)
        expectClose(c.logits.gradient ?? [], try fixture.tensor(name, "gradients", "logits").values, tight, "\(name) d loss / d logits")
        expectClose(c.vs.gradient ?? [], try fixture.tensor(name, "gradients", "vs").values, tight, "\(name) d loss / d V")
        for (i, (q, expected)) in zip(c.qs, try tensors(name, "gradients", "qs")).enumerated() {
            expectClose(q.gradient ?? [], expected.scalars, tight, "\(name) d loss / d Q\(i)")
        }
    }

    /// Central differences of the Double loss in each input element, against the fused backward.
    /// V also enters the Q target (r + γ·V′) and the AWAC weight, both detached as in trlX, so
    /// its gradient is that of the V term alone.
    @Test(arguments: ["two_heads", "one_head_weighted", "two_heads_weighted"])
    func fusedBackwardMatchesFiniteDifferences(_ name: String) throws {
        let c = try load(name)
        let tape = Tape()
        let tracked = [c.logits] + c.qs + [c.vs]
        for t in tracked { t.track(on: tape) }
        let output = try c.loss(logits: c.logits, qValues: c.qs, targetQValues: c.targetQs, values: c.vs, targets: c.targets)
        try tape.backward(from: output.loss)
        func lossValue(_ x: [[Float]], valueTermOnly: Bool) throws -> Double {
            let terms = try c.loss(
                logits: Tensor(shape: c.logits.shape, values: x[0]),
                qValues: c.qs.indices.map { try Tensor(shape: c.qs[$0].shape, values: x[1 + $0]) },
                targetQValues: c.targetQs, values: Tensor(shape: c.vs.shape, values: x[x.count - 1]), targets: c.targets
            ).terms
            return valueTermOnly ? terms.v : terms.loss
        }
        var inputs = tracked.map(\.scalars)
        let h: Float = 1e-2
        for which in inputs.indices {
            let isValue = which == inputs.count - 1
            var numeric: [Double] = []
            for i in inputs[which].indices {
                let x = inputs[which][i]
                inputs[which][i] = x + h
                let plus = try lossValue(inputs, valueTermOnly: isValue)
                inputs[which][i] = x - h
                let minus = try lossValue(inputs, valueTermOnly: isValue)
                inputs[which][i] = x
                numeric.append((plus - minus) / Double((x + h) - (x - h)))
            }
            expectClose(tracked[which].gradient ?? [], numeric, finiteDifferenceTolerance, "\(name): gradient of input \(which) vs finite differences")
        }
    }

    @Test func rewardsAreStandardisedAsMakeExperienceDoes() throws {
        let rewards = try fixture.doubles("returns", "rewards")
        let data = try ILQLData(
            training: rewards.map { ILQLExample(prompt: [1], response: [2, 3], reward: $0) }, padding: 0, seed: 0)
        let standardised = rewards.map { ($0 - data.rewardMean) * data.rewardScale }
        expectClose(standardised, try fixture.doubles("returns", "standardised"), Tolerance(relative: 1e-12, absolute: 1e-12), "standardised returns")
    }
}
