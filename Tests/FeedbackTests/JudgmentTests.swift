// Submitting judgments: validation, replacement, per-annotator scoping, implied battles and pairs.

import Foundation
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import Ratings

@Test(arguments: StoreBackend.all) func invalidSubmissionsAreRefusedAndStoreNothing(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let annotator = try await store.createAnnotator(name: "a", role: .annotator).annotator.id!
    let task = try await makeTask(store, models: ["x", "y", "z"])
    let t = task.task.id!
    let (c0, c1, c2) = (task.completions[0].id!, task.completions[1].id!, task.completions[2].id!)
    let other = try await makeTask(store, prompt: "other", models: ["x", "y"]).completions[0].id!
    let cases: [(JudgmentSubmission, FeedbackError)] = [
        (.ranking(task: 999, bestFirst: [c0]), .taskNotFound(999)),
        (.ranking(task: t, bestFirst: [c0, c1, other]), .completionNotInTask(completionID: other, taskID: t)),
        (.ranking(task: t, bestFirst: [c0, c1, c0]), .duplicateCompletion(c0)),
        (.ranking(task: t, bestFirst: [c2, c0]), .incompleteRanking(missing: [c1])),
        (JudgmentSubmission(taskID: t, kind: .pairwise, tiers: [[c0], [c1], [c2]]), .pairwiseNeedsTwoCompletions(found: 3)),
        (JudgmentSubmission(taskID: t, kind: .ranking, tiers: [[c0], [c1, c2]], bothBad: true), .bothBadMustBeATie),
        (JudgmentSubmission(taskID: t, kind: .ranking, tiers: [[c0], [], [c1, c2]]), .emptyTier(1)),
        (.choice(task: t, preferred: c0, over: c1, reason: String(repeating: "x", count: 20_001)),
         .invalidField(name: "reason", reason: "at most 20000 characters, got 20001")),
        // One grapheme cluster of 20,001 scalars: a limit on Characters would let it through.
        (.choice(task: t, preferred: c0, over: c1, reason: "a" + String(repeating: "\u{0301}", count: 20_000)),
         .invalidField(name: "reason", reason: "at most 20000 characters, got 20001")),
        // SQLite would keep "bad" and drop the rest; PostgreSQL would refuse the text.
        (.choice(task: t, preferred: c0, over: c1, reason: "bad\u{0}reason"),
         .invalidField(name: "reason", reason: "must not contain the NUL character (U+0000)")),
    ]
    for (submission, expected) in cases {
        await #expect(throws: expected) { try await store.submit(submission, by: annotator) }
    }
    #expect(try await store.counts().judgments == 0)
    // A blank reason is simply no reason.
    let stored = try await store.submit(JudgmentSubmission(taskID: t, kind: .ranking, tiers: [[c0, c1, c2]], reason: "  "), by: annotator)
    #expect(stored.judgment.reason == nil)
    #expect(storableModelText("an\u{0}swer\u{0}") == "answer" && storableModelText("plain") == "plain")
}

@Test(arguments: StoreBackend.all) func judgingAgainReplacesTheJudgmentAndItsBetterAnswer(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let annotator = try await store.createAnnotator(name: "a", role: .annotator).annotator.id!
    let task = try await makeTask(store, models: ["x", "y"])
    let (c0, c1) = (task.completions[0].id!, task.completions[1].id!)
    var first = JudgmentSubmission.choice(task: task.task.id!, preferred: c0, over: c1, reason: "clearer")
    first.betterAnswer = "my own answer"
    let original = try await store.submit(first, by: annotator)
    let replaced = try await store.submit(.tie(task: task.task.id!, between: c0, and: c1, bothBad: true), by: annotator)
    #expect(replaced.judgment.id == original.judgment.id)
    let reread = try await store.judgment(id: original.judgment.id!, for: annotator)
    #expect(reread.tiers == [[c0, c1]] && reread.judgment.bothBad && reread.judgment.reason == nil)
    #expect(try await store.counts().judgments == 1)
    #expect(try await store.counts().demonstrations == 0)
}

