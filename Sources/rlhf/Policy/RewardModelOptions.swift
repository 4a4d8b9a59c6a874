// The reward model a policy command optimises or selects against, of either kind, turned into
// the token-level scorer PPO and best-of-N call.
import ArgumentParser
import Finetuning
import Foundation
import LanguageModeling
import RewardModeling

struct RewardModelOptions: ParsableArguments {
    @Option(help: "The reward model folder (rlhf reward train), fine-tuned or a head on a frozen backbone; one over another tokenizer scores the decoded text.")
    var rewardModel: String

    var url: URL { URL(fileURLWithPath: rewardModel) }

    func scorer(for policy: LanguageModel, plainPrompts: [[Int32]: String]? = nil) throws -> any ResponseScorer {
        try RewardModel.load(from: url).scorer(for: policy, plainPrompts: plainPrompts)
    }
}

extension RewardModel {
    /// The reward model scores the policy's tokens directly when it reads them as its own
    /// sequences (`readsTokens`; a frozen one over the policy's base is then read in PPO's
    /// reference pass); otherwise it reads the decoded text, each chat prompt as the plain text it
    /// was made from.
    func scorer(for policy: LanguageModel, plainPrompts: [[Int32]: String]? = nil) -> any ResponseScorer {
        if readsTokens(of: policy, chatPrompts: plainPrompts != nil) {
            return RewardScorer(model: self)
        }
        return DecodedResponseScorer(reward: self, model: policy) { prompt in
            try plainPrompts?[prompt] ?? policy.decode(prompt)
        }
    }
}

/// Prompts from a file, encoded for `policy`: as they are, or each as a user message in the
/// policy's chat template (remembered as plain text for the reward model).
struct EncodedPrompts {
    let tokens: [[Int32]]
    let plainText: [[Int32]: String]?

    init(file: String, policy: LanguageModel, chat: Bool) throws {
        try self.init(texts: PromptFile.read(URL(fileURLWithPath: file)), policy: policy, chat: chat)
    }

    init(texts: [String], policy: LanguageModel, chat: Bool) throws {
        tokens = try texts.map { chat ? try policy.chatPrompt(user: $0) : policy.encode($0) }
        plainText = chat ? Dictionary(zip(tokens, texts), uniquingKeysWith: { first, _ in first }) : nil
    }
}
