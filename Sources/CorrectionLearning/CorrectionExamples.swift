// The store's corrections and ratings as training data: each correction is a demonstration, and
// a preference pair over the answer it corrects; a thumbs-down answer is the rejected side of a
// pair with every correction or thumbs-up answer to the same conversation, and a thumbs-up answer
// the chosen side of a pair with every answer rejected there.
import Feedback
import Finetuning
import LanguageModeling
import PreferenceOptimization

/// Demonstrations and preference pairs for one round of learning, with the rows they came from.
package struct CorrectionExamples: Sendable {
    /// One demonstration per correction, in the store's order.
    package var demonstrations: [Finetuning.Demonstration]
    /// Chosen ≻ rejected pairs, each once.
    package var pairs: [PreferenceOptimization.PreferencePair]
    /// The corrections learned from.
    package var demonstrationIDs: [Int64]
    /// The ratings, thumbs up or down, that give at least one pair.
    package var ratingIDs: [Int64]
    /// Each corrected conversation once, with its (last) correction: what the learned model should now answer.
    package var taught: [(conversation: [LanguageModeling.ChatMessage], answer: String)]

    /// The most pairs one conversation gives. Its pairs are every better answer against every
    /// worse one, so a conversation that many people (or one person, many times) regenerated,
    /// corrected and rated would otherwise outweigh all the others in DPO's data.
    package static let maximumPairsPerConversation = 16

    /// Builds the examples. Texts are trimmed of surrounding whitespace, as the chat trims the
    /// model's replies, so the adapter learns to end its answer where the person did. A pair
    /// whose two sides read the same is dropped (a correction saved unchanged teaches no preference).
    package init(_ material: LearningMaterial) {
        let trim = { (text: String) in text.trimmingCharacters(in: .whitespacesAndNewlines) }
        demonstrations = []
        demonstrationIDs = []
        var taughtByConversation: [[Feedback.ChatMessage]: String] = [:], order: [[Feedback.ChatMessage]] = []
        var chosen: [[Feedback.ChatMessage]: [(text: String, ratingID: Int64?)]] = [:]
        var rejected: [[Feedback.ChatMessage]: [(text: String, ratingID: Int64?)]] = [:]
        for correction in material.corrections {
            let text = trim(correction.text)
            let (prompt, context) = Self.split(correction.conversation)
            demonstrations.append(Finetuning.Demonstration(prompt: prompt, response: text, context: context))
            demonstrationIDs.append(correction.demonstrationID)
            if taughtByConversation.updateValue(text, forKey: correction.conversation) == nil { order.append(correction.conversation) }
            chosen[correction.conversation, default: []].append((text, nil))
            rejected[correction.conversation, default: []].append((trim(correction.correctedText), nil))
        }
        for rating in material.ratedAnswers {
            if rating.isGood {
                chosen[rating.conversation, default: []].append((trim(rating.text), rating.ratingID))
            } else {
                rejected[rating.conversation, default: []].append((trim(rating.text), rating.ratingID))
            }
        }
        var pairs: [PreferenceOptimization.PreferencePair] = [], usedRatings = Set<Int64>()
        var conversations = order, listed = Set(order)
        for rating in material.ratedAnswers where listed.insert(rating.conversation).inserted { conversations.append(rating.conversation) }
        for conversation in conversations {
            let better = chosen[conversation] ?? [], worse = rejected[conversation] ?? []
            let (prompt, context) = Self.split(conversation)
            let betterTexts = Set(better.map(\.text))
            var seen = Set<[String]>()
            for good in better {
                for bad in worse where bad.text != good.text && !betterTexts.contains(bad.text) {
                    let isNew = !seen.contains([good.text, bad.text])
                    if isNew, seen.count == Self.maximumPairsPerConversation { continue }
                    for id in [good.ratingID, bad.ratingID].compactMap({ $0 }) { usedRatings.insert(id) }
                    guard isNew else { continue }
                    seen.insert([good.text, bad.text])
                    pairs.append(PreferenceOptimization.PreferencePair(prompt: prompt, chosen: good.text, rejected: bad.text, context: context))
                }
            }
        }
        self.pairs = pairs
        ratingIDs = usedRatings.sorted()
        taught = order.map { conversation in
            (conversation.map(Self.message), taughtByConversation[conversation]!)
        }
    }

    /// The examples as `model` reads a conversation (`LanguageModel.replyPrompt`): as they are
    /// for a chat template; for a plain model, the whole transcript as the prompt and each answer
    /// as the line that continues it, so that the chat's answers change as training meant.
    package func read(by model: LanguageModel) -> CorrectionExamples {
        guard model.chatTemplate == nil else { return self }
        var read = self
        read.demonstrations = demonstrations.map {
            Finetuning.Demonstration(prompt: LanguageModel.transcript(of: $0.messages), response: model.replyTarget($0.response))
        }
        read.pairs = pairs.map {
            PreferenceOptimization.PreferencePair(
                prompt: LanguageModel.transcript(of: $0.messages), chosen: model.replyTarget($0.chosen), rejected: model.replyTarget($0.rejected))
        }
        return read
    }

    /// The last user turn and the turns before it.
    private static func split(_ conversation: [Feedback.ChatMessage]) -> (prompt: String, context: [LanguageModeling.ChatMessage]) {
        let messages = conversation.map(message)
        guard let last = messages.last else { return ("", []) }
        return (last.content, Array(messages.dropLast()))
    }

    private static func message(_ message: Feedback.ChatMessage) -> LanguageModeling.ChatMessage {
        LanguageModeling.ChatMessage(role: message.role.rawValue, content: message.content)
    }
}
