// What a learning round trains on, read from a store through the chat's own calls: each
// correction once as a demonstration, pairs over the corrected and thumbs-down answers, and
// nothing from ratings that have no better answer beside them.
import Foundation
import Testing
@testable import CorrectionLearning
@testable import Feedback
import FeedbackTestSupport

/// Stores `answer` as the model's chat reply to `question`, asked by `annotator`.
func chatReply(_ store: FeedbackStore, _ question: [ChatMessage], _ answer: String, by annotator: Int64) async throws -> Int64 {
    try await store.recordChatReply(to: question, reply: NewCompletion(text: answer, provenance: Provenance(model: "base")), by: annotator).id!
}

@Test(arguments: StoreBackend.all) func correctionsBecomeDemonstrationsAndPairsOverTheAnswersTheyReplace(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let bob = try await store.createAnnotator(name: "bob", role: .annotator).annotator.id!
    let who = [ChatMessage(role: .user, content: "Who are you?")]
    let followUp = who + [ChatMessage(role: .assistant, content: "I'm a chatbot."), ChatMessage(role: .user, content: "Can you sing?")]

    let first = try await chatReply(store, who, "I am the chatbot.", by: alice)
    _ = try await store.rateChatReply(completionID: first, isGood: false, by: alice)
    _ = try await store.correctChatReply(completionID: first, correction: "  I'm a chatbot.\n", by: alice)
    let second = try await chatReply(store, who, "I am an AI assistant.", by: bob)
    let secondRating = try await store.rateChatReply(completionID: second, isGood: false, by: bob)
    let sing = try await chatReply(store, followUp, "No.", by: alice)
    _ = try await store.correctChatReply(completionID: sing, correction: "No, I only write text.", by: alice)
    let unchanged = try await chatReply(store, followUp, "Yes!", by: bob)
    _ = try await store.correctChatReply(completionID: unchanged, correction: "Yes!", by: bob)
    // A thumbs-down with nothing better said about its conversation gives no pair.
    let lonely = try await chatReply(store, [ChatMessage(role: .user, content: "Hi")], "Bye", by: bob)
    _ = try await store.rateChatReply(completionID: lonely, isGood: false, by: bob)
    // A thumbs-up answer is the chosen side against a thumbs-down one, and both ratings are sources.
    let greeting = [ChatMessage(role: .user, content: "Hello")]
    let liked = try await store.rateChatReply(completionID: try await chatReply(store, greeting, "Hi there!", by: alice), isGood: true, by: alice)
    let disliked = try await store.rateChatReply(completionID: try await chatReply(store, greeting, "Go away.", by: bob), isGood: false, by: bob)

    let examples = CorrectionExamples(try await store.learningMaterial())
    #expect(examples.demonstrations.map(\.response) == ["I'm a chatbot.", "No, I only write text.", "Yes!"])
    #expect(examples.demonstrations[1].prompt == "Can you sing?")
    #expect(examples.demonstrations[1].context.map(\.role) == ["user", "assistant"])
    #expect(examples.demonstrationIDs.count == 3)
    let pairs = examples.pairs.map { "\($0.prompt): \($0.chosen) > \($0.rejected)" }
    #expect(pairs == [
        "Who are you?: I'm a chatbot. > I am the chatbot.",
        "Who are you?: I'm a chatbot. > I am an AI assistant.",
        "Can you sing?: No, I only write text. > No.",
        "Can you sing?: Yes! > No.",
        "Hello: Hi there! > Go away.",
    ], "an answer someone kept as their correction is never the rejected side")
    #expect(examples.ratingIDs.count == 4 && examples.ratingIDs.contains(secondRating.id!))
    #expect(examples.ratingIDs.contains(liked.id!) && examples.ratingIDs.contains(disliked.id!))
    #expect(examples.taught.map(\.answer) == ["I'm a chatbot.", "Yes!"], "the last correction of a conversation is what it should answer")
}

/// One conversation answered, corrected and rated many times gives at most
/// `maximumPairsPerConversation` pairs, and only ratings in a kept pair count as learned from.
@Test func aConversationGivesABoundedNumberOfPairs() async throws {
    let store = try await StoreBackend.sqlite.makeStore()
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let question = [ChatMessage(role: .user, content: "Who are you?")]
    var ratings: [Int64] = []
    for index in 0..<6 {
        let reply = try await chatReply(store, question, "wrong \(index)", by: alice)
        ratings.append(try await store.rateChatReply(completionID: reply, isGood: false, by: alice).id!)
        _ = try await store.correctChatReply(completionID: reply, correction: "right \(index)", by: alice)
    }
    let examples = CorrectionExamples(try await store.learningMaterial())
    #expect(examples.demonstrations.count == 6)
    #expect(examples.pairs.count == CorrectionExamples.maximumPairsPerConversation, "6 × 6 pairs, cut to the first 16")
    #expect(Set(examples.pairs.map { "\($0.chosen) > \($0.rejected)" }).count == examples.pairs.count)
    #expect(examples.pairs.first.map { "\($0.chosen) > \($0.rejected)" } == "right 0 > wrong 0")
    // 16 pairs: "right 0" and "right 1" against all six wrong answers, "right 2" against four.
    #expect(Set(examples.ratingIDs) == Set(ratings), "every thumbs-down answer is in a kept pair")
}
