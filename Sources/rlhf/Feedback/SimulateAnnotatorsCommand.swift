// `rlhf simulate-annotators`: simulated raters from VADER's human ratings judge the pending tasks.

import Annotators
import ArgumentParser
import Feedback
import Foundation
import SimulatedLabeling

/// Lets a seeded panel of simulated annotators judge tasks through the store.
struct SimulateAnnotatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-annotators",
        abstract: "Judge pending tasks with simulated annotators built from VADER's ten human raters.")

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var lexicon: LexiconOptions

    @Option(help: "Number of simulated annotators; annotator i uses rater column i mod 10.")
    var annotators = 10

    @Option(help: "Judgments each annotator makes at most.")
    var judgmentsPerAnnotator = 50

    @Option(help: "Bradley-Terry noise temperature in hidden-score units (larger is noisier).")
    var temperature = 1.0

    @Option(help: "Hidden scores closer than this are judged a tie (0: no ties).")
    var tieMargin = 0.0

    @Option(help: "Mark a task 'all bad' when every completion scores below this.")
    var bothBadBelow: Double?

    @Option(help: "Seed of every simulated choice.")
    var seed: UInt64 = 0

    @Option(help: "Annotators are named PREFIX-0, PREFIX-1, ...")
    var namePrefix = "simulated-rater"

    func validate() throws {
        try CountOption.check(annotators, "--annotators")
        try CountOption.check(judgmentsPerAnnotator, "--judgments-per-annotator")
        if let bothBadBelow, !bothBadBelow.isFinite { throw ValidationError("--both-bad-below must be a finite score, got \(bothBadBelow)") }
    }

    func run() async throws {
        let store = try await database.openExistingStore()
        let raters = try lexicon.raters()
        var simulation = try LabelingSimulation(
            lexicon: raters, count: annotators, temperature: temperature, tieMargin: tieMargin,
            bothBadBelow: bothBadBelow, seed: seed, namePrefix: namePrefix)
        let report = try await simulation.run(on: store, judgmentsPerAnnotator: judgmentsPerAnnotator)
        for (name, count) in report.sorted(by: { $0.key < $1.key }) {
            print("\(name)\t\(count) judgments")
        }
        print("total\t\(report.values.reduce(0, +)) judgments")
    }
}
