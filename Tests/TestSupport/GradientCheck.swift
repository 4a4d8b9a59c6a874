// One harness for every kernel: the fused Float kernel and its naive generic reference, both
// checked against finite differences of the reference's Double forward.
import Testing

/// A differentiable function of several inputs, given as a naive Double reference and as the
/// fused Float implementation under test.
public struct GradientCheck {
    public var inputs: [[Double]]
    public var reference: ([[Double]]) -> [Double]
    public var referenceBackward: (([[Double]], [Double]) -> [[Double]])?
    public var fused: ([[Float]]) -> [Float]
    public var fusedBackward: ([[Float]], [Float]) -> [[Float]]

    public init(
        inputs: [[Double]],
        reference: @escaping ([[Double]]) -> [Double],
        referenceBackward: (([[Double]], [Double]) -> [[Double]])? = nil,
        fused: @escaping ([[Float]]) -> [Float],
        fusedBackward: @escaping ([[Float]], [Float]) -> [[Float]]
    ) {
        self.inputs = inputs
        self.reference = reference
        self.referenceBackward = referenceBackward
        self.fused = fused
        self.fusedBackward = fusedBackward
    }

    /// Forward: fused vs reference. Backward: fused and reference vs central differences, input by
    /// input, with a random upstream gradient.
    public func run(_ name: String, seed: UInt64 = 11, sourceLocation: SourceLocation = #_sourceLocation) {
        var values = TestValues(seed: seed)
        let expected = reference(inputs)
        let floats = inputs.map { $0.map(Float.init) }
        expectClose(fused(floats), expected, .forward, "\(name) forward", sourceLocation: sourceLocation)
        let upstream = values.next(expected.count)
        let numeric = inputs.indices.map { i in
            finiteDifferenceGradient(at: inputs[i], upstream: upstream) { x in
                var varied = inputs
                varied[i] = x
                return reference(varied)
            }
        }
        let analytic = fusedBackward(floats, upstream.map(Float.init))
        for i in inputs.indices {
            expectClose(analytic[i], numeric[i], finiteDifferenceTolerance, "\(name) gradient of input \(i) (fused vs finite differences)", sourceLocation: sourceLocation)
        }
        if let referenceBackward {
            let exact = referenceBackward(inputs, upstream)
            for i in inputs.indices {
                expectClose(exact[i], numeric[i], Tolerance(relative: 1e-6, absolute: 1e-7), "\(name) gradient of input \(i) (naive reference vs finite differences)", sourceLocation: sourceLocation)
            }
        }
    }
}

/// Runs `body` with mutable pointers to copies of `arrays`, returning the copies afterwards.
public func withPointers(_ arrays: [[Float]], _ body: ([UnsafeMutablePointer<Float>]) -> Void) -> [[Float]] {
    var copies = arrays
    let buffers = copies.map { array -> UnsafeMutablePointer<Float> in
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(array.count, 1))
        pointer.initialize(from: array, count: array.count)
        return pointer
    }
    body(buffers)
    for i in copies.indices {
        copies[i] = Array(UnsafeBufferPointer(start: buffers[i], count: copies[i].count))
        buffers[i].deallocate()
    }
    return copies
}
