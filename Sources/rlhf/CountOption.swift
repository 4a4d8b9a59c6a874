// Counts given on the command line, checked where they are parsed: a negative or absurd number
// is a usage error naming its option, not a trap in an array initialiser or an allocation the
// machine cannot make minutes into a run.
import ArgumentParser
import TrainingRuns

enum CountOption {
    static let largest = OptimizationSettings.largestCount

    static func check(_ value: Int, _ option: String, from lower: Int = 1, to upper: Int = largest) throws {
        guard (lower...upper).contains(value) else {
            throw ValidationError("\(option) must be between \(lower) and \(upper), got \(value)")
        }
    }
}
