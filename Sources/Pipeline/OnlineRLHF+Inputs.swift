// The models a run folder's rounds were made from. The starting model is round 0, every round's
// KL reference and the reward models' backbone, and the critics' judge scores every round: rounds
// continued from another would be leashed to, and judged by, a model the earlier ones never saw.
// They are recorded like a training run's inputs, by path and by content.
import Foundation
import TrainingRuns

extension OnlineRLHF {
    /// Records the run's models in inputs.json, or checks them against the record, naming what
    /// differs. A folder made before the record existed takes this run's.
    func checkInputs() throws {
        var current = RunInputs()
        try current.recordModel("--model", startURL.path)
        try current.recordModel("--critic", criticURL?.path)
        let run = RunFolder(folder)
        guard let recorded = try run.recordedInputs() else { return try run.writeInputs(current) }
        guard let start = recorded.values["start"] else { return try run.checkInputs(current) }
        // Before the record was a training run's: {"start": path, "critic": path}, paths only.
        var earlier = RunInputs()
        earlier.record("--model", start)
        earlier.record("--critic", recorded.values["critic"])
        let differences = current.differences(from: earlier)
        guard differences.isEmpty else { throw RunInputsError.changed(path: run.inputsURL.path, differences: differences) }
    }
}
