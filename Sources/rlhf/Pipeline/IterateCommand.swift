// `rlhf iterate`: rounds of online RLHF with people (or simulated annotators) in the loop, each
// round's checkpoint entered in an arena; progress throughout, report.html at the end.
import ArgumentParser
import Evaluation
import Foundation
import Pipeline

struct IterateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iterate",
        abstract: "Rounds of online RLHF: sample, label where it is worth most, retrain the reward model, continue PPO (or DPO), rank every round in an arena.")

    @Option(help: "The starting model folder (usually SFT): the first round's policy, every round's KL reference and reward-model backbone.")
    var model: String

    @Option(help: "A further arena entrant, e.g. the pretrained model the starting model was fine-tuned from.")
    var base: String?

    @Option(help: "A second hidden judge of every round: a reward-model folder, e.g. a demo's critic/model (trained on real critics' fresh/rotten verdicts).")
    var critic: String?

    @Option(help: "Rounds to run (a folder with fewer finished rounds continues; finished rounds are kept).")
    var rounds = 3

    @Option(help: "simulated (a panel judging with real human raters' word ratings) or people (the labeling page of `rlhf serve --db` on the same store).")
    var annotators = "simulated"

    @Option(help: "With --annotators people: the store the server labels into (a SQLite path or a postgres:// URL).")
    var db: String?

    @Option(help: "With --annotators people: seconds between checks for new judgments.")
    var pollInterval = 5.0

    @OptionGroup var data: DataFolderOptions

    @Option(help: "The run folder: a folder per round, arena.sqlite, iterate.json, plots and report.html.")
    var output = "runs/iterate"

    @Option(help: "A JSON file of OnlineRLHFConfiguration fields laid over the defaults.")
    var config: String?

    @Flag(help: "Exit with status 3 unless the judge rose every round and the arena ranks the rounds in order with the first and last apart.")
    var checkGoals = false

    func validate() throws {
        try CountOption.check(rounds, "--rounds")
        guard ["simulated", "people"].contains(annotators) else { throw ValidationError("--annotators must be simulated or people, got \(annotators)") }
        if annotators == "people" && db == nil { throw ValidationError("--annotators people needs --db, the store `rlhf serve` labels into") }
        guard (0.01...3600).contains(pollInterval) else { throw ValidationError("--poll-interval must be between 0.01 and 3600 seconds, got \(pollInterval)") }
    }

    func run() async throws {
        let folder = URL(fileURLWithPath: output)
        let configuration = try RunFolderConfiguration.prepare(folder, config: config, OnlineRLHFConfiguration()) { try $0.validate() }
        let labels: LabelSource = annotators == "people" ? .people(location: db ?? "", pollInterval: pollInterval) : .simulated
        let view = DemoProgressView()
        let loop = try OnlineRLHF(
            configuration: configuration, folder: folder, dataFolder: data.url, start: URL(fileURLWithPath: model),
            base: base.map { URL(fileURLWithPath: $0) }, critic: critic.map { URL(fileURLWithPath: $0) }, labels: labels, events: view.handle)
        let outcome = try await loop.run(rounds: rounds)
        for round in outcome.rounds {
            print(String(format: "round %d: judge %@%@%@, KL %@, %d labels%@", round.round, round.judgeScoreText,
                         round.round == 0 ? "" : String(format: ", win rate vs start %.1f%%", 100 * round.winRateVersusStart),
                         round.round == 0 ? "" : round.criticWinRate.map { String(format: " (critics' judge %.1f%%)", 100 * $0) } ?? "",
                         FigureText.kl(round.klToReference), round.labels, round.round == 0 ? "" : String(format: ", %.0f s", round.seconds)))
        }
        print("judge rose every round: \(outcome.judgeRoseEveryRound); arena ranks rounds in order: \(outcome.arenaRanksRoundsInOrder); "
              + "first and last rounds apart: \(outcome.firstAndLastSeparated)")
        print("report in \(folder.appendingPathComponent("report.html").path)")
        if checkGoals && !(outcome.judgeRoseEveryRound && outcome.arenaRanksRoundsInOrder && outcome.firstAndLastSeparated) { throw ExitCode(3) }
    }
}
