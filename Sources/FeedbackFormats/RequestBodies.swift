// Decoding what a client sent, JSON bodies and HTML forms alike, into a refusal that names the
// body and the field at fault. The server answers a refusal with 400; nothing here knows HTTP, so
// the fuzz targets call the same code the routes do.

import Foundation

/// A request body that cannot be decoded as its route's type.
package struct RequestBodyError: Error, Equatable, CustomStringConvertible {
    /// What was sent: "JSON body" or "form".
    package var body: String
    /// What is wrong, with the field at fault when there is one.
    package var reason: String

    package var description: String { reason }
}

/// The server's decoders of request bodies.
package enum RequestBodyDecoding {
    /// Decodes a JSON body as `type`.
    package static func json<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(RequestBodyError) -> T {
        try decode("JSON body") { try JSONDecoder().decode(type, from: Data(body)) }
    }

    /// Runs `decoder`, turning any failure into a refusal of `body` (the form decoder is the
    /// server framework's, so it is passed in).
    package static func decode<T>(_ body: String, _ decoder: () throws -> T) throws(RequestBodyError) -> T {
        do {
            return try decoder()
        } catch {
            throw refusal(error, of: body)
        }
    }

    private static func refusal(_ error: any Error, of body: String) -> RequestBodyError {
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
        return RequestBodyError(body: body, reason: reason)
    }
}
