// `rlhf learn` as a library: read the store's corrections and ratings, train LoRA adapters on
// them (SFT, then DPO), and write the result as a new adapter version: a PEFT folder with its
// provenance, recorded in the store, every earlier version kept. A version is trained in a
// hidden partial folder and renamed into place when complete, so a crash never leaves a
// half-written version under its real name (its store row says "training", then "failed").
import Feedback
import Finetuning
import Foundation
import LanguageModeling
import Transformer

/// What one round of learning produced.
package struct LearnedVersion {
    /// The store's record of the version (ready, and active when asked).
    package var version: AdapterVersion
    /// What provenance.json in its folder says.
    package var provenance: AdapterProvenance
    /// The folder: adapter_config.json, adapter_model.safetensors, provenance.json, training/.
    package var folder: URL
}

/// What the learner reports while it works.
package enum LearningEvent {
    /// The examples are built and the version's row exists.
    case started(version: Int64, demonstrations: Int, pairs: Int)
    /// A training event of the "sft" or "dpo" stage.
    case training(stage: String, TrainingEvent)
    /// A corrected conversation's greedy answer after training.
    case checked(AdapterProvenance.TaughtAnswer)
    /// A held-out prompt's drift after training.
    case drifted(HeldOutDrift)
}

package struct CorrectionLearner: Sendable {
    package let configuration: LearningConfiguration

    package init(configuration: LearningConfiguration = LearningConfiguration()) throws {
        try configuration.validate()
        self.configuration = configuration
    }

    /// The folder of version `id` under `versions`.
    package static func folder(of id: Int64, in versions: URL) -> URL {
        versions.appendingPathComponent(String(format: "version-%04d", id))
    }

    /// Loads `baseModel` (with `startingAdapter` on top, trained further, or fresh adapters) and
    /// learns a new version into `versions`.
    package func learn(
        from store: FeedbackStore, storeName: String, baseModel: URL, startingAdapter: URL?, versions: URL, activate: Bool = true,
        events: @escaping (LearningEvent) -> Void = { _ in }
    ) async throws -> LearnedVersion {
        let model = try LanguageModel.load(from: baseModel, adapter: startingAdapter, trainable: false)
        return try await learn(from: store, storeName: storeName, model: model, startingAdapter: startingAdapter, versions: versions, activate: activate, events: events)
    }

    /// Learns a new version on `model`, whose adapters (attached fresh when it has none) are
    /// trained in place: afterwards the model answers as the new version does.
    package func learn(
        from store: FeedbackStore, storeName: String, model: LanguageModel, startingAdapter: URL?, versions: URL, activate: Bool = true,
        events: @escaping (LearningEvent) -> Void = { _ in }
    ) async throws -> LearnedVersion {
        let material = try await store.learningMaterial()
        let examples = CorrectionExamples(material)
        guard !examples.demonstrations.isEmpty else { throw LearningError.nothingToLearn(source: storeName) }
        guard let base = model.source?.standardizedFileURL else {
            throw LearningError.invalidSetting(field: "model", expected: "loaded from a file or folder, which the adapter names as its base")
        }
        if model.network.adapters == nil {
            let defaults = model.network is GPT ? LoRAConfiguration(targetModules: LoRAConfiguration.gptModules) : LoRAConfiguration()
            try model.network.attachAdapters(configuration.lora ?? defaults, seed: configuration.seed)
        }
        try FileManager.default.createDirectory(at: versions, withIntermediateDirectories: true)
        let activeAtStart = try await store.activeAdapterVersion()?.id
        let started = Date()
        let version = try await store.beginAdapterVersion(
            baseModel: base.path, startingAdapter: startingAdapter?.standardizedFileURL.path,
            demonstrationIDs: examples.demonstrationIDs, ratingIDs: examples.ratingIDs,
            folder: { Self.folder(of: $0, in: versions).path }, now: started)
        let id = version.id, final = Self.folder(of: id, in: versions)
        let partial = versions.appendingPathComponent(".\(final.lastPathComponent).partial")
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(FeedbackStore.adapterTrainingLease / 10))
                if !Task.isCancelled { try? await store.renewAdapterVersion(id) }
            }
        }
        defer { heartbeat.cancel() }
        events(.started(version: id, demonstrations: examples.demonstrations.count, pairs: examples.pairs.count))
        // A starting adapter keeps its own settings; the provenance records the ones trained.
        var trained = configuration
        trained.lora = model.network.adapters?.configuration
        var renamed = false
        do {
            try? FileManager.default.removeItem(at: partial)
            let outcome = try await Self.onOwnThread { try self.train(model, on: examples, in: partial.appendingPathComponent("training"), events: events) }
            try model.saveAdapters(to: partial)
            let provenance = AdapterProvenance(
                version: id, baseModel: base.path, startingAdapter: startingAdapter?.standardizedFileURL.path, store: storeName,
                startedAt: started, finishedAt: Date(), corrections: material.corrections.filter { examples.demonstrationIDs.contains($0.demonstrationID) },
                ratingIDs: examples.ratingIDs, pairs: examples.pairs.count, configuration: trained, metrics: outcome.metrics,
                taught: outcome.taught, drift: outcome.drift)
            try provenance.write(to: partial)
            try FileManager.default.moveItem(at: partial, to: final)
            renamed = true
            let finished = try await store.finishAdapterVersion(
                id, metrics: outcome.metrics, activation: activate ? .unlessChangedFrom(activeAtStart) : .never, now: provenance.finishedAt)
            return LearnedVersion(version: finished, provenance: provenance, folder: final)
        } catch {
            // A version the store could not mark ready must not sit under its real name.
            try? FileManager.default.removeItem(at: renamed ? final : partial)
            try? await store.failAdapterVersion(id, reason: "\(error)")
            throw error
        }
    }

    /// Runs minutes of training on a thread of its own rather than on one of the few threads
    /// Swift's concurrency pool has (one per core): a server learning in the background keeps
    /// answering requests meanwhile.
    private static func onOwnThread<T: Sendable>(_ body: @escaping () throws -> T) async throws -> T {
        let work = UncheckedWork(body: body)
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result(catching: work.body)) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}

/// The training closure handed to its thread: it captures the model, which is not Sendable, but
/// only that thread uses it while the caller waits for the result.
private struct UncheckedWork<T>: @unchecked Sendable {
    let body: () throws -> T
}
