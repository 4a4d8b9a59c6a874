// The active-curve experiment's candidates and scored pairs: critics' snippet pairs of training
// and held-out movies, or a model's own answers from task files, as the labeling queue of
// `rlhf iterate` and the demo holds them (several answers to one prompt, ranked whole).
import ActiveLearning
import ArgumentParser
import Corpora
import Feedback
import Foundation
import Randomness
import RewardModeling
import TrainingRuns

extension ActiveCurveCommand {
    /// The pool's tasks, and the pairs to score in the order they are drawn (each two texts).
    /// Validation pairs come from the pool's source but never from the pool: the same movies or
    /// prompts, so they flatter every setting alike, and the held-out ones stay unseen while choosing.
    func candidates() throws -> (pool: [PoolTask], scored: [[String]]) {
        if let poolTasks {
            let candidates = try Self.tasks(in: poolTasks)
            guard candidates.count > pool || (candidates.count == pool && !validation) else {
                throw ValidationError("--pool \(pool): \(poolTasks) holds \(candidates.count) tasks\(validation ? ", and --validation scores those outside the pool" : "")")
            }
            var generator = RandomGenerator(seed: 0)
            let order = generator.permutation(candidates.count).map { candidates[$0] }
            var scored = Array(order.dropFirst(pool))
            if !validation, let heldOutTasks { scored = Self.shuffled(try Self.tasks(in: heldOutTasks), &generator) }
            return (Array(order.prefix(pool)), scored.flatMap(\.withinTaskPairs))
        }
        let built = RottenTomatoesData(snippets: try RottenTomatoes.snippets(at: URL(fileURLWithPath: data)), split: HeldOutSplit(period: 5))
        var generator = RandomGenerator(seed: 0)
        let order = generator.permutation(built.trainingPairs.count)
        let poolTasks = order.prefix(pool).map { index in
            let pair = built.trainingPairs[index]
            return PoolTask(prompt: "Reviews of \(pair.group ?? "a film")", completions: pair.responses)
        }
        let scored = validation ? order.dropFirst(pool).map { built.trainingPairs[$0] } : generator.permutation(built.heldOutPairs.count).map { built.heldOutPairs[$0] }
        return (poolTasks, scored.map(\.responses))
    }

    /// What the candidates are, for the summary.
    var poolTasksSource: String {
        poolTasks.map { "tasks of \($0), scored on \(validation ? "its other tasks" : heldOutTasks ?? "")" } ?? "Rotten Tomatoes within-movie snippet pairs"
    }

    /// A task file's tasks; each needs two distinct answers to teach a preference.
    static func tasks(in path: String) throws -> [PoolTask] {
        let url = URL(fileURLWithPath: path)
        return try JSONLines.readAtLeastOne(TaskLine.self, from: url).map { line in
            let texts = line.value.completions.map(\.text)
            guard Set(texts).count >= 2 else {
                throw FileFormatError(file: url.path, line: line.line, field: "completions", reason: "needs at least two different answers")
            }
            return PoolTask(prompt: line.value.prompt, completions: texts)
        }
    }

    static func shuffled(_ tasks: [PoolTask], _ generator: inout RandomGenerator) -> [PoolTask] {
        generator.permutation(tasks.count).map { tasks[$0] }
    }
}

extension PoolTask {
    /// Every pair of the task's answers, as a held-out judge compares them.
    var withinTaskPairs: [[String]] {
        completions.indices.flatMap { first in completions.indices.filter { $0 > first }.map { [completions[first], completions[$0]] } }
    }
}
