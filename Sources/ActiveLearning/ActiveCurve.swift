// Active against random selection at equal label budgets: simulated annotators label through
// the feedback store's queue, and a reward-model ensemble retrained after every round of
// acquisitions is scored on held-out pairs.

import Annotators
import Feedback
import Foundation
import SimulatedLabeling

/// A candidate comparison task: a prompt and the completions to rank.
package struct PoolTask: Sendable, Equatable {
    package var prompt: String
    package var completions: [String]

    package init(prompt: String, completions: [String]) {
        self.prompt = prompt
        self.completions = completions
    }
}

/// How one learning-curve run labels and learns.
package struct ActiveCurveSettings: Codable, Sendable, Equatable {
    /// Labels (judgments) acquired in all.
    package var budget: Int
    /// Acquisition rounds; the ensemble is retrained and scored after each.
    package var rounds: Int
    /// Simulated annotators taking turns on the queue.
    package var annotators: Int
    /// Their Bradley-Terry noise scale.
    package var temperature: Double
    /// Texts whose hidden scores differ by less than this are a tie to them (a label that
    /// teaches no preference).
    package var tieMargin: Double
    /// The active policy's weights and random share (its seed is each run's).
    package var uncertaintyWeight: Double
    package var disagreementWeight: Double
    package var randomShare: Double
    /// The reward learned, which also decides how the active policy values a label.
    package var learner: PreferenceLearner
    /// The number the active policy ranks tasks by, for the ensemble learner.
    package var measure: UncertaintyMeasure
    /// The exponent of the pool density each task's uncertainty is multiplied by (see
    /// `poolDensity`); 0 leaves uncertainty alone.
    package var densityWeight: Double
    /// The ensemble's heads and training.
    package var ensemble: EnsembleSettings
    /// Hashed feature buckets.
    package var dimensions: Int
    /// Word counts divided by √(words + 1) (see `WordFeaturizer`).
    package var lengthNormalized: Bool

    package init(
        budget: Int = 1000, rounds: Int = 10, annotators: Int = 5, temperature: Double = 1, tieMargin: Double = 0, uncertaintyWeight: Double = 1,
        disagreementWeight: Double = 0.5, randomShare: Double = 0.1, learner: PreferenceLearner = .ensemble, measure: UncertaintyMeasure = .boundary,
        densityWeight: Double = 0,
        ensemble: EnsembleSettings = EnsembleSettings(), dimensions: Int = 4096, lengthNormalized: Bool = false
    ) {
        self.budget = budget
        self.rounds = rounds
        self.annotators = annotators
        self.temperature = temperature
        self.tieMargin = tieMargin
        self.uncertaintyWeight = uncertaintyWeight
        self.disagreementWeight = disagreementWeight
        self.randomShare = randomShare
        self.learner = learner
        self.measure = measure
        self.densityWeight = densityWeight
        self.ensemble = ensemble
        self.dimensions = dimensions
        self.lengthNormalized = lengthNormalized
    }

    /// The hashed word features these settings describe (runs may read other features).
    package var wordFeaturizer: WordFeaturizer { WordFeaturizer(dimensions: dimensions, lengthNormalized: lengthNormalized) }

    /// The queue policy of a run: `active` with these weights, otherwise uniformly random.
    func selection(active: Bool, seed: UInt64) -> TaskSelection {
        active
            ? TaskSelection(uncertaintyWeight: uncertaintyWeight, disagreementWeight: disagreementWeight, randomShare: randomShare, seed: seed)
            : .random(seed: seed)
    }
}

/// Held-out accuracy after a number of labels.
package struct CurvePoint: Codable, Sendable, Equatable {
    package var labels: Int
    package var accuracy: Double
}

/// An invalid experiment setting.
package enum ActiveCurveError: Error, Equatable, CustomStringConvertible {
    case invalidSetting(field: String, reason: String)

    package var description: String {
        switch self {
        case .invalidSetting(let field, let reason): "active-curve setting '\(field)': \(reason)"
        }
    }
}

