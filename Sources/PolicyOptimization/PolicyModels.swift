// The networks of an RLHF run: the policy being trained, the frozen reference it is leashed to,
// and the value function (a separate network or a head on the policy), with the forward passes
// the rollout and optimisation phases need.
import LanguageModeling
import Optimization
import Tensors
import Transformer

public final class PolicyModels {
    public let policy: LanguageModel
    /// The policy's network (PPO runs on the GPT-2 family so far: its value head is GPT's).
    public let network: GPT
    /// The starting weights, never updated.
    public let reference: GPT
    /// The separate value network, when the configuration asks for one.
    public let value: GPT?
    public let temperature: Float

    /// - Parameters:
    ///   - policy: the trainable policy; with `ValueModelKind.policyHead` its configuration must
    ///     carry a scalar head.
    ///   - value: the separate value network (a model with a scalar head, e.g. a copy of the
    ///     reward model), or nil to use the policy's head.
    public init(policy: LanguageModel, value: GPT?, temperature: Float) throws {
        guard let network = policy.gpt else {
            throw OptimizationError.invalidSetting(field: "policy", expected: "a GPT-2-family model (PPO on Llama models is not built yet)")
        }
        guard value != nil || network.configuration.hasScalarHead else {
            throw TensorError.invalidShape(operation: "PolicyModels", [0], expected: "a value network, or a policy with a scalar head")
        }
        if let value, !value.configuration.hasScalarHead {
            throw TensorError.invalidShape(operation: "PolicyModels", [0], expected: "a value network with a scalar head")
        }
        // A network loaded for inference (as reward models are) has every parameter frozen and
        // would silently never learn; a copy made with `parameters.copy()` is trainable.
        for (role, candidate) in [("policy", network), ("value network", value)] {
            guard let parameters = candidate?.parameters else { continue }
            guard parameters.allGradients != nil, !parameters.trainableEntries.isEmpty else {
                throw OptimizationError.invalidSetting(field: role, expected: "trainable parameters, not a network loaded for inference")
            }
        }
        self.policy = policy
        self.network = network
        reference = try network.copy(trainable: false)
        self.value = value
        self.temperature = temperature
    }

    /// Log-probabilities [B, R] of the responses under the policy, with a policy head the values
    /// [B, R] from the same pass, and when asked the entropy [B, R] of each next-token distribution.
    public func policyOutputs(_ batch: SequenceBatch, tape: Tape?, entropy: Bool = false) throws -> (logProbabilities: Tensor, values: Tensor?, entropy: Tensor?) {
        let predicting = try responseStates(network, batch, tape: tape)
        let logits = try network.logits(predicting, tape: tape)
        return (
            try logits.tokenLogProbabilities(of: batch.responseTargets, temperature: temperature),
            value == nil ? try network.scalars(predicting, tape: tape) : nil,
            entropy ? try logits.entropy(temperature: temperature) : nil)
    }

    /// Values [B, R]: V of the state before each response token.
    public func values(_ batch: SequenceBatch, tape: Tape?) throws -> Tensor {
        guard let value else { return try policyOutputs(batch, tape: tape).values! }
        return try value.scalars(responseStates(value, batch, tape: tape), tape: tape)
    }

    /// Reference log-probabilities [B, R] (inference only).
    public func referenceLogProbabilities(_ batch: SequenceBatch) throws -> Tensor {
        try reference.logits(responseStates(reference, batch, tape: nil), tape: nil)
            .tokenLogProbabilities(of: batch.responseTargets, temperature: temperature)
    }

    /// Hidden states [B, R, C] at the positions that predict each response token.
    private func responseStates(_ network: GPT, _ batch: SequenceBatch, tape: Tape?) throws -> Tensor {
        let hidden = try network.hiddenStates(batch.input, tape: tape)
        return try hidden.slice(axis: 1, (batch.promptLength - 1)..<(batch.promptLength - 1 + batch.responseLength))
    }
}
