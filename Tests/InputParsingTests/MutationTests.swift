// The deterministic half of the fuzzing (scripts/fuzz.sh is the coverage-guided half): every
// parser of outside input is fed its committed seeds, thousands of seeded mutations of them, and
// every input a fuzzer once crashed it with. Each input must be read or refused with the parser's
// own error naming the file; a trap would end the test process.
import Foundation
import TestSupport
import Testing

@Suite struct MutationTests {
    /// A folder of its own for each test's input files.
    private static func scratchFolder(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mutations-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test(arguments: parsersUnderTest)
    func seedsAreRead(_ parser: ParserUnderTest) throws {
        let folder = try Self.scratchFolder(parser.name)
        defer { try? FileManager.default.removeItem(at: folder) }
        let seeds = try parser.files(in: "corpus")
        #expect(!seeds.isEmpty, "fuzz/corpus/\(parser.name) holds no seeds")
        for seed in seeds {
            #expect(throws: Never.self, "seed \(seed.lastPathComponent)") { try parser.parse(Array(try Data(contentsOf: seed)), folder) }
        }
    }

    @Test(arguments: parsersUnderTest)
    func mutantsAreReadOrRefusedByName(_ parser: ParserUnderTest) throws {
        let folder = try Self.scratchFolder(parser.name)
        defer { try? FileManager.default.removeItem(at: folder) }
        let mutants = try parser.files(in: "corpus").enumerated().flatMap { index, seed in
            Mutations.of(
                Array(try Data(contentsOf: seed)), seed: UInt64(index), randomEdits: parser.editsPerSeed, truncations: 50,
                headerBytes: parser.headerBytes)
        }
        let report = MutationReport.run(parser.name, mutants: mutants, name: parser.inputName, isTyped: parser.isTyped) {
            try parser.parse($0, folder)
        }
        #expect(report.untypedErrors.isEmpty, "\(report.untypedErrors.prefix(3))")
        #expect(report.unnamedErrors.isEmpty, "\(report.unnamedErrors.prefix(3))")
        // The mutations must reach past the first check: some damaged inputs are still read, or
        // they are refused for more than one kind of fault.
        #expect((report.parsed > 0 || report.refusals.count > 1) && report.parsed < report.executions, "\(report)")
        #expect(report.slowest.seconds < 2, "\(report)")
    }

    /// Inputs that once crashed a fuzz target (fuzz/regressions): each is read or refused by name.
    @Test(arguments: parsersUnderTest)
    func fixedCrashesAreReadOrRefusedByName(_ parser: ParserUnderTest) throws {
        let folder = try Self.scratchFolder(parser.name)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try parser.files(in: "regressions") {
            do {
                try parser.parse(Array(try Data(contentsOf: file)), folder)
            } catch {
                #expect(parser.isTyped(error) && "\(error)".contains(parser.inputName), "\(file.lastPathComponent): \(error)")
            }
        }
    }

    /// The bad inputs whose messages docs/reliability.md shows (fuzz/rejections): each is refused by name.
    @Test(arguments: parsersUnderTest)
    func committedBadInputsAreRefusedByName(_ parser: ParserUnderTest) throws {
        let folder = try Self.scratchFolder(parser.name)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try parser.files(in: "rejections") {
            let bytes = Array(try Data(contentsOf: file))
            let error = #expect(throws: (any Error).self, "\(file.lastPathComponent)") { try parser.parse(bytes, folder) }
            if let error {
                #expect(parser.isTyped(error) && "\(error)".contains(parser.inputName), "\(file.lastPathComponent): \(error)")
            }
        }
    }
}
