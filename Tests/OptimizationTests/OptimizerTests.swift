// AdamW's update rule, the schedule's shape and gradient clipping, each against its formula.
import Foundation
import Testing
import Optimization
import Tensors

@Suite struct OptimizerTests {
    func store() -> ParameterStore {
        var layout = ParameterLayout()
        layout.append("w", [2, 2])
        layout.append("b", [2])
        let store = ParameterStore(layout: layout)
        _ = store.allValues.update(fromContentsOf: [0.5, -1, 2, 0.25, 0.1, -0.3])
        _ = store.allGradients!.update(fromContentsOf: [0.1, -0.2, 0.3, 0, 1, -0.5])
        return store
    }

    @Test func twoStepsFollowTheDecoupledUpdate() throws {
        let parameters = store()
        let c = AdamWConfiguration(learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.5)
        let optimizer = try AdamW(parameters: parameters, configuration: c)
        var p = parameters.allValues.map(Double.init)
        let g = parameters.allGradients!.map(Double.init)
        var m = [Double](repeating: 0, count: 6), v = m
        for step in 1...2 {
            optimizer.step()
            for i in 0..<6 {
                let decay = i < 4 ? 1 - 0.1 * 0.5 : 1  // matrices decay, the bias does not
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i]
                let mHat = m[i] / (1 - pow(0.9, Double(step))), vHat = v[i] / (1 - pow(0.99, Double(step)))
                p[i] = p[i] * decay - 0.1 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        for i in 0..<6 { #expect(abs(Double(parameters.allValues[i]) - p[i]) < 1e-6, "parameter \(i)") }
        #expect(optimizer.stepCount == 2)
    }

    @Test func frozenParametersDoNotMove() throws {
        let parameters = store()
        parameters.freeze { $0.name == "w" }
        let before = Array(parameters.allValues)
        try AdamW(parameters: parameters, configuration: AdamWConfiguration(learningRate: 0.1)).step()
        #expect(Array(parameters.allValues[0..<4]) == Array(before[0..<4]))
        #expect(Array(parameters.allValues[4...]) != Array(before[4...]))
    }

    @Test func restoredStateContinuesIdentically() throws {
        let (a, b) = (store(), store())
        let first = try AdamW(parameters: a, configuration: AdamWConfiguration(learningRate: 0.05))
        first.step()
        let second = try AdamW(parameters: b, configuration: AdamWConfiguration(learningRate: 0.05))
        _ = b.allValues.update(fromContentsOf: a.allValues)
        try second.restore(first.state)
        first.step()
        second.step()
        #expect(Array(a.allValues) == Array(b.allValues))
    }

    @Test func invalidSettingsAreRejectedByName() {
        #expect(throws: OptimizationError.invalidSetting(field: "beta2", expected: "a value in [0, 1)")) {
            try AdamW(parameters: store(), configuration: AdamWConfiguration(beta2: 1))
        }
    }

    @Test func scheduleWarmsUpThenFollowsTheCosine() {
        let s = LearningRateSchedule(peak: 1, warmupSteps: 4, totalSteps: 14, minimum: 0.1)
        #expect(s.rate(at: 0) == 0.25)
        #expect(s.rate(at: 3) == 1)
        #expect(s.rate(at: 4) == 1)
        #expect(abs(s.rate(at: 9) - 0.55) < 1e-6)
        #expect(abs(s.rate(at: 14) - 0.1) < 1e-6)
        #expect(s.rate(at: 100) == 0.1)
        #expect(LearningRateSchedule.constant(0.3).rate(at: 57) == 0.3)
    }

    @Test func clippingScalesToTheMaximumNormAndReportsTheOriginal() {
        let parameters = store()
        let norm = GradientClipping.clip(parameters, maxNorm: 0.5)
        let expected = (0.01 + 0.04 + 0.09 + 1 + 0.25).squareRoot()
        #expect(abs(Double(norm) - expected) < 1e-6)
        #expect(abs(GradientClipping.globalNorm(of: parameters) - 0.5) < 1e-5)
        #expect(GradientClipping.clip(parameters, maxNorm: 10) < 0.51)
    }
}
