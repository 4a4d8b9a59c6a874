// Shared helpers for the store tests: a store in a fresh temporary directory, and a small task.

import Foundation
@testable import Feedback

/// A fresh directory under the system's temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A file-backed store (WAL needs a file) in a fresh directory.
func makeStore() throws -> FeedbackStore {
    try FeedbackStore(path: temporaryDirectory().appendingPathComponent("feedback.sqlite").path)
}

/// A task over `models.count` completions, completion i written by `models[i]`.
func makeTask(_ store: FeedbackStore, prompt: String = "The film opens with", models: [String]) async throws -> TaskDetails {
    try await store.createTask(prompt: prompt, completions: models.enumerated().map { index, model in
        NewCompletion(text: "answer \(index) by \(model)", provenance: Provenance(model: model, seed: UInt64(index)))
    })
}