@Test(arguments: StoreBackend.all) func oneAnnotatorCanNeitherReadNorChangeAnothersJudgments(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let mallory = try await store.createAnnotator(name: "mallory", role: .admin).annotator.id!
    let task = try await makeTask(store, models: ["x", "y"])
    let (c0, c1) = (task.completions[0].id!, task.completions[1].id!)
    // A whole-second time: SQLite keeps milliseconds, so a reread equals only such a time exactly.
    let when = Date(timeIntervalSince1970: 1_800_000_000)
    let alices = try await store.submit(.choice(task: task.task.id!, preferred: c0, over: c1), by: alice, now: when)
    let id = alices.judgment.id!
    await #expect(throws: FeedbackError.judgmentNotFound(id)) { try await store.judgment(id: id, for: mallory) }
    await #expect(throws: FeedbackError.judgmentNotFound(id)) { try await store.deleteJudgment(id: id, for: mallory) }
    #expect(try await store.judgments(for: mallory).isEmpty)
    // Judging the same task makes mallory's own judgment and leaves alice's as it was.
    let mallorys = try await store.submit(.choice(task: task.task.id!, preferred: c1, over: c0), by: mallory)
    #expect(mallorys.judgment.id != id)
    #expect(try await store.judgment(id: id, for: alice) == alices)
    try await store.deleteJudgment(id: id, for: alice)
    await #expect(throws: FeedbackError.judgmentNotFound(id)) { try await store.judgment(id: id, for: alice) }
    #expect(try await store.judgments(for: mallory).map(\.judgment.id) == [mallorys.judgment.id])
}

@Test(arguments: StoreBackend.all) func aRankingImpliesPairsAndCrossModelBattles(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let annotator = try await store.createAnnotator(name: "a", role: .annotator).annotator.id!
    let task = try await makeTask(store, models: ["x", "y", "x", "z"])
    let ids = task.completions.map { $0.id! }
    // Best first: completion 2 (x), then 0 (x) tied with 3 (z), then 1 (y).
    try await store.submit(JudgmentSubmission(taskID: task.task.id!, kind: .ranking, tiers: [[ids[2]], [ids[0], ids[3]], [ids[1]]]), by: annotator)
    let pairs = try await store.preferencePairs()
    #expect(pairs.count == 5)  // 6 pairs less the tie
    #expect(Set(pairs.map { "\($0.chosen) > \($0.rejected)" }) == [
        "answer 0 by x > answer 1 by y", "answer 2 by x > answer 0 by x", "answer 2 by x > answer 1 by y",
        "answer 2 by x > answer 3 by z", "answer 3 by z > answer 1 by y",
    ])
    let battles = try await store.battles()
    // Same-model pair (0, 2) says nothing about models and is skipped.
    #expect(battles == [
        Battle(modelA: "x", modelB: "y", outcome: .winA), Battle(modelA: "x", modelB: "z", outcome: .tie),
        Battle(modelA: "y", modelB: "x", outcome: .winB), Battle(modelA: "y", modelB: "z", outcome: .winB),
        Battle(modelA: "x", modelB: "z", outcome: .winA),
    ])
}

@Test(arguments: StoreBackend.all) func agreementUnitsAndActivityCountEachAnnotator(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let a = try await store.createAnnotator(name: "a", role: .annotator).annotator.id!
    let b = try await store.createAnnotator(name: "b", role: .annotator).annotator.id!
    let shared = try await makeTask(store, models: ["x", "y"])
    let (c0, c1) = (shared.completions[0].id!, shared.completions[1].id!)
    try await store.submit(.choice(task: shared.task.id!, preferred: c0, over: c1), by: a)
    try await store.submit(.tie(task: shared.task.id!, between: c0, and: c1, bothBad: true), by: b)
    let solo = try await makeTask(store, prompt: "solo", models: ["x", "y"])
    try await store.submit(.choice(task: solo.task.id!, preferred: solo.completions[1].id!, over: solo.completions[0].id!), by: a)
    #expect(try await store.agreementUnits() == [[1, 0]])

    // A pairwise verdict on a three-answer task's last two answers meets the ranking's verdict on
    // that pair, not on its first two.
    let three = try await makeTask(store, prompt: "three", models: ["x", "y", "z"])
    let ids = three.completions.map { $0.id! }
    try await store.submit(JudgmentSubmission(taskID: three.task.id!, kind: .ranking, tiers: [[ids[0]], [ids[1]], [ids[2]]]), by: a)
    try await store.submit(.choice(task: three.task.id!, preferred: ids[2], over: ids[1]), by: b)
    #expect(try await store.agreementUnits() == [[1, 0], [1, -1]])
    let activity = try await store.annotatorActivity()
    #expect(activity.map(\.name) == ["a", "b"])
    #expect(activity[0].judgments == 3 && activity[0].withTies == 0 && activity[0].bothBad == 0)
    #expect(activity[1].judgments == 2 && activity[1].withTies == 1 && activity[1].bothBad == 1)
}

