// The networks of an RLHF run: the policy being trained, the frozen reference it is leashed to,
// and the value function, with the forward passes the rollout and optimisation phases need.
// Any causal language model serves. A policy that trains LoRA adapters needs no second copy of
// its weights: the reference is the same base with the adapters switched off.
import LanguageModeling
import Optimization
import RewardModeling
import Tensors
import Transformer

/// Where the value V(s) of each response state comes from.
public enum ValueFunction {
    /// A scalar head on the policy's own hidden states. The states are not detached: the value
    /// loss trains the head and whatever the policy trains (its adapters or its whole network),
    /// as TRL's shared-body value head does.
    case head(ScalarHead)
    /// A network of its own (InstructGPT and TRL start it from the reward model) with its head.
    case network(any CausalLanguageModel, head: ScalarHead)

    public var head: ScalarHead {
        switch self {
        case let .head(head), let .network(_, head): return head
        }
    }

    /// What the value loss updates: the head, and a separate network's trainable weights.
    public var trainableStores: [ParameterStore] {
        switch self {
        case let .head(head): return [head.parameters]
        case let .network(network, head): return [network.trainableParameters, head.parameters]
        }
    }
}

public final class PolicyModels {
    public let policy: LanguageModel
    public let value: ValueFunction
    public let temperature: Float
    /// A frozen copy of the starting weights, kept only when the policy trains its base weights.
    private let frozenReference: (any CausalLanguageModel)?

    public var network: any CausalLanguageModel { policy.network }
    /// Whether the reference is the policy's base with its adapters off (no copy of the weights).
    public var referenceSharesBase: Bool { frozenReference == nil }

    /// `reference` replaces the starting weights as the KL anchor when the policy continues from
    /// an earlier optimisation (online rounds leash every round to the same SFT model); it must
    /// share the policy's tokenizer. A policy with adapters takes none: its reference is the base
    /// without them (adapters it arrived with included, as TRL's PEFT PPO does).
    public init(policy: LanguageModel, value: ValueFunction, temperature: Float, reference: (any CausalLanguageModel)? = nil) throws {
        let network = policy.network
        switch value {
        case let .head(head):
            guard head.width == network.hiddenSize else {
                throw OptimizationError.invalidSetting(field: "value head", expected: "width \(network.hiddenSize), the policy's hidden size (it has \(head.width))")
            }
        case let .network(valueNetwork, head):
            guard head.width == valueNetwork.hiddenSize else {
                throw OptimizationError.invalidSetting(field: "value head", expected: "width \(valueNetwork.hiddenSize), the value network's hidden size (it has \(head.width))")
            }
            // It reads the policy's token ids; its width is its own.
            guard valueNetwork.vocabularySize == network.vocabularySize else {
                throw OptimizationError.invalidSetting(
                    field: "value network", expected: "the policy's vocabulary of \(network.vocabularySize) tokens (it has \(valueNetwork.vocabularySize))")
            }
        }
        if network.adapters != nil, reference != nil {
            throw OptimizationError.invalidSetting(field: "reference", expected: "none for a policy with adapters: its reference is its base without them")
        }
        // A network loaded for inference (as reward models are) has every parameter frozen and
        // would silently never learn.
        for (role, store) in [("policy", network.trainableParameters)] + value.trainableStores.map({ ("value function", $0) }) {
            guard store.allGradients != nil, !store.trainableEntries.isEmpty else {
                throw OptimizationError.invalidSetting(field: role, expected: "trainable parameters, not a network loaded for inference")
            }
        }
        self.policy = policy
        self.value = value
        self.temperature = temperature
        // The ratio compares the update's recorded pass with the rollout's, taken without a tape
        // and so without dropout: with dropout in the update alone the first ratio would not be 1.
        // TRL's PPO turns dropout off in its models likewise.
        network.adapters?.isDropoutEnabled = false
        if case let .network(valueNetwork, _) = value { valueNetwork.adapters?.isDropoutEnabled = false }
        if network.adapters != nil {
            frozenReference = nil
        } else if let reference {
            guard reference.vocabularySize == network.vocabularySize else {
                throw OptimizationError.invalidSetting(field: "reference", expected: "the policy's vocabulary of \(network.vocabularySize) tokens (it has \(reference.vocabularySize))")
            }
            frozenReference = reference
        } else {
            frozenReference = try network.copy(trainable: false)
        }
    }

    /// What the policy loss updates: the adapters, or the whole policy without them.
    public var policyParameters: ParameterStore { network.trainableParameters }

