// Saving a reward model's folder is all or nothing: a save over another model leaves the new
// model's files alone, and what a save killed at any instant leaves behind reads as the previous
// model or the new one, and is cleared by the next save. The killed saves' leftovers are built
// by hand, with the names AtomicFolder gives them (`.NAME.partial`, `.NAME.old`).
import Foundation
import LanguageModeling
import RewardModeling
import Testing

@Suite struct RewardFolderSaveTests {
    /// A fine-tuned reward model that its gain tells apart from the others.
    func rewardModel(gain: Float) throws -> RewardModel {
        let reward = try RewardModel.fineTuning(tinyLanguageModel(), seed: 4)
        reward.setNormalization(gain: gain, bias: 0)
        return reward
    }

    func names(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    /// Files renamed over the previous model's one by one kept those the new model does not
    /// write: a frozen-backbone head saved over a fine-tuned model sat beside its tokenizer.
    @Test func aSaveOverAnotherModelLeavesOnlyTheNewModelsFiles() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let backbone = root.appendingPathComponent("backbone"), folder = root.appendingPathComponent("rm")
        try tinyLanguageModel().save(to: backbone)
        let frozen = try RewardModel.frozen(LanguageModel.load(from: backbone, trainable: false))
        frozen.setNormalization(gain: 3, bias: 0)
        try rewardModel(gain: 2).save(to: folder)
        #expect(try names(folder).contains("tokenizer.json"))
        try frozen.save(to: folder)
        #expect(try names(folder) == ["config.json", "model.safetensors"])
        let loaded = try RewardModel.load(from: folder)
        #expect(loaded.isFrozen && loaded.gain == 3)
        #expect(try names(root) == ["backbone", "rm"], "the save left temporaries beside the folder")
    }

    /// A frozen backbone kept inside the reward model's folder, where loading also looks for it,
    /// is not deleted with the previous folder when the model is saved over it; nor is the
    /// backbone's own folder replaced by the reward model's.
    @Test func aBackboneInsideTheFolderSurvivesASaveOverIt() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("rm"), backbone = folder.appendingPathComponent("backbone")
        try tinyLanguageModel().save(to: backbone)
        let frozen = try RewardModel.frozen(LanguageModel.load(from: backbone, trainable: false))
        try frozen.save(to: folder)
        frozen.setNormalization(gain: 4, bias: 0)
        try frozen.save(to: folder)
        #expect(try names(folder) == ["backbone", "config.json", "model.safetensors"])
        #expect(try RewardModel.load(from: folder).gain == 4)
        // Saved in the place of its own backbone, the model would delete it: refused by name.
        let error = #expect(throws: (any Error).self) { try frozen.save(to: backbone) }
        #expect(error.map { "\($0)" }?.contains("\(backbone.path): could not be written (is this reward model's frozen backbone") == true)
        #expect(try names(backbone).contains("model.safetensors"))
    }

    /// Killed while the new folder was written (a half-written `.rm.partial`), between the two
    /// renames that stand in for an exchange where a file system has none (`rm` missing, the
    /// previous folder whole as `.rm.old`), and after those renames before the previous folder
    /// was deleted (both there): each loads as one whole model, the previous one until the new
    /// one has its name, and the next save clears what is left.
    @Test func whatAKilledSaveLeftLoadsAsOneModelAndTheNextSaveClearsIt() throws {
        let manager = FileManager.default
        let root = try temporaryFolder()
        defer { try? manager.removeItem(at: root) }
        let folder = root.appendingPathComponent("rm")
        let partial = root.appendingPathComponent(".rm.partial"), setAside = root.appendingPathComponent(".rm.old")

        try rewardModel(gain: 2).save(to: folder)
        try manager.createDirectory(at: partial, withIntermediateDirectories: true)
        try Data("{\"architectures\": [".utf8).write(to: partial.appendingPathComponent("config.json"))
        #expect(try RewardModel.load(from: folder).gain == 2)
        try manager.moveItem(at: folder, to: setAside)
        #expect(RewardModel.isRewardModelFolder(folder), "a folder whose swap was cut short is not taken for its previous model")
        #expect(try RewardModel.load(from: folder).gain == 2)
        try rewardModel(gain: 5).save(to: folder)
        #expect(try RewardModel.load(from: folder).gain == 5)
        #expect(try names(root) == ["rm"], "the save left the killed save's leftovers")

        try rewardModel(gain: 2).save(to: root.appendingPathComponent("previous"))
        try manager.moveItem(at: root.appendingPathComponent("previous"), to: setAside)
        #expect(try RewardModel.load(from: folder).gain == 5)
        try rewardModel(gain: 7).save(to: folder)
        #expect(try RewardModel.load(from: folder).gain == 7)
        #expect(try names(root) == ["rm"], "the save left the killed save's leftovers")
    }

    /// A language model's trained values (a run's model/) are restored from where the previous
    /// folder waits when a save was killed between the two renames of its swap, as `load` reads
    /// it: restoreTrained found no folder there.
    @Test func trainedValuesAreRestoredFromAFolderSetAside() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("model")
        let saved = try tinyLanguageModel(seed: 2)
        try saved.saveTrained(to: folder)
        try FileManager.default.moveItem(at: folder, to: root.appendingPathComponent(".model.old"))
        let restored = try tinyLanguageModel(seed: 3)
        #expect(Array(restored.network.parameters.allValues) != Array(saved.network.parameters.allValues))
        try restored.restoreTrained(from: folder)
        #expect(Array(restored.network.parameters.allValues) == Array(saved.network.parameters.allValues))
    }
}
