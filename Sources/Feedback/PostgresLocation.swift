// A PostgreSQL server and database as a `postgres://` URL names them.

import Foundation
import PostgresNIO

/// `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
package struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// Whether the connection is encrypted, as libpq's `sslmode` says it.
    package enum TLSMode: String, Sendable {
        /// Plain TCP (the default: the store is meant for servers on the same host or network).
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS or no connection.
        case require
    }

    package var host: String
    package var port: Int
    package var username: String
    package var password: String?
    package var database: String
    package var tls: TLSMode

    /// Reads a URL; names the part at fault when it is incomplete.
    package init(url text: String) throws {
        func invalid(_ reason: String) -> FeedbackDatabaseError { .invalidLocation(text, reason: reason) }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql"
        else { throw invalid("not a postgres:// URL") }
        guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("no user name (postgres://USER@host/database)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw invalid("no database name (postgres://user@host/DATABASE)") }
        var tls = TLSMode.disable
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw invalid("unknown parameter '\(item.name)' (only sslmode is read)") }
            guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                throw invalid("sslmode must be disable, prefer or require, not '\(item.value ?? "")'")
            }
            tls = mode
        }
        self.host = host
        port = components.port ?? 5432
        username = components.percentEncodedUser?.removingPercentEncoding ?? user
        password = components.percentEncodedPassword?.removingPercentEncoding
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
    }

    /// The same server, another database on it.
    package func database(_ name: String) -> PostgresLocation {
        var location = self
        location.database = name
        return location
    }

    /// The URL without its password, for messages and logs.
    package var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
            + (tls == .disable ? "" : "?sslmode=\(tls.rawValue)")
    }

    /// The pool's configuration: a handful of connections per process, since several server
    /// processes share the database server's connection limit.
    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch self.tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = 8
        configuration.options.connectionIdleTimeout = .seconds(30)
        return configuration
    }

    /// A single connection's configuration, for opening and migrating.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = switch self.tls {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}
