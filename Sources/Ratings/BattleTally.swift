// Battles folded into a matrix of scores per ordered pair of models: what Bradley-Terry fits.

/// Who beat whom how often: `score[i][j]` is what model `i` earned against model `j`
/// (1 per win, one half per tie), over a fixed list of models.
package struct BattleTally: Sendable, Equatable {
    /// Model names, sorted; the row and column order of `score`.
    package let models: [String]
    /// `score[i][j]`: wins of `models[i]` over `models[j]` plus half their ties.
    package private(set) var score: [[Double]]

    /// An empty tally over `models` (sorted and deduplicated here).
    package init(models: some Sequence<String>) {
        self.models = Set(models).sorted()
        score = Array(repeating: Array(repeating: 0, count: self.models.count), count: self.models.count)
    }

    /// The tally of `battles` over exactly the models they mention.
    package init(battles: [Battle]) {
        self.init(models: battles.models)
        let index = Dictionary(uniqueKeysWithValues: models.enumerated().map { ($1, $0) })
        for battle in battles {
            add(battle, a: index[battle.modelA]!, b: index[battle.modelB]!)
        }
    }

    /// Adds one battle between the models at positions `a` and `b`.
    package mutating func add(_ battle: Battle, a: Int, b: Int) {
        let scoreA = battle.outcome.scoreA
        score[a][b] += scoreA
        score[b][a] += 1 - scoreA
    }

    /// Battles played between `models[i]` and `models[j]`.
    package func games(_ i: Int, _ j: Int) -> Double {
        score[i][j] + score[j][i]
    }

    /// Whether every model can be reached from every other along "scored against" edges.
    ///
    /// Zermelo's condition: exactly then the maximum-likelihood ratings exist and are finite.
    /// A model that never lost (or never won) breaks it, and its MLE rating runs off to infinity.
    package var isStronglyConnected: Bool {
        guard models.count > 1 else { return true }
        return reachesAll(forward: true) && reachesAll(forward: false)
    }

    private func reachesAll(forward: Bool) -> Bool {
        var seen = Array(repeating: false, count: models.count)
        var stack = [0]
        seen[0] = true
        while let i = stack.popLast() {
            for j in models.indices where !seen[j] {
                let points = forward ? score[i][j] : score[j][i]
                if points > 0 {
                    seen[j] = true
                    stack.append(j)
                }
            }
        }
        return seen.allSatisfy { $0 }
    }
}
