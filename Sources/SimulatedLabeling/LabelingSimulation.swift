// Simulated annotators working through the feedback store exactly as people do through the server.

import Annotators
import Feedback

extension SimulatedAnnotator {
    /// This annotator's judgment of a task: a Plackett-Luce ranking of its completions, or, when
    /// every completion scores below the annotator's bar, a "both bad" tie.
    package mutating func judgment(of task: AnnotationTask) -> JudgmentSubmission {
        let texts = task.completions.map(\.text)
        let ids = task.completions.map(\.id)
        if callsAllBad(texts) {
            return JudgmentSubmission(taskID: task.taskID, kind: .ranking, tiers: [ids], bothBad: true)
        }
        let tiers = rank(texts).map { tier in tier.map { ids[$0] } }
        return JudgmentSubmission(taskID: task.taskID, kind: .ranking, tiers: tiers)
    }
}

/// A panel of simulated annotators taking tasks from a store and submitting judgments to it.
package struct LabelingSimulation: Sendable {
    /// A simulated annotator and the store annotator it acts as.
    package struct Member: Sendable {
        /// The annotator's name in the store.
        package var name: String
        /// Its judging behaviour.
        package var annotator: SimulatedAnnotator
    }

    /// The panel.
    package private(set) var members: [Member]

    /// A panel named `"\(namePrefix)-\(i)"`, member i using rater column i (see `SimulatedAnnotator.panel`).
    package init(
        lexicon: RaterLexicon, count: Int, temperature: Double = 1, tieMargin: Double = 0,
        bothBadBelow: Double? = nil, seed: UInt64, namePrefix: String = "simulated-rater"
    ) throws {
        let panel = try SimulatedAnnotator.panel(
            lexicon: lexicon, count: count, temperature: temperature, tieMargin: tieMargin,
            bothBadBelow: bothBadBelow, seed: seed)
        members = panel.enumerated().map { Member(name: "\(namePrefix)-\($0.offset)", annotator: $0.element) }
    }

    /// Judgments each member submitted, by name.
    package typealias Report = [String: Int]

    /// Lets members take turns (one task each per round, so coverage spreads as with people
    /// working side by side) until each has made `judgmentsPerAnnotator` judgments or no task is
    /// left for it. Deterministic for a given store content and seed.
    package mutating func run(on store: FeedbackStore, judgmentsPerAnnotator: Int) async throws -> Report {
        var ids: [Int64] = []
        for member in members {
            ids.append(try await store.annotator(named: member.name).id!)
        }
        var report = Report(uniqueKeysWithValues: members.map { ($0.name, 0) })
        var active = Set(members.indices)
        for _ in 0..<judgmentsPerAnnotator where !active.isEmpty {
            for index in members.indices where active.contains(index) {
                guard let task = try await store.nextTask(for: ids[index]) else {
                    active.remove(index)
                    continue
                }
                let submission = members[index].annotator.judgment(of: task)
                try await store.submit(submission, by: ids[index])
                report[members[index].name, default: 0] += 1
            }
        }
        return report
    }
}