/// One learning curve: a fresh in-memory store holding the pool, labelled under one policy.
package struct ActiveCurveRun: Sendable {
    package var pool: [PoolTask]
    package var heldOut: [PreferencePair]
    package var lexicon: RaterLexicon
    package var settings: ActiveCurveSettings
    /// What the heads read; `heldOut` must have been made with the same.
    package var featurizer: any TextFeaturizer
    /// Differences of unlabelled pairs whose margins active selection should learn most about
    /// (nil: the pool's own pairs); only the laplace learner aims at them.
    package var informationTargets: [SparseFeatures]?

    /// A run reading `featurizer`'s features, by default the settings' hashed words.
    package init(
        pool: [PoolTask], heldOut: [PreferencePair], lexicon: RaterLexicon, settings: ActiveCurveSettings, featurizer: (any TextFeaturizer)? = nil,
        informationTargets: [SparseFeatures]? = nil
    ) throws {
        guard settings.rounds >= 1, settings.annotators >= 1, settings.budget >= settings.rounds * settings.annotators else {
            throw ActiveCurveError.invalidSetting(field: "budget", reason: "needs ≥ 1 round and annotator and at least one label per annotator per round")
        }
        guard !pool.isEmpty, !heldOut.isEmpty else { throw ActiveCurveError.invalidSetting(field: "pool", reason: "the pool and held-out pairs must not be empty") }
        self.pool = pool
        self.heldOut = heldOut
        self.lexicon = lexicon
        self.settings = settings
        self.featurizer = featurizer ?? settings.wordFeaturizer
        self.informationTargets = informationTargets
    }

    /// The curve for `active` (or random) selection; deterministic given `seed`. `roundDone`
    /// hears each round's point as it is scored.
    package func curve(active: Bool, seed: UInt64, roundDone: (CurvePoint) -> Void = { _ in }) async throws -> [CurvePoint] {
        let store = try FeedbackStore.inMemory()
        var features: [Int64: [SparseFeatures]] = [:]
        for task in pool {
            let stored = try await store.createTask(
                prompt: task.prompt, completions: task.completions.map { NewCompletion(text: $0, provenance: Provenance(model: "pool")) })
            features[stored.task.id!] = task.completions.map(featurizer.features(of:))
        }
        let density = settings.densityWeight > 0 ? poolDensity(features, exponent: settings.densityWeight) : [:]
        var panel = try LabelingSimulation(
            lexicon: lexicon, count: settings.annotators, temperature: settings.temperature, tieMargin: settings.tieMargin, seed: seed)
        for member in panel.members { _ = try await store.annotator(named: member.name) }
        // The first round has no model to be unsure with: both runs of a seed label the same
        // random batch, and the active run takes its own queue from the second round on. The
        // two curves then share their first point, and each seed starts from a batch of its own.
        try await store.setTaskSelection(settings.selection(active: false, seed: seed))
        var points: [CurvePoint] = []
        var model: (any PreferenceModel)?
        for round in 1...settings.rounds {
            // Each round lifts the total to its share of the budget, a turn per annotator at a time.
            let target = settings.budget * round / settings.rounds
            let perAnnotator = (target - (points.last?.labels ?? 0) + settings.annotators - 1) / settings.annotators
            _ = try await panel.run(on: store, judgmentsPerAnnotator: perAnnotator)
            let ranked = try await store.rankedComparisons()
            let trained = try train(on: ranked, seed: seed &+ UInt64(round), previous: model)
            model = trained
            points.append(CurvePoint(labels: ranked.count, accuracy: trained.accuracy(on: heldOut)))
            roundDone(points.last!)
            if active {
                let values = trained.taskValues(features, batch: settings.budget / settings.rounds, targets: informationTargets)
                try await store.setTaskUncertainties(values.reduce(into: [:]) { $0[$1.key] = $1.value * (density[$1.key] ?? 1) })
                if round == 1 { try await store.setTaskSelection(settings.selection(active: true, seed: seed)) }
            }
        }
        return points
    }

    /// The learner retrained on every judgment so far; the Bayesian head starts from the last round's.
    private func train(on ranked: [RankedComparison], seed: UInt64, previous: (any PreferenceModel)?) throws -> any PreferenceModel {
        let judged = ranked.map { judgedPairs($0, featurizer: featurizer) }
        let pairs = judged.flatMap(\.preferences)
        switch settings.learner {
        case .ensemble:
            return MeasuredEnsemble(
                ensemble: PreferenceEnsemble.train(on: pairs, dimensions: featurizer.dimensions, settings: settings.ensemble, seed: seed),
                measure: settings.measure)
        case .laplace:
            return try BayesianPreferenceHead.fit(
                on: pairs, ties: judged.flatMap(\.ties), dimensions: featurizer.dimensions,
                startingFrom: previous as? BayesianPreferenceHead)
        }
    }
}

/// Every strict preference a stored judgment implies, and every pair it put in one tier; each
/// text is read once.
func judgedPairs(_ ranked: RankedComparison, featurizer: any TextFeaturizer) -> (preferences: [PreferencePair], ties: [PreferencePair]) {
    let completions = ranked.completions
    let features = completions.map { featurizer.features(of: $0.text) }
    var preferences: [PreferencePair] = [], ties: [PreferencePair] = []
    for better in completions.indices {
        for worse in completions.indices where completions[better].tier < completions[worse].tier {
            preferences.append(PreferencePair(better: features[better], worse: features[worse]))
        }
        for other in completions.indices where other > better && completions[other].tier == completions[better].tier {
            ties.append(PreferencePair(better: features[better], worse: features[other]))
        }
    }
    return (preferences, ties)
}
