// The whole loop in a real browser against a real `rlhf serve --learn-every 1`: a person signs
// in, chats with a small Llama, corrects its answer; the server learns a new adapter version in
// the background from that correction and switches the chat to it; asked again, the chat gives
// the corrected answer, and says which version wrote it.
import BrowserTestSupport
import Feedback
import Foundation
import LanguageModeling
import Testing
import Tokenization
import Transformer

private let chromium = HeadlessChromium.executable()

@Test(.enabled(if: chromium != nil, "Chromium is not installed (Debian package 'chromium'); the test command installs it"))
func aCorrectionInTheBrowserIsLearnedAndTheChatAnswersWithIt() async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("learn-browser-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let base = folder.appendingPathComponent("base")
    let text = (0..<20).map { "User: ab\($0 % 3)\nAssistant: cd ef\n" }
    let tokenizer = try BPETrainer(config: BPETrainingConfig(vocabularySize: 300)).train(on: text)
    let network = try Llama(configuration: LlamaConfiguration(
        vocabularySize: 300, contextLength: 64, width: 32, layers: 2, heads: 4, keyValueHeads: 2, feedForwardWidth: 64))
    network.initialize(seed: 3)
    try LanguageModel(network: network, tokenizer: tokenizer).save(to: base)

    let db = folder.appendingPathComponent("feedback.sqlite").path
    let store = try FeedbackStore(path: db)
    let token = try await store.createAnnotator(name: "alice", role: .annotator).token
    let configuration = folder.appendingPathComponent("learn.json")
    try Data(#"""
        {"sft": {"optimization": {"steps": 60, "learningRate": 0.01, "minimumLearningRate": 0.001}},
         "dpo": {"optimization": {"steps": 4}}, "heldOutPrompts": ["ab1", "ab2"], "heldOutAnswerTokens": 8}
        """#.utf8).write(to: configuration)
    let versions = folder.appendingPathComponent("versions")
    let server = try ServeProcess([
        "--db", db, "--model", base.path, "--versions", versions.path, "--learn-every", "1", "--learn-config", configuration.path,
        "--temperature", "0", "--max-new-tokens", "8", "--port", "0",
    ])
    defer { server.stop() }
    let port = try await server.waitFor(#"listening on http://127\.0\.0\.1:(\d+)"#)
    let address = "http://127.0.0.1:\(port)"

    let browser = try await HeadlessChromium(executable: try #require(chromium))
    defer { browser.close() }
    try await browser.open("\(address)/login")
    _ = try await browser.evaluate("document.getElementById('token').value = \(try HeadlessChromium.quoted(token))")
    try await browser.click("#sign-in")
    try await browser.waitUntil("location.pathname === '/label' && document.readyState === 'complete'")

    let first = try await ask(browser, address: address, "ab0")
    let correction = first.text == "cd" ? "ef" : "cd"
    try await browser.click(".message.assistant .correct")
    _ = try await browser.evaluate("document.querySelector('.correction-text').value = \(try HeadlessChromium.quoted(correction))")
    try await browser.click(".correction button[type=submit]")
    try await browser.waitUntil("document.querySelector('.reply-status').textContent.startsWith('Correction saved')")

    // The server learns in the background and says when the chat answers with the new version.
    _ = try await server.waitFor("the chat answers with version 1")
    let second = try await ask(browser, address: address, "ab0")
    #expect(first.model == "base" && second.model == "base+v1", "\(first) then \(second)")
    #expect(second.text == correction, "asked again after learning: \(second); server output:\n\(server.log)")

    let version = try #require(try await store.activeAdapterVersion())
    #expect(version.status == .ready && version.id == 1)
    #expect(try await store.demonstrationIDs(learnedBy: 1).count == 1)
    #expect(FileManager.default.fileExists(atPath: versions.appendingPathComponent("version-0001/provenance.json").path))
}

/// Opens a fresh chat, asks `question`, and waits for the streamed reply to be stored.
private func ask(_ browser: HeadlessChromium, address: String, _ question: String) async throws -> (text: String, model: String) {
    // Marks the page being left, so that its reply is never taken for the new page's.
    _ = try await browser.evaluate("window.__left = true")
    try await browser.open("\(address)/chat")
    try await browser.waitUntil("window.__left === undefined && document.readyState === 'complete' && document.getElementById('chat-input') !== null")
    _ = try await browser.evaluate("document.getElementById('chat-input').value = \(try HeadlessChromium.quoted(question))")
    try await browser.click("#send")
    try await browser.waitUntil("document.querySelector('.message.assistant[data-completion-id]') !== null", seconds: 60)
    let text = try await browser.evaluate("document.querySelector('.message.assistant .message-text').textContent") as? String
    let model = try await browser.evaluate("document.querySelector('.message.assistant .reply-model').textContent") as? String
    return (text ?? "", model ?? "")
}
