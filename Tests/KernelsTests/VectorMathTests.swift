// The SIMD exp and tanh against libm in Double over their whole useful range.
import Foundation
import Testing
@testable import Kernels

@Suite struct VectorMathTests {
    @Test func expIsAccurateToAFewUlpAcrossItsRange() {
        var worst = 0.0
        var x: Float = -87
        while x < 88 {
            let lanes = Vector8((0..<8).map { x + Float($0) * 0.001 })
            let result = VectorMath.exp(lanes)
            for lane in 0..<8 {
                let exact = Foundation.exp(Double(lanes[lane]))
                worst = max(worst, abs(Double(result[lane]) - exact) / exact)
            }
            x += 0.0137
        }
        #expect(worst < 4e-7, "largest relative error \(worst)")
    }

    @Test func expUnderflowsToZeroAndHandlesInfinity() {
        let result = VectorMath.exp(Vector8(-.infinity, -100, -87.5, 0, 1, -1, 88, 10))
        #expect(result[0] == 0 && result[1] == 0 && result[2] == 0)
        #expect(result[3] == 1)
        #expect(abs(result[4] - Float(M_E)) < 1e-6)
    }

    @Test func tanhMatchesLibmAndSaturates() {
        var worst = 0.0
        var x: Float = -12
        while x < 12 {
            let result = VectorMath.tanh(Vector8(repeating: x))[0]
            worst = max(worst, abs(Double(result) - Foundation.tanh(Double(x))))
            x += 0.003
        }
        #expect(worst < 2e-7, "largest absolute error \(worst)")
        #expect(VectorMath.tanh(Vector8(repeating: 50))[0] == 1)
        #expect(VectorMath.tanh(Vector8(repeating: -50))[0] == -1)
    }
}
