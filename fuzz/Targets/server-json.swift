// JSON request bodies of the feedback server (Sources/FeedbackFormats/RequestBodies.swift), decoded
// as each shape FeedbackFormats defines and as the flat objects the forms and panel send; every
// refusal must name the body.
import FeedbackFormats

let inputName = "JSON body"

func isTyped(_ error: any Error) -> Bool { error is RequestBodyError }

func fuzz(_ bytes: [UInt8]) throws {
    var refusals: [RequestBodyError] = []
    func attempt<T: Decodable>(_ type: T.Type) {
        do { _ = try RequestBodyDecoding.json(type, from: bytes) } catch { refusals.append(error) }
    }
    attempt(TaskLine.self)
    attempt(PreferenceLine.self)
    attempt(SamplingParameters.self)
    attempt([String: String].self)
    attempt([String: [[Int64]]].self)
    if let refusal = refusals.first { throw refusal }
}
