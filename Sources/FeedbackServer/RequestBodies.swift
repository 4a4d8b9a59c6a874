// Decoding request bodies, JSON and HTML forms alike, into a 400 that names the field at fault:
// the one place the server reads what a client sent, so the fuzz and mutation tests call it as the
// routes do.

import Foundation
import Hummingbird

enum RequestBodies {
    /// Decodes a JSON body as `type`.
    static func json<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(HTTPError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw refusal(error, of: "JSON body")
        }
    }

    /// Decodes an `application/x-www-form-urlencoded` body as `type`.
    static func form<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(HTTPError) -> T {
        do {
            return try URLEncodedFormDecoder().decode(type, from: String(decoding: body, as: UTF8.self))
        } catch {
            throw refusal(error, of: "form")
        }
    }

    /// Reads the whole body of `request`, up to the context's upload limit, and decodes it.
    static func json<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        try json(type, from: Array(buffer: try await request.body.collect(upTo: context.maxUploadSize)))
    }

    /// Reads the whole form of `request`, up to the context's upload limit, and decodes it.
    static func form<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        try form(type, from: Array(buffer: try await request.body.collect(upTo: context.maxUploadSize)))
    }

    private static func refusal(_ error: any Error, of body: String) -> HTTPError {
        func field(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        let reason = switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: "\(body) field '\(field(context.codingPath + [key]))' is missing"
        case .typeMismatch(let type, let context)?: "\(body) field '\(field(context.codingPath))' must be of type \(type)"
        case .valueNotFound(let type, let context)?: "\(body) field '\(field(context.codingPath))' must be of type \(type), not null"
        case .dataCorrupted(let context)? where context.codingPath.isEmpty: "the \(body) is malformed: \(context.debugDescription)"
        case .dataCorrupted(let context)?: "\(body) field '\(field(context.codingPath))': \(context.debugDescription)"
        default: "the \(body) cannot be read: \(error)"
        }
        return HTTPError(.badRequest, message: reason)
    }
}
