// Counts and output files given on the command line, checked where they are parsed: a negative
// or absurd number is a usage error naming its option, not a trap in an array initialiser or an
// allocation the machine cannot make minutes into a run, and an output path that cannot hold a
// file is refused before the work, not after it.
import ArgumentParser
import TextFiles
import TrainingRuns

/// An output file checked before the work whose result it holds, not after.
enum OutputFile {
    static func check(_ path: String, _ option: String) throws {
        if let obstacle = FileProblem.obstacle(toFileAt: path) { throw ValidationError("\(option) \(path): \(obstacle)") }
    }
}

enum CountOption {
    static let largest = OptimizationSettings.largestCount

    static func check(_ value: Int, _ option: String, from lower: Int = 1, to upper: Int = largest) throws {
        guard (lower...upper).contains(value) else {
            throw ValidationError("\(option) must be between \(lower) and \(upper), got \(value)")
        }
    }
}
