// A tokenizer trained here on Hamlet, checked against committed files (so training is
// reproducible across processes and releases) and against the ids transformers' GPT2Tokenizer
// and tiktoken give when they load those files (scripts/make_tokenizer_fixtures.py).

import Foundation
import Testing
@testable import Tokenization

@Suite("Trained tokenizer fixture")
struct TrainedFixtureTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            var text: String
            var ids: [Int]
        }

        var cases: [Case]
    }

    static let config = BPETrainingConfig(vocabularySize: 1000, specialTokens: ["<|endoftext|>"])
    static let directory = TestData.fixtures.appendingPathComponent("trained")
    static let fileNames = ["vocab.json", "merges.txt"]

    /// With RECORD_TOKENIZER_FIXTURES=1 the files are rewritten instead of compared; then rerun
    /// scripts/make_tokenizer_fixtures.py to refresh the transformers ids.
    @Test("training on Hamlet reproduces the committed vocab.json and merges.txt byte for byte")
    func trainedFilesMatchFixture() throws {
        let corpus = try TestData.text("corpus/hamlet.txt")
        let tokenizer = try BPETrainer(config: Self.config).train(on: [corpus])
        #expect(tokenizer.vocabularySize == 1000)
        if ProcessInfo.processInfo.environment["RECORD_TOKENIZER_FIXTURES"] == "1" {
            try tokenizer.save(to: Self.directory)
        }
        let fresh = FileManager.default.temporaryDirectory.appendingPathComponent("trained-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: fresh) }
        try tokenizer.save(to: fresh)
        for name in Self.fileNames {
            let committed = try Data(contentsOf: Self.directory.appendingPathComponent(name))
            let written = try Data(contentsOf: fresh.appendingPathComponent(name))
            #expect(written == committed, "\(name) differs from Tests/Fixtures/tokenizer/trained/\(name)")
        }
    }

    @Test("the committed files encode as transformers' GPT2Tokenizer and tiktoken encode them")
    func trainedFilesMatchTransformers() throws {
        let tokenizer = try BPETokenizer(directory: Self.directory)
        let golden = try TestData.fixture("trained_golden.json", as: Golden.self)
        #expect(golden.cases.count >= 5)
        for golden in golden.cases {
            let ids = tokenizer.encode(golden.text, specialTokens: .recognizeAll)
            #expect(ids == golden.ids, "\(golden.text.debugDescription): \(firstDifference(ids, golden.ids))")
            #expect(try tokenizer.decode(ids) == golden.text)
        }
    }
}
