// The data-parallel world a training command runs in. Started by `mpirun -np N`, every rank
// trains its share of each batch and the root rank alone speaks and writes: the others' standard
// output and progress bars are silenced (their errors still reach standard error).
import ArgumentParser
import DataParallel
import ConfigFiles
import Foundation
import Kernels
import Reporting
import TrainingRuns

enum TrainingWorld {
    static func join() throws -> Communicator {
        let world = try Communicator.world()
        if !world.isRoot {
            ProgressBar.isSilenced = true
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, STDOUT_FILENO) }
        }
        return world
    }

    /// Prepares the run folder and writes its configuration and inputs, on the root rank. A run
    /// resumed under another configuration than its config.json records, or from other inputs than
    /// its inputs.json, would continue as neither, and the record of what it ran would be lost:
    /// every rank refuses it, naming the fields. Only its length may change, to train on. Settings
    /// added since the record was written read as their defaults; a folder without inputs.json
    /// (made before it existed) takes this run's.
    static func prepare<Configuration: RunSettings>(
        _ folder: RunFolder, configuration: Configuration, inputs: RunInputs, resuming: Bool, world: Communicator
    ) throws {
        let encoded = try ConfigurationFile.encode(configuration)
        // Without --resume an earlier run's folder would start over beneath its logs, which would
        // then hold two runs' records under the same step numbers.
        let files = FileManager.default
        let checkpoints = (try? files.contentsOfDirectory(atPath: folder.checkpointsURL.path)) ?? []
        if !resuming, !checkpoints.isEmpty || [folder.configurationURL, folder.metricsURL].contains(where: { files.fileExists(atPath: $0.path) }) {
            throw ValidationError("\(folder.url.path) holds a run already: continue it with --resume, or give another --output (or remove the folder)")
        }
        // Every rank has looked before the root writes.
        try world.barrier()
        if resuming, let stored = try? Data(contentsOf: folder.configurationURL) {
            let lengths: Set<String> = ["steps", "optimization.steps", "iterations"]
            let recorded = RunFolderConfiguration.completed(stored, defaults: Configuration(), source: folder.configurationURL.path)
            let changed = try RunFolderConfiguration.changedFields(recorded, encoded).filter { !lengths.contains($0) }
            guard changed.isEmpty else {
                throw ValidationError("""
                    \(folder.configurationURL.path) records another configuration (\(changed.joined(separator: ", ")) differ): \
                    resume with the --config file and options the run started with
                    """)
            }
        }
        if resuming { try folder.checkInputs(inputs) }
        guard world.isRoot else { return }
        try folder.prepare()
        try folder.writeConfiguration(encoded)
        try folder.writeInputs(inputs)
    }

    /// Runs `make` on the root rank first, then on the others once it is done: for steps that
    /// cache files in the run folder (tokenized corpora), which the other ranks then read.
    static func rootFirst<Result>(_ world: Communicator, _ make: () throws -> Result) throws -> Result {
        if world.isRoot {
            let result = try make()
            try world.barrier()
            return result
        }
        try world.barrier()
        return try make()
    }

    /// Ends a data-parallel run: the root prints what the ranks spent communicating, and every
    /// rank leaves the job.
    static func finish(_ world: Communicator, steps: Int, seconds: Double) throws {
        guard world.size > 1 else { return }
        try world.finalize()
        guard steps > 0 else { return }
        print(String(
            format: "data-parallel: %d ranks × %d threads; %.1f MB summed per step; %.2f s of %.1f s in collectives (%.1f%%)",
            world.size, Parallel.threadCount,
            Double(world.bytesSummed) / Double(steps) / 1e6, world.secondsCommunicating, seconds, 100 * world.secondsCommunicating / max(seconds, 1e-9)))
    }
}
