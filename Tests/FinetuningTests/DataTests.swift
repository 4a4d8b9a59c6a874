// Training data: windows and targets line up, SFT targets cover responses only, files
// round-trip, and malformed input is reported by file and line.
import Checkpoints
import ConfigFiles
import Foundation
import Testing
import Finetuning
import Transformer
import LanguageModelData
import LanguageModeling
import Optimization
import Randomness

@Suite struct DataTests {
    @Test func pretrainingWindowsPredictTheirNextTokens() throws {
        let stream = (0..<500).map { Int32($0 % 97) }
        var data = try PretrainingData(training: stream, heldOut: Array(stream.prefix(100)), window: 16, seed: 3)
        let batch = try data.nextBatch(size: 4)
        #expect(batch.input.batch == 4 && batch.input.time == 16)
        for row in 0..<4 {
            for t in 0..<16 {
                #expect(batch.targets[row * 16 + t] == (batch.input.tokens.ids[row * 16 + t] + 1) % 97)
            }
        }
        let saved = data.cursor
        let next = try data.nextBatch(size: 4)
        data.restore(saved)
        #expect(try data.nextBatch(size: 4).input == next.input)
        let split = PretrainingData.split(Array(repeating: 1, count: 10_000), chunk: 100, period: 10)
        #expect(split.heldOut.count == 1000 && split.training.count == 9000)
        let short = PretrainingData.split(Array(repeating: 1, count: 950), chunk: 100, period: 10)
        #expect(short.heldOut.count == 95 && short.training.count == 855, "a stream under ten chunks still holds one tenth out")
    }

    @Test func supervisedTargetsCoverOnlyResponses() throws {
        let model = try tinyLanguageModel()
        let data = try Recipes.instructionData([Demonstration(prompt: "the cat", response: " sat")], model: model, heldOutPeriod: 0, seed: 1)
        var copy = data
        let batch = try copy.nextBatch(size: 1)
        let prompt = model.encode("the cat"), response = model.encode(" sat") + [model.endOfText!]
        let expected = Array(repeating: Int32(-1), count: prompt.count - 1) + response
        #expect(batch.targets == expected)
        #expect(batch.input.tokens.ids == prompt + response.dropLast())
    }

    /// A resumed run whose demonstrations file lost or gained lines since its checkpoint would
    /// index past the data or never visit the new lines: the saved position is refused.
    @Test func aSavedPositionOnlyResumesTheDataItWasWrittenFor() throws {
        let model = try tinyLanguageModel()
        let demonstrations = ["a", "b", "c"].map { Demonstration(prompt: "the \($0)", response: " sat") }
        var three = try Recipes.instructionData(demonstrations, model: model, heldOutPeriod: 0, seed: 1)
        _ = try three.nextBatch(size: 2)
        let saved = three.cursor
        var same = try Recipes.instructionData(demonstrations, model: model, heldOutPeriod: 0, seed: 1)
        try same.restore(saved)
        #expect(try same.nextBatch(size: 1).input == three.nextBatch(size: 1).input)
        for other in [Array(demonstrations.prefix(2)), demonstrations + [Demonstration(prompt: "the d", response: " sat")]] {
            var data = try Recipes.instructionData(other, model: model, heldOutPeriod: 0, seed: 1)
            #expect(throws: SavedOrderMismatch(saved: 3, current: other.count)) { try data.restore(saved) }
        }
    }

