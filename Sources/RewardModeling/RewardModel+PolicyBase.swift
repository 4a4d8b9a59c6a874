// A frozen reward model read from the very file a LoRA policy's base comes from shares that base:
// the PPO reference pass (the base, adapters off) can read prompt + response + readout and give
// both the reference log-probabilities and the state the head reads, so the reward model needs
// no pass of its own. What is shared and how a sampled response is scored live here.
import Foundation
import LanguageModeling
import Tensors

extension RewardModel {
    /// Whether this model's frozen backbone is `policy`'s base: both read from one file (the
    /// policy's adapters aside). A base whose weights were changed after loading is not what
    /// the file holds; LoRA training never changes it.
    public func sharesBackbone(with policy: LanguageModel) -> Bool {
        guard case let .frozen(file) = kind, let source = policy.source else { return false }
        let same = { (url: URL) in url.absoluteURL.standardizedFileURL.resolvingSymlinksInPath().path }
        return same(file) == same(source) && backbone.network.vocabularySize == policy.network.vocabularySize
    }

    /// Whether this model reads a policy's (prompt, response) token pairs as the sequences its
    /// own text pairs make, so `RewardScorer` scores them directly: it reads prompts as the
    /// policy's are made (plain, or in the chat template when `chatPrompts`), and its backbone
    /// is either the policy's base, frozen, or fine-tuned over the same tokenizer (having learned
    /// to read finished responses as the policy ends them).
    public func readsTokens(of policy: LanguageModel, chatPrompts: Bool) -> Bool {
        guard readsChatPrompts == chatPrompts else { return false }
        return isFrozen ? sharesBackbone(with: policy) : backbone.tokenizer.vocabularySize == policy.tokenizer.vocabularySize
    }

    /// The tokens of a sampled response this model scores: all of them when it scores responses
    /// as finished (with their end-of-text token), otherwise without a final stop token, as the
    /// decoded text it was trained on reads.
    public func scoredResponse(_ tokens: [Int32]) -> [Int32] {
        guard !endsResponsesWithEndOfText, let last = tokens.last, backbone.stopTokens.contains(last) else { return tokens }
        return Array(tokens.dropLast())
    }

    /// Normalised rewards of final hidden states [B, C] read at the last token of each
    /// `sequence(prompt:response:)`, by a pass the caller made.
    public func scores(lastStates: Tensor) throws -> [Float] {
        guard lastStates.shape.rank == 2, lastStates.shape[1] == width else {
            throw RewardModelError.headWidth(head: width, backbone: lastStates.shape.last)
        }
        return try head(lastStates, tape: nil).scalars
    }
}
