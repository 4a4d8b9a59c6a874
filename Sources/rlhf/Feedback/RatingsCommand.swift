// `rlhf ratings`: the leaderboard in the terminal (or as JSON).

import ArgumentParser
import Feedback
import Foundation

/// Prints Elo and Bradley-Terry ratings with intervals, agreement and per-annotator counts.
struct RatingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratings", abstract: "Rate the models behind the judged completions.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Bootstrap resamples for the confidence intervals.")
    var bootstrapRounds = 100

    @Option(help: "Seed of the bootstrap resampling.")
    var seed: UInt64 = 0

    @Flag(help: "Print the whole leaderboard as JSON.")
    var json = false

    func validate() throws {
        try CountOption.check(bootstrapRounds, "--bootstrap-rounds")
    }

    func run() async throws {
        let board = try await database.openExistingStore().leaderboard(bootstrapRounds: bootstrapRounds, seed: seed)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(board), as: UTF8.self))
            return
        }
        print("\(board.models.battleCount) battles from \(board.judgments) judgments; 95% intervals from \(bootstrapRounds) resamples")
        print(["model", "Bradley-Terry", "95% interval", "Elo", "battles", "wins", "losses", "ties"].joined(separator: "\t"))
        for s in board.models.standings {
            let ratings = [
                s.model, String(format: "%.1f", s.bradleyTerry.rating),
                String(format: "%.1f – %.1f", s.bradleyTerry.lower, s.bradleyTerry.upper), String(format: "%.1f", s.elo),
            ]
            print((ratings + [s.battles, s.wins, s.losses, s.ties].map(String.init)).joined(separator: "\t"))
        }
        if board.models.isRegularized { print("note: some model never lost or never won; Bradley-Terry used a small ridge penalty") }
        let alpha = board.agreement.map { String(format: "%.3f", $0) } ?? "undefined (no pair judged twice)"
        print("Krippendorff's alpha (nominal) over \(board.agreementUnits) multiply judged pairs: \(alpha)")
        print("annotator\tjudgments\twith ties\tall bad\tdemonstrations")
        for a in board.annotators {
            print("\(a.name)\t\(a.judgments)\t\(a.withTies)\t\(a.bothBad)\t\(a.demonstrations)")
        }
    }
}