    @Test func tokenFilesRoundTripInNarrowAndWideIds() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for ids in [[Int32](arrayLiteral: 0, 5, 65_535), [0, 70_000, 3]] {
            let url = folder.appendingPathComponent("t.tokens")
            try TokenFile.write(ids, to: url)
            #expect(try TokenFile.read(url) == ids)
        }
    }

    /// A header whose count no file could hold (or whose bytes times the width overflow) is a
    /// malformed file, not a trap.
    @Test func tokenFileHeadersThatOverflowAreRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.tokens")
        for (width, count) in [(UInt32(2), UInt64.max), (4, 0x4000_0000_0000_0000), (4, 1), (3, 2)] {
            var data = Data("RLHFTOK1".utf8)
            withUnsafeBytes(of: width.littleEndian) { data.append(contentsOf: $0) }
            withUnsafeBytes(of: count.littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: [1, 0, 2, 0, 3, 0])
            try data.write(to: url)
            #expect(throws: CheckpointError.self) { try TokenFile.read(url) }
        }
    }

    /// TRL's prompt-completion and conversational formats, the older "response" spelling, and text
    /// answering a conversational prompt.
    @Test func demonstrationsReadEveryFormat() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("sft.jsonl")
        let lines = [
            #"{"prompt": "Hi", "completion": " there"}"#,
            #"{"prompt": "Hi", "response": " there"}"#,
            #"{"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who are you?"}], "completion": [{"role": "assistant", "content": "A bot."}]}"#,
            #"{"messages": [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2"}]}"#,
            #"{"prompt": [{"role": "user", "content": "Hi"}], "completion": " there"}"#,
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        let read = try DemonstrationFile.read(url)
        #expect(read[0] == Demonstration(prompt: "Hi", response: " there"))
        #expect(read[1] == read[0])
        #expect(read[2] == Demonstration(prompt: "Who are you?", response: "A bot.", context: [ChatMessage(role: "system", content: "Be brief.")]))
        #expect(read[3].messages.map(\.content) == ["Q1", "A1", "Q2"])
        #expect(read[3].response == "A2")
        #expect(read[4] == read[0], "a conversational prompt may be answered by text")
        for (line, reason) in [
            (#"{"messages": [{"role": "user", "content": "Q"}]}"#,
             "field \"messages\" must end with the assistant's answer, or with the user's turn and the answer in \"completion\""),
            (#"{"messages": [{"role": "robot", "content": "Q"}, {"role": "assistant", "content": "A"}]}"#, "messages[0].role must be \"system\", \"user\" or \"assistant\""),
            (#"{"prompt": [{"role": "user", "content": "Q"}], "completion": 7}"#, "field \"completion\" must be a string or a list of messages"),
        ] {
            try Data(line.utf8).write(to: url)
            #expect(throws: DataError.malformedLine(path: url.path, line: 1, reason: reason)) { try DemonstrationFile.read(url) }
        }
    }

    @Test func aMalformedDemonstrationLineIsNamed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("sft.jsonl")
        try Data("{\"prompt\": \"a\", \"response\": \"b\"}\n\n{\"prompt\": \"c\"}\n".utf8).write(to: url)
        #expect(throws: DataError.malformedLine(path: url.path, line: 3, reason: "field \"completion\" is missing or not a string")) {
            try DemonstrationFile.read(url)
        }
        try Data("{\"prompt\": \"a\", \"response\": \"b\"}\nnot json\n".utf8).write(to: url)
        #expect(throws: DataError.malformedLine(path: url.path, line: 2, reason: "not a JSON object")) {
            try DemonstrationFile.read(url)
        }
    }

    @Test func configurationFilesOverlayDefaultsAndRejectUnknownKeys() throws {
        let partial = Data("{\"optimization\": {\"steps\": 12, \"learningRate\": 0.01}}".utf8)
        let configuration = try ConfigurationFile.overlay(partial, on: PretrainingConfiguration(), source: "run.json")
        #expect(configuration.optimization.steps == 12 && configuration.optimization.learningRate == 0.01)
        #expect(configuration.model == ModelShape())
        #expect(throws: ConfigurationError.self) {
            try ConfigurationFile.overlay(Data("{\"optimization\": {\"stepz\": 3}}".utf8), on: PretrainingConfiguration(), source: "run.json")
        }
        do {
            _ = try ConfigurationFile.overlay(Data("{\"optimization\": {\"stepz\": 3}}".utf8), on: PretrainingConfiguration(), source: "run.json")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("optimization.stepz") && error.description.contains("run.json"))
        }
    }

    /// An optional setting that defaults to none, given in part, takes the rest from its own
    /// defaults; what cannot be decoded is a ConfigurationError naming the file and key.
    @Test func partlyGivenOptionalSettingsKeepTheirDefaultsAndErrorsNameTheKey() throws {
        let lora = try ConfigurationFile.overlay(Data(#"{"lora": {"rank": 4}}"#.utf8), on: SupervisedConfiguration(), source: "sft.json").lora
        #expect(lora == LoRAConfiguration(rank: 4))
        for (json, key) in [(#"{"heldOutPeriod": null}"#, "heldOutPeriod"), (#"{"lora": {"rank": "four"}}"#, "lora.rank")] {
            #expect {
                _ = try ConfigurationFile.overlay(Data(json.utf8), on: SupervisedConfiguration(), source: "sft.json")
            } throws: { error in
                guard let error = error as? ConfigurationError else { return false }
                return error.description.contains("sft.json") && error.description.contains("\"\(key)\"")
            }
        }
    }

    /// CRLF files split into their lines (Swift reads "\r\n" as one Character), and a folder
    /// given as a file says so.
    @Test func crlfFilesReadLineByLineAndAFolderIsNamed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let demonstrations = folder.appendingPathComponent("sft.jsonl"), prompts = folder.appendingPathComponent("prompts.txt")
        try Data("{\"prompt\": \"a\", \"completion\": \"b\"}\r\n\r\n{\"prompt\": \"c\", \"completion\": \"d\"}\r\n".utf8).write(to: demonstrations)
        #expect(try DemonstrationFile.read(demonstrations) == [Demonstration(prompt: "a", response: "b"), Demonstration(prompt: "c", response: "d")])
        try Data("To be\r\nThe king\r\n{\"prompt\": \"Good night\"}\r\n".utf8).write(to: prompts)
        #expect(try PromptFile.read(prompts) == ["To be", "The king", "Good night"])
        try Data("ok\r\n{\"prompt\": 3}\r\n".utf8).write(to: prompts)
        #expect(throws: DataError.malformedLine(path: prompts.path, line: 2, reason: "a JSON line needs a string field \"prompt\"")) { try PromptFile.read(prompts) }
        #expect(throws: DataError.unreadable(path: folder.path, reason: "a folder, not a file")) { try PromptFile.read(folder) }
        #expect(throws: DataError.unreadable(path: folder.path + "/none", reason: "file not found")) { try DemonstrationFile.read(folder.appendingPathComponent("none")) }
    }

    /// A number that does not fit its field fails decoding with no path of its own; the error
    /// still names the key. Inside an optional setting that defaults to none, an unknown key
    /// lists that setting's keys.
    @Test func valuesThatDoNotFitAndUnknownKeysInOptionalSettingsAreNamed() throws {
        for (json, key) in [
            (#"{"optimization": {"steps": 3.5}}"#, "optimization.steps"), (#"{"optimization": {"seed": -1}}"#, "optimization.seed"),
            (#"{"heldOutPeriod": 4, "optimization": {"steps": 99999999999999999999}}"#, "optimization.steps"),
        ] {
            #expect {
                _ = try ConfigurationFile.overlay(Data(json.utf8), on: SupervisedConfiguration(), source: "sft.json")
            } throws: { error in
                (error as? ConfigurationError).map { $0.description.hasPrefix("sft.json: \"\(key)\"") } ?? false
            }
        }
        #expect(throws: ConfigurationError.unknownKey(path: "sft.json", key: "lora.r", known: ["alpha", "dropout", "rank", "rankStabilized", "targetModules"])) {
            try ConfigurationFile.overlay(Data(#"{"lora": {"r": 4}}"#.utf8), on: SupervisedConfiguration(), source: "sft.json")
        }
    }

    /// A setting refused inside a nested configuration is named by its whole path.
    @Test func nestedSettingsAreRefusedUnderTheirWholePath() throws {
        var configuration = SupervisedConfiguration()
        configuration.optimization.steps = 0
        #expect(throws: OptimizationError.invalidSetting(field: "optimization.steps", expected: "> 0")) { try configuration.validate() }
        configuration = SupervisedConfiguration()
        configuration.heldOutPeriod = 1
        #expect(throws: OptimizationError.invalidSetting(field: "heldOutPeriod", expected: "0 (none held out) or ≥ 2 (one demonstration in this many is held out)")) {
            try configuration.validate()
        }
        configuration.heldOutPeriod = 0
        try configuration.validate()
        // LoRA's fields are named as a run's configuration spells them, not as PEFT's file does.
        configuration.lora = LoRAConfiguration(rank: 0)
        #expect(throws: CheckpointError.invalidField(path: "LoRA configuration", field: "rank", reason: "is 0; must be between 1 and \(ModelSizeLimits.width)")) {
            try configuration.validate()
        }
    }
}
