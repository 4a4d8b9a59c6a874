// The preference losses against TRL's formulas in float64 (scripts/make_dpo_fixtures.py): value,
// gradient and logged statistics for DPO, cDPO and IPO, and the tape op's backward against
// central finite differences.
import Foundation
import Testing
import PreferenceOptimization
import Tensors
import TestSupport

struct LossCase {
    let name: String
    let settings: DPOLossSettings
    let policy: [PairLogProbabilities]
    let reference: [PairLogProbabilities]
    let lengths: [PairLengths]
    let loss: Double
    let gradient: [PairLogProbabilities]
    let metrics: [String: Double]

    static func all() throws -> [LossCase] {
        let fixture = try Fixture("Tests/Fixtures/dpo/losses.json")
        guard let cases = try fixture.value(["cases"]) as? [[String: Any]] else { throw FixtureError(description: "dpo/losses.json: no cases") }
        return try cases.map { object in
            func numbers(_ key: String) throws -> [Double] {
                guard let values = object[key] as? [Double] else { throw FixtureError(description: "dpo/losses.json: \(key) is not a number list") }
                return values
            }
            func pairs(_ chosen: String, _ rejected: String) throws -> [PairLogProbabilities] {
                zip(try numbers(chosen), try numbers(rejected)).map { PairLogProbabilities(chosen: $0, rejected: $1) }
            }
            guard let name = object["name"] as? String, let type = (object["loss_type"] as? String).flatMap(PreferenceLossType.init(rawValue:)),
                  let beta = object["beta"] as? Double, let epsilon = object["label_smoothing"] as? Double, let loss = object["loss"] as? Double,
                  let metrics = object["metrics"] as? [String: Double] else {
                throw FixtureError(description: "dpo/losses.json: a case lacks its name, settings, loss or metrics")
            }
            return LossCase(
                name: name, settings: DPOLossSettings(beta: beta, loss: type, labelSmoothing: epsilon),
                policy: try pairs("policy_chosen", "policy_rejected"), reference: try pairs("reference_chosen", "reference_rejected"),
                lengths: zip(try numbers("chosen_lengths"), try numbers("rejected_lengths")).map { PairLengths(chosen: Int($0), rejected: Int($1)) },
                loss: loss, gradient: try pairs("gradient_chosen", "gradient_rejected"), metrics: metrics)
        }
    }
}

@Suite struct DPOLossTests {
    @Test func lossesGradientsAndMetricsMatchTRLInFloat64() throws {
        let cases = try LossCase.all()
        #expect(Set(cases.map(\.settings.loss)) == [.sigmoid, .ipo] && cases.contains { $0.settings.labelSmoothing > 0 })
        let tolerance = Tolerance(relative: 1e-9, absolute: 1e-12)
        var worst = 0.0
        for c in cases {
            let (value, gradient, statistics) = DPOLoss.evaluate(policy: c.policy, reference: c.reference, lengths: c.lengths, settings: c.settings)
            worst = max(worst, abs(value - c.loss) / max(abs(c.loss), 1e-300))
            expectClose([value], [c.loss], tolerance, "\(c.name) loss")
            expectClose(gradient.flatMap { [$0.chosen, $0.rejected] }, c.gradient.flatMap { [$0.chosen, $0.rejected] }, tolerance, "\(c.name) gradient")
            #expect(Set(statistics.metrics.keys) == Set(c.metrics.keys), "\(c.name) metric names")
            for (name, expected) in c.metrics {
                expectClose([statistics.metrics[name] ?? .nan], [expected], tolerance, "\(c.name) \(name)")
            }
        }
        print("DPO/cDPO/IPO losses against TRL's formulas in float64: largest relative difference \(worst) over \(cases.count) cases")
    }

    @Test func theTapeOpMatchesFiniteDifferencesForEveryLoss() throws {
        for c in try LossCase.all() where !c.name.hasSuffix("edge") {
            let pairs = c.policy.count
            let op = { (values: [Float], upstream: Float?) throws -> (Float, [Float]) in
                let tape = Tape()
                let input = try Tensor(shape: [2 * pairs], values: values)
                input.track(on: tape)
                let (loss, _) = try input.directPreferenceLoss(reference: c.reference, lengths: c.lengths, settings: c.settings)
                guard let upstream else { return (loss.item, []) }
                try tape.backward(from: loss, gradient: [upstream])
                return (loss.item, input.gradient ?? [])
            }
            GradientCheck(
                inputs: [c.policy.map(\.chosen) + c.policy.map(\.rejected)],
                reference: { inputs in
                    let policy = (0..<pairs).map { PairLogProbabilities(chosen: inputs[0][$0], rejected: inputs[0][pairs + $0]) }
                    return [DPOLoss.evaluate(policy: policy, reference: c.reference, lengths: c.lengths, settings: c.settings).value]
                },
                referenceBackward: { inputs, upstream in
                    let policy = (0..<pairs).map { PairLogProbabilities(chosen: inputs[0][$0], rejected: inputs[0][pairs + $0]) }
                    let gradient = DPOLoss.evaluate(policy: policy, reference: c.reference, lengths: c.lengths, settings: c.settings).gradient
                    return [(gradient.map(\.chosen) + gradient.map(\.rejected)).map { $0 * upstream[0] }]
                },
                fused: { inputs in [(try? op(inputs[0], nil))?.0 ?? .nan] },
                fusedBackward: { inputs, upstream in [(try? op(inputs[0], upstream[0]))?.1 ?? []] }
            ).run("\(c.name) directPreferenceLoss")
        }
    }

    @Test func settingsOutsideTheirRangeAreRejectedByName() {
        #expect(throws: PreferenceOptimizationError.invalidSetting(field: "beta", expected: "a finite value > 0")) {
            try DPOLossSettings(beta: 0).validate()
        }
        // Inside a run's configuration the field is named by its key there, once.
        var configuration = PreferenceConfiguration()
        configuration.dpo.beta = .nan
        #expect(throws: PreferenceOptimizationError.invalidSetting(field: "dpo.beta", expected: "a finite value > 0")) { try configuration.validate() }
        #expect(throws: PreferenceOptimizationError.self) { try DPOLossSettings(labelSmoothing: 0.5).validate() }
        #expect(throws: PreferenceOptimizationError.self) { try DPOLossSettings(loss: .ipo, labelSmoothing: 0.1).validate() }
        #expect(throws: TensorError.self) {
            try Tensor(shape: [3], values: [0, 0, 0]).directPreferenceLoss(
                reference: [PairLogProbabilities(chosen: 0, rejected: 0)], lengths: [PairLengths(chosen: 1, rejected: 1)], settings: DPOLossSettings())
        }
    }
}