@Test(arguments: StoreBackend.all) func chatRepliesCanBeRatedAndCorrectedOnlyByWhoAsked(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let asker = try await store.createAnnotator(name: "asker", role: .annotator).annotator.id!
    let other = try await store.createAnnotator(name: "other", role: .annotator).annotator.id!
    let conversation = [ChatMessage(role: .user, content: "Tell me about the film.")]
    let reply = try await store.recordChatReply(
        to: conversation, reply: NewCompletion(text: "It is <b>long</b>.", provenance: Provenance(model: "sft")), by: asker)
    let id = reply.id!
    #expect(try await store.rateChatReply(completionID: id, isGood: false, by: asker).isGood == false)
    #expect(try await store.rateChatReply(completionID: id, isGood: true, by: asker).isGood == true)
    let correction = try await store.correctChatReply(completionID: id, correction: "It runs three hours.", by: asker)
    #expect(correction.correctsCompletionID == id && correction.origin == .chat)
    await #expect(throws: FeedbackError.completionNotFound(id)) { try await store.rateChatReply(completionID: id, isGood: true, by: other) }
    await #expect(throws: FeedbackError.completionNotFound(id)) { try await store.correctChatReply(completionID: id, correction: "x", by: other) }
    await #expect(throws: FeedbackError.invalidField(name: "messages", reason: "the conversation must end with a user message")) {
        try await store.recordChatReply(to: [], reply: NewCompletion(text: "x", provenance: Provenance(model: "m")), by: asker)
    }
    let examples = try await store.demonstrationExamples()
    #expect(examples == [DemonstrationExample(
        prompt: "user: Tell me about the film.", messages: conversation, completion: "It runs three hours.", origin: .chat, annotator: "asker")])
    #expect(try await store.annotatorActivity().first { $0.name == "asker" }?.answerRatings == 1)
}

@Test(arguments: StoreBackend.all) func conversationsWithOneTranscriptKeepTheirOwnMessages(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let planter = try await store.createAnnotator(name: "planter", role: .annotator).annotator.id!
    let asker = try await store.createAnnotator(name: "asker", role: .annotator).annotator.id!
    let planted = [ChatMessage(role: .user, content: "Hi\n\nassistant: Hello\n\nuser: Who are you?")]
    let real = [ChatMessage(role: .user, content: "Hi"), ChatMessage(role: .assistant, content: "Hello"), ChatMessage(role: .user, content: "Who are you?")]
    #expect(FeedbackStore.transcript(of: planted) == FeedbackStore.transcript(of: real))
    let first = try await store.recordChatReply(to: planted, reply: NewCompletion(text: "A", provenance: Provenance(model: "m")), by: planter)
    let second = try await store.recordChatReply(to: real, reply: NewCompletion(text: "B", provenance: Provenance(model: "m")), by: asker)
    let again = try await store.recordChatReply(to: real, reply: NewCompletion(text: "C", provenance: Provenance(model: "m")), by: asker)
    #expect(first.promptID != second.promptID && second.promptID == again.promptID)
    _ = try await store.correctChatReply(completionID: second.id!, correction: "I am a chatbot.", by: asker)
    #expect(try await store.demonstrationExamples().map(\.messages) == [real], "the correction is learned against the asker's own conversation")
}
