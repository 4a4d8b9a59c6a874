// Shared helpers for the store tests: a small task.

import Foundation
@testable import Feedback

/// A task over `models.count` completions, completion i written by `models[i]`.
func makeTask(_ store: FeedbackStore, prompt: String = "The film opens with", models: [String]) async throws -> TaskDetails {
    try await store.createTask(prompt: prompt, completions: models.enumerated().map { index, model in
        NewCompletion(text: "answer \(index) by \(model)", provenance: Provenance(model: model, seed: UInt64(index)))
    })
}
