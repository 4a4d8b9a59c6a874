// The models a run folder's rounds were made from. The starting model is round 0, every round's
// KL reference and the reward models' backbone, and the critics' judge scores every round: rounds
// continued from another would be leashed to, and judged by, a model the earlier ones never saw.
import AtomicFiles
import Foundation

struct OnlineRLHFInputs: Codable, Equatable {
    var start: String
    var critic: String?
}

extension OnlineRLHF {
    var inputsURL: URL { url("inputs.json") }

    /// Records the run's models in inputs.json, or checks them against the record, naming what
    /// differs. A folder made before the record existed takes this run's.
    func checkInputs() throws {
        let current = OnlineRLHFInputs(start: Self.path(startURL), critic: criticURL.map(Self.path))
        guard let stored = try? Data(contentsOf: inputsURL) else {
            try AtomicFile.write(try JSONEncoder.pretty.encode(current), to: inputsURL)
            return
        }
        let recorded: OnlineRLHFInputs
        do {
            recorded = try JSONDecoder().decode(OnlineRLHFInputs.self, from: stored)
        } catch {
            throw DemoConfigurationError("\(inputsURL.path) is not a record of the run's models (\(error)); remove it to take this run's")
        }
        let differences = [
            ("the starting model (--model)", recorded.start, current.start),
            ("the critics' judge", recorded.critic ?? "none", current.critic ?? "none"),
        ].filter { $0.1 != $0.2 }.map { "\($0.0) was \($0.1), now \($0.2)" }
        guard differences.isEmpty else {
            throw DemoConfigurationError("""
                \(inputsURL.path) records the models the rounds in \(folder.path) were made from, and \
                \(differences.joined(separator: "; ")). Give the run's own, or another --output.
                """)
        }
    }

    private static func path(_ url: URL) -> String { url.standardizedFileURL.resolvingSymlinksInPath().path }
}
