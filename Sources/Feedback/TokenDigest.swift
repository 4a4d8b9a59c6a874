// Random secret tokens and the digests under which the database keeps them.

import Crypto
import Foundation

/// Sign-in and session tokens: 256 random bits, shown once, stored only as SHA-256.
///
/// A fast hash is enough because the tokens are random and long: there is no password space
/// to search, which is what slow password hashes protect.
package enum TokenDigest {
    /// A new random token: 64 lower-case hex characters from the system's secure generator.
    package static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = String(generator.next(), radix: 16)
            return String(repeating: "0", count: 16 - word.count) + word
        }.joined()
    }

    /// The lower-case hex SHA-256 digest of `token`.
    package static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
