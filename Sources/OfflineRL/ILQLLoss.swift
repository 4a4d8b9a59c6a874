// ILQL's objective exactly as trlX's ILQLConfig.loss, fused into one recorded operation over the
// heads' outputs: the Q regression to r + γ·V(s′), the expectile regression of V on the minimum
// target Q, the CQL cross-entropy of the Q-values as logits, and the advantage-weighted LM
// cross-entropy (AWAC). Every sum runs in Double so the terms match a float64 reference to 1e-6
// whatever the vocabulary, and the backward writes each gradient in one pass over the logits.
import Foundation
import Tensors

/// What a batch says about each action: trlX's ILQLBatch fields after indexing, for B rows of R
/// action slots and R + 1 state slots.
public struct ILQLTargets: Sendable {
    public let rows: Int
    public let actionSlots: Int
    /// The token taken at each action slot [B·R]; ignored (−1 allowed) where the slot is masked.
    public let actions: [Int32]
    /// The reward after each action [B·R].
    public let rewards: [Float]
    /// trlX's `dones` [B·(R + 1)]: 1 for a state after which the episode goes on, 0 for the
    /// terminal state and padding. Its first R columns are the per-action mask.
    public let dones: [Float]

    public init(rows: Int, actionSlots: Int, actions: [Int32], rewards: [Float], dones: [Float]) throws {
        guard actions.count == rows * actionSlots, rewards.count == rows * actionSlots, dones.count == rows * (actionSlots + 1) else {
            throw TensorError.countMismatch(operation: "ILQLTargets (actions, rewards, dones)", shape: [rows, actionSlots], count: actions.count)
        }
        (self.rows, self.actionSlots, self.actions, self.rewards, self.dones) = (rows, actionSlots, actions, rewards, dones)
    }

    func mask(_ b: Int, _ j: Int) -> Double { Double(dones[b * (actionSlots + 1) + j]) }
}

public struct ILQLLossTerms: Sendable, Equatable {
    public var loss = 0.0, q = 0.0, v = 0.0, cql = 0.0, awac = 0.0
}

public struct ILQLLossOutput {
    /// The scalar loss, recorded on the inputs' tape.
    public let loss: Tensor
    public let terms: ILQLLossTerms
    /// trlX's statistics, flattened with "/": losses/…, values/…, qvalues/0/…, awac_weight/….
    public let statistics: [String: Double]
}

public struct ILQLLoss: Sendable {
    public var tau: Double, gamma: Double, cqlScale: Double, awacScale: Double, awacBeta: Double

    public init(tau: Double, gamma: Double, cqlScale: Double, awacScale: Double, awacBeta: Double) {
        (self.tau, self.gamma, self.cqlScale, self.awacScale, self.awacBeta) = (tau, gamma, cqlScale, awacScale, awacBeta)
    }

    public init(_ c: ILQLConfiguration) {
        self.init(tau: Double(c.tau), gamma: Double(c.gamma), cqlScale: Double(c.cqlScale), awacScale: Double(c.awacScale), awacBeta: Double(c.awacBeta))
    }

