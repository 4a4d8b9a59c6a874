// What a correction teaches a plain model: the line its chat reads.
import FeedbackTestSupport
import Foundation
import LanguageModeling
import ModelTestSupport
import Testing

/// The chat reads a plain model's reply up to its first line break, so a correction written on
/// several lines is taught, and checked, as the one line the chat could show.
@Test func aPlainModelIsTaughtAMultiLineCorrectionAsOneLine() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let model = try LanguageModel.load(from: saveTinyLlama(in: folder))
    #expect(model.chatTemplate == nil)
    let target = model.replyTarget("I'm a chatbot.\n  I write text.\n")
    #expect(target == " I'm a chatbot. I write text.\n")
    #expect(model.replyText(target + "User: more") == "I'm a chatbot. I write text.")
}