    /// Log-probabilities [B, R] of the responses under the policy, with a value head the values
    /// [B, R] from the same pass, and when asked the entropy [B, R] of each next-token distribution.
    public func policyOutputs(_ batch: SequenceBatch, tape: Tape?, entropy: Bool = false) throws -> (logProbabilities: Tensor, values: Tensor?, entropy: Tensor?) {
        let predicting = try network.responseStates(batch, tape: tape)
        let logits = try network.logits(predicting, tape: tape)
        var values: Tensor?
        if case let .head(head) = value { values = try head(predicting, tape: tape) }
        return (
            try logits.tokenLogProbabilities(of: batch.responseTargets, temperature: temperature), values,
            entropy ? try logits.entropy(temperature: temperature) : nil)
    }

    /// Values [B, R]: V of the state before each response token.
    public func values(_ batch: SequenceBatch, tape: Tape?) throws -> Tensor {
        switch value {
        case .head: return try policyOutputs(batch, tape: tape).values!
        case let .network(network, head): return try head(network.responseStates(batch, tape: tape), tape: tape)
        }
    }

    /// Reference log-probabilities [B, R] (inference only).
    public func referenceLogProbabilities(_ batch: SequenceBatch) throws -> Tensor {
        if let frozenReference { return try frozenReference.responseLogProbabilities(batch, temperature: temperature, tape: nil) }
        return try network.withoutAdapters { try network.responseLogProbabilities(batch, temperature: temperature, tape: nil) }
    }

    /// Whether one pass of the base can read both the reference log-probabilities and
    /// `reward`'s scores of these rows: the reward model's frozen backbone is the policy's base,
    /// and every prompt + scored response + readout fits what the reward model and the network
    /// read (a longer row would be cut by the one and not fit the other).
    public func readsReward(_ reward: RewardModel, prompts: [[Int32]], responses: [[Int32]], responseLength: Int) -> Bool {
        guard referenceSharesBase, reward.sharesBackbone(with: policy), let longestPrompt = prompts.map(\.count).max() else { return false }
        let readout = reward.readoutTokens.count
        let longestResponse = max(1, responseLength, responses.map(\.count).max() ?? 0)
        return longestPrompt + longestResponse + readout <= network.contextLength
            && zip(prompts, responses).allSatisfy { $0.count + reward.scoredResponse($1).count + readout <= reward.maximumTokens }
    }

    /// Reference log-probabilities [B, R] of `batch`'s responses (`responses` after `prompts`)
    /// and `reward`'s normalised scores of them, from one pass of the base over each prompt +
    /// scored response + readout, for rows `readsReward` accepts. Positions before a response's
    /// last token read what they read without the readout (attention is causal), and the reward
    /// model's state is that of the readout's last token, as its own pass reads it.
    public func referenceReadings(_ batch: SequenceBatch, prompts: [[Int32]], responses: [[Int32]], scoredBy reward: RewardModel) throws -> (logProbabilities: Tensor, scores: [Float]) {
        guard readsReward(reward, prompts: prompts, responses: responses, responseLength: batch.responseLength) else {
            throw OptimizationError.invalidSetting(field: "reward model", expected: "a frozen backbone read from the policy's base file, reading rows that fit")
        }
        let readout = reward.readoutTokens
        let scored = responses.map(reward.scoredResponse)
        let read = try SequenceBatch(
            prompts: prompts, responses: scored.map { $0 + readout }, padding: policy.endOfText ?? 0,
            responseLength: batch.responseLength + readout.count)
        return try network.withoutAdapters {
            let hidden = try network.hiddenStates(read.suffixInput, after: read.sharedPrefix, tape: nil)
            let start = read.promptLength - read.sharedPrefix.count
            let predicting = try hidden.slice(axis: 1, (start - 1)..<(start - 1 + batch.responseLength))
            let logProbabilities = try network.logits(predicting, tape: nil).tokenLogProbabilities(of: batch.responseTargets, temperature: temperature)
            let last = try hidden.gathered(at: scored.map { Int32(start + $0.count + readout.count - 1) })
            return (logProbabilities, try reward.scores(lastStates: last))
        }
    }
}

extension ValueFunction {
    /// A value network started from the reward model, as InstructGPT and TRL do: a trainable copy
    /// of its backbone (frozen or not) with a copy of its head and normalisation, so the value
    /// starts out predicting the kind of number it must predict.
    public static func network(startingFrom reward: RewardModel) throws -> ValueFunction {
        .network(try reward.backbone.network.copy(trainable: true), head: reward.head.copy())
    }
}