    /// - Parameters:
    ///   - logits: the language model's logits at the action slots [B, R, V].
    ///   - qValues: each Q-head's values there [B, R, V].
    ///   - targetQValues: each target head's values there [B, R, V] (constants).
    ///   - values: V at the state slots [B, R + 1].
    public func callAsFunction(
        logits: Tensor, qValues: [Tensor], targetQValues: [Tensor], values: Tensor, targets: ILQLTargets
    ) throws -> ILQLLossOutput {
        let (B, R) = (targets.rows, targets.actionSlots)
        let V = logits.shape.last
        for tensor in [logits] + qValues + targetQValues where tensor.shape != [B, R, V] {
            throw TensorError.shapeMismatch(operation: "ILQLLoss", tensor.shape, [B, R, V], expected: "logits and Q-values of shape [B, R, V]")
        }
        guard values.shape == [B, R + 1], !qValues.isEmpty, qValues.count == targetQValues.count else {
            throw TensorError.shapeMismatch(operation: "ILQLLoss", values.shape, [B, R + 1], expected: "values at R + 1 states and a target for each Q-head")
        }
        var count = 0.0
        for b in 0..<B { for j in 0..<R { count += targets.mask(b, j) } }
        let n = max(1, count)
        var terms = ILQLLossTerms()
        var statistics = Statistics(n: n)
        // Per action slot: the Q-loss gradient of each head's taken value, V's gradient, the AWAC
        // coefficient, and each row's log-sum-exp (for the softmax in the backward pass).
        var qSlope = [[Double]](repeating: [Double](repeating: 0, count: B * R), count: qValues.count)
        var vSlope = [Double](repeating: 0, count: B * (R + 1))
        var awacCoefficient = [Double](repeating: 0, count: B * R)
        var logitNormalizers = [Double](repeating: 0, count: B * R)
        var qNormalizers = [[Double]](repeating: [Double](repeating: 0, count: B * R), count: qValues.count)
        for b in 0..<B {
            for j in 0..<R where targets.mask(b, j) != 0 {
                let k = b * R + j, m = targets.mask(b, j)
                let action = Int(targets.actions[k])
                guard action >= 0, action < V else { throw TensorError.indexOutOfRange(operation: "ILQLLoss (action)", index: action, bound: V) }
                let taken = k * V + action
                let targetQ = targetQValues.map { Double($0.data[taken]) }.min()!
                let value = Double(values.data[b * (R + 1) + j])
                let next = Double(values.data[b * (R + 1) + j + 1]) * targets.mask(b, j + 1)
                let target = Double(targets.rewards[k]) + gamma * next
                for (i, q) in qValues.enumerated() {
                    let error = Double(q.data[taken]) - target
                    terms.q += error * error * m
                    qSlope[i][k] = 2 * error * m / n
                    qNormalizers[i][k] = Self.logSumExp(q.data + k * V, V)
                    terms.cql += (qNormalizers[i][k] - Double(q.data[taken])) * m
                    statistics.add("qvalues/\(i)", Double(q.data[taken]), m)
                }
                let gap = targetQ - value, weight = gap >= 0 ? tau : 1 - tau
                terms.v += weight * gap * gap * m
                vSlope[b * (R + 1) + j] = -2 * weight * gap * m / n
                let awacWeight = Foundation.exp(awacBeta * gap)
                logitNormalizers[k] = Self.logSumExp(logits.data + k * V, V)
                terms.awac += (logitNormalizers[k] - Double(logits.data[taken])) * awacWeight * m
                awacCoefficient[k] = awacScale * awacWeight * m / n
                statistics.add("values", value, m)
                statistics.add("awac_weight", awacWeight, m)
            }
        }
        (terms.q, terms.v, terms.cql, terms.awac) = (terms.q / n, terms.v / n, terms.cql / n, terms.awac / n)
        terms.loss = terms.q + terms.v + cqlScale * terms.cql + awacScale * terms.awac
        let loss = Tensor(Float(terms.loss))
        if let tape = Tape.recording([logits, values] + qValues) {
            let cqlCoefficient = cqlScale / n
            loss.record(on: tape) { dout in
                let g = Double(dout[0])
                Self.softmaxBackward(logits, targets, normalizers: logitNormalizers, coefficients: awacCoefficient.map { $0 * g }, taken: nil)
                for (i, q) in qValues.enumerated() {
                    let coefficients = (0..<(B * R)).map { targets.mask($0 / R, $0 % R) == 0 ? 0 : cqlCoefficient * g }
                    Self.softmaxBackward(q, targets, normalizers: qNormalizers[i], coefficients: coefficients, taken: qSlope[i].map { $0 * g })
                }
                values.withGradientIfRequired { dv, accumulate in
                    guard let dv else { return }
                    for i in 0..<(B * (R + 1)) { dv[i] = (accumulate ? dv[i] : 0) + Float(vSlope[i] * g) }
                }
            }
        }
        var record = statistics.flattened
        for (name, value) in [("loss", terms.loss), ("loss_q", terms.q), ("loss_v", terms.v), ("loss_cql", terms.cql), ("loss_awac", terms.awac)] {
            record["losses/" + name] = value
        }
        return ILQLLossOutput(loss: loss, terms: terms, statistics: record)
    }

    static func logSumExp(_ row: UnsafePointer<Float>, _ count: Int) -> Double {
        var top = -Double.infinity
        for v in 0..<count { top = max(top, Double(row[v])) }
        var total = 0.0
        for v in 0..<count { total += Foundation.exp(Double(row[v]) - top) }
        return top + Foundation.log(total)
    }

    /// d/dz of Σ_k c_k·(logsumexp(z_k) − z_k[a_k]) + Σ_k t_k·z_k[a_k]: c_k·(softmax(z_k) − onehot(a_k)) plus
    /// t_k at the taken token, for each slot k with c_k ≠ 0 or t_k ≠ 0 (0 elsewhere).
    private static func softmaxBackward(_ z: Tensor, _ targets: ILQLTargets, normalizers: [Double], coefficients: [Double], taken: [Double]?) {
        z.withGradientIfRequired { dz, accumulate in
            guard let dz else { return }
            let V = z.shape.last
            for k in 0..<(targets.rows * targets.actionSlots) {
                let row = z.data + k * V, out = dz + k * V
                let c = coefficients[k], t = taken?[k] ?? 0
                guard c != 0 || t != 0 else {
                    if !accumulate { out.update(repeating: 0, count: V) }
                    continue
                }
                let action = Int(targets.actions[k])
                for v in 0..<V {
                    var slope = c * Foundation.exp(Double(row[v]) - normalizers[k])
                    if v == action { slope += t - c }
                    out[v] = (accumulate ? out[v] : 0) + Float(slope)
                }
            }
        }
    }
}

/// trlX's get_tensor_stats over the unmasked slots: mean and std with the shared divisor n,
/// min and max.
private struct Statistics {
    let n: Double
    private var samples: [String: [(value: Double, mask: Double)]] = [:]

    init(n: Double) { self.n = n }

    mutating func add(_ name: String, _ value: Double, _ mask: Double) {
        samples[name, default: []].append((value, mask))
    }

    var flattened: [String: Double] {
        var out: [String: Double] = [:]
        for (name, entries) in samples {
            let mean = entries.reduce(0) { $0 + $1.value * $1.mask } / n
            let spread = entries.reduce(0) { $0 + pow(($1.value - mean) * $1.mask, 2) } / n
            out[name + "/mean"] = mean
            out[name + "/std"] = spread.squareRoot()
            out[name + "/min"] = entries.map(\.value).min()
            out[name + "/max"] = entries.map(\.value).max()
        }
        return out
    }
}
