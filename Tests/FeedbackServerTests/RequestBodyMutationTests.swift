// The server's decoding of what clients send, fed seeded mutations of the committed seeds
// (fuzz/corpus/server-json, server-form): every JSON body and form is decoded as each route's
// type, or refused with a 400 naming the body; a decoded judgment is then checked as the store
// checks it. Never a trap or a 500. (Task and preference files are InputParsingTests' parsers.)

import Foundation
import Hummingbird
import Testing
import TestSupport
@testable import Feedback
@testable import FeedbackServer

@Suite struct RequestBodyMutationTests {
    private static func seeds(_ folder: String) throws -> [[UInt8]] {
        let directory = PackageRoot.file("fuzz/corpus/\(folder)")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }.map { Array(try Data(contentsOf: $0)) }
    }

    private static func mutants(_ folder: String) throws -> [Mutant] {
        try seeds(folder).enumerated().flatMap { Mutations.of($1, seed: UInt64($0), randomEdits: 800, truncations: 100) }
    }

    /// Outcomes of decoding one body as every route's type: how many types read it.
    private static func decodeAsEveryRoute(_ bytes: [UInt8], decode: (any Decodable.Type) throws(HTTPError) -> Any) throws -> Int {
        let types: [any Decodable.Type] = [
            LabelingController.JudgmentRequest.self, ChatController.ChatRequest.self, ChatController.RatingRequest.self,
            ChatController.CorrectionRequest.self, AdminController.NewAnnotatorRequest.self, AdminController.GenerateRequest.self,
            SessionController.SignInForm.self, [String: String].self,
        ]
        var read = 0
        for type in types {
            do {
                let body = try decode(type)
                read += 1
                if let judgment = body as? LabelingController.JudgmentRequest {
                    let submission = JudgmentSubmission(
                        taskID: 1, kind: judgment.kind, tiers: judgment.tiers, bothBad: judgment.bothBad ?? false, reason: judgment.reason,
                        betterAnswer: judgment.betterAnswer)
                    do { _ = try submission.validatedTiers(taskCompletions: [1, 2, 3]) } catch is FeedbackError {}
                }
            } catch let error as HTTPError {
                let message = error.body ?? ""
                #expect(error.status == .badRequest && (message.contains("JSON body") || message.contains("form")), "\(error)")
            }
        }
        return read
    }

    @Test func jsonBodiesAreDecodedOrRefusedWithABadRequest() throws {
        var read = 0
        let mutants = try Self.mutants("server-json")
        for mutant in mutants {
            read += try Self.decodeAsEveryRoute(mutant.bytes) { type throws(HTTPError) in try RequestBodies.json(type, from: mutant.bytes) }
        }
        #expect(read > 0 && read < mutants.count * 8)
    }

    @Test func formsAreDecodedOrRefusedWithABadRequest() throws {
        var read = 0
        let mutants = try Self.mutants("server-form")
        for mutant in mutants {
            read += try Self.decodeAsEveryRoute(mutant.bytes) { type throws(HTTPError) in try RequestBodies.form(type, from: mutant.bytes) }
        }
        #expect(read > 0 && read < mutants.count * 8)
    }

    @Test func aMissingFieldIsNamed() throws {
        let error = #expect(throws: HTTPError.self) { try RequestBodies.json(LabelingController.JudgmentRequest.self, from: Array(#"{"kind": "ranking"}"#.utf8)) }
        #expect(error?.body == "JSON body field 'tiers' is missing")
        let form = #expect(throws: HTTPError.self) { try RequestBodies.form(AdminController.NewAnnotatorRequest.self, from: Array("role=admin".utf8)) }
        #expect(form?.body == "form field 'name' is missing")
    }
}
