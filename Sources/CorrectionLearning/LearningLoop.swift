// Learning while the chat runs (`rlhf serve --learn-every N`): a loop that polls the store,
// starts a learning round in the background once N corrections are not yet learned, and keeps
// the chat answering with whichever version the store marks active, so a newly learned
// version, or a rollback on the admin page (by this process or another one), takes effect
// without a restart.
import Feedback
import Foundation

/// Where the chat's answers come from, switched to another adapter while it serves.
package protocol AdapterSwitch: Sendable {
    /// Answers from now on with the adapter folder of `version`; nil: as the chat started.
    func useAdapter(_ folder: URL?, version: Int64?) async throws
}

package actor LearningLoop {
    private let store: FeedbackStore
    private let storeName: String
    private let baseModel: URL
    private let startingAdapter: URL?
    private let versions: URL
    private let every: Int?
    private let learner: CorrectionLearner
    private let chat: any AdapterSwitch
    private let log: @Sendable (String) -> Void
    /// The version the chat answers with now (nil: none).
    private(set) var followed: Int64?
    private var round: Task<Void, Never>?
    /// Corrections not yet learned when the last round failed (nil: it did not fail).
    private var failedAt: Int?
    /// The version another learner was training when this one was due (said once).
    private var waitedFor: Int64?

    /// - Parameter every: learn after this many corrections not yet learned; nil only follows.
    package init(
        store: FeedbackStore, storeName: String, baseModel: URL, startingAdapter: URL?, versions: URL, every: Int?,
        learner: CorrectionLearner, chat: any AdapterSwitch, log: @escaping @Sendable (String) -> Void
    ) {
        self.store = store
        self.storeName = storeName
        self.baseModel = baseModel.standardizedFileURL
        self.startingAdapter = startingAdapter
        self.versions = versions
        self.every = every
        self.learner = learner
        self.chat = chat
        self.log = log
    }

    /// Polls every `interval` until cancelled; a failed poll is logged and retried.
    package func run(interval: Duration = .seconds(2)) async {
        while !Task.isCancelled {
            do { try await poll() } catch { log("learning loop: \(error)") }
            try? await Task.sleep(for: interval)
        }
        round?.cancel()
    }

    /// One look at the store: follow the active version, and start a round when one is due. After
    /// a failed round the next waits for another correction: the same material would fail again,
    /// and each try leaves a failed version behind.
    package func poll() async throws {
        try await follow()
        guard let every, round == nil else { return }
        let waiting = try await store.correctionsNotYetLearned()
        guard waiting >= every, waiting != failedAt else { return }
        // Asked before the round loads the model and reads the store: another learner trains
        // for minutes, and this loop would load and give up every poll in the meantime.
        if let other = try await store.liveTrainingAdapterVersion() {
            noteOtherLearner(training: other)
            return
        }
        let (learner, store, storeName, baseModel, startingAdapter, versions, log) =
            (learner, store, storeName, baseModel, startingAdapter, versions, log)
        round = Task.detached(priority: .background) { [weak self] in
            do {
                let learned = try await learner.learn(
                    from: store, storeName: storeName, baseModel: baseModel, startingAdapter: startingAdapter, versions: versions)
                let state = learned.version.isActive
                    ? "" : " (not made active: an administrator rolled back or switched versions; the admin page activates it)"
                log("learned version \(learned.version.id) in \(learned.folder.path)\(state)")
                await self?.roundEnded(failedAt: nil)
            } catch AdapterVersionError.alreadyTraining(let other) {
                // Another learner on this store (begun since the poll): its version will count these corrections as learned.
                await self?.roundEnded(failedAt: nil, waitingFor: other)
            } catch {
                log("learning round failed: \(error); the next waits for another correction")
                await self?.roundEnded(failedAt: waiting)
            }
        }
    }

    /// Waits for the running round, if any (for tests and shutdown).
    package func waitForRound() async {
        await round?.value
    }

    private func roundEnded(failedAt waiting: Int?, waitingFor other: Int64? = nil) {
        round = nil
        failedAt = waiting
        if let other { noteOtherLearner(training: other) } else { waitedFor = nil }
    }

    /// Another learner's version `other` is training: said once per version.
    private func noteOtherLearner(training other: Int64) {
        if waitedFor != other { log("version \(other) is training in another learner; this one waits") }
        waitedFor = other
    }

    /// Switches the chat to the store's active version when it changed. A version this server
    /// cannot serve (learned on another base, its folder gone or unreadable) leaves the chat on
    /// the model it started with, not on the version the administrator moved away from, and
    /// says why once.
    private func follow() async throws {
        let active = try await store.activeAdapterVersion()
        guard active?.id != followed else { return }
        followed = active?.id
        guard let active else {
            try await chat.useAdapter(nil, version: nil)
            log("the chat answers with the model it started with")
            return
        }
        let folder = URL(fileURLWithPath: active.folder)
        do {
            guard URL(fileURLWithPath: active.baseModel).standardizedFileURL.path == baseModel.path else {
                throw LearningError.invalidSetting(field: "version \(active.id)", expected: "an adapter of \(baseModel.path), not of \(active.baseModel)")
            }
            try await chat.useAdapter(folder, version: active.id)
            log("the chat answers with version \(active.id)")
        } catch {
            try await chat.useAdapter(nil, version: nil)
            log("version \(active.id) cannot be served here (\(error)); the chat answers with the model it started with")
        }
    }
}
