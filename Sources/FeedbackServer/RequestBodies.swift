// Request bodies read as the routes' types: FeedbackFormats decodes and names the field at fault,
// this file reads the body from the request and answers a refusal with 400.

import FeedbackFormats
import Foundation
import Hummingbird

enum RequestBodies {
    /// Decodes a JSON body as `type`.
    static func json<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(HTTPError) -> T {
        do throws(RequestBodyError) {
            return try RequestBodyDecoding.json(type, from: body)
        } catch {
            throw HTTPError(.badRequest, message: error.reason)
        }
    }

    /// Decodes an `application/x-www-form-urlencoded` body as `type`.
    static func form<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(HTTPError) -> T {
        do throws(RequestBodyError) {
            return try RequestBodyDecoding.decode("form") { try URLEncodedFormDecoder().decode(type, from: String(decoding: body, as: UTF8.self)) }
        } catch {
            throw HTTPError(.badRequest, message: error.reason)
        }
    }

    /// Reads the whole body of `request`, up to the context's upload limit, and decodes it.
    static func json<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        try json(type, from: Array(buffer: try await request.body.collect(upTo: context.maxUploadSize)))
    }

    /// Reads the whole form of `request`, up to the context's upload limit or `limit` if lower,
    /// and decodes it.
    static func form<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext, limit: Int = .max) async throws -> T {
        try form(type, from: Array(buffer: try await request.body.collect(upTo: min(limit, context.maxUploadSize))))
    }
}
