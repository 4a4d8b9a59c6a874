// What the active-selection experiment needs of a learned reward: a score that ranks texts, and
// the worth of labelling each task, as the feedback store's queue takes it.

/// A reward over fixed text features.
package protocol PreferenceScorer: Sendable {
    /// The reward that ranks texts.
    func meanScore(_ features: SparseFeatures) -> Double
}

/// A reward retrained every acquisition round that values the labels it could be given.
package protocol PreferenceModel: PreferenceScorer {
    /// Each task's worth of a label (0...1, as `FeedbackStore.setTaskUncertainties` takes it),
    /// the next `batch` labels in mind, for the margins of `targets` where the model can use
    /// them; tasks with fewer than two completions are left out.
    func taskValues(_ tasks: [Int64: [SparseFeatures]], batch: Int, targets: [SparseFeatures]?) -> [Int64: Double]
}

extension PreferenceScorer {
    /// The share of pairs whose better text the reward ranks higher (ties count half).
    package func accuracy(on pairs: [PreferencePair]) -> Double {
        guard !pairs.isEmpty else { return 0 }
        let credit = pairs.reduce(0.0) { total, pair in
            let margin = meanScore(pair.better) - meanScore(pair.worse)
            return total + (margin > 0 ? 1 : margin == 0 ? 0.5 : 0)
        }
        return credit / Double(pairs.count)
    }
}

/// Which reward the experiment learns, and so how the active policy values a label.
package enum PreferenceLearner: String, Codable, Sendable, CaseIterable {
    /// Bootstrap SGD heads (`PreferenceEnsemble`); a task is worth its top pair's uncertainty.
    case ensemble
    /// One Bayesian head (`BayesianPreferenceHead`); a round's batch is chosen by the
    /// information a label gives about the pool's pairs (or other target pairs).
    case laplace
}

/// The ensemble with the measure its heads' uncertainty is read by.
struct MeasuredEnsemble: PreferenceModel {
    var ensemble: PreferenceEnsemble
    var measure: UncertaintyMeasure

    func meanScore(_ features: SparseFeatures) -> Double { ensemble.meanScore(features) }

    /// Each task's top-pair uncertainty; the ensemble neither plans a batch nor aims at targets.
    func taskValues(_ tasks: [Int64: [SparseFeatures]], batch: Int, targets: [SparseFeatures]?) -> [Int64: Double] {
        ensemble.taskUncertainties(tasks, measure: measure)
    }
}
