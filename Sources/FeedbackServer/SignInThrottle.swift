// Throttling sign-in: failures from one client address earn it a growing wait before the next
// attempt is even checked, so guessing tokens gets slower the longer it goes on.

import Foundation

/// Failed sign-ins by client address, and how long each address must wait.
///
/// Sign-in is by token alone (there is no name to guess for), so the address is what failures are
/// counted by. The clock is injected so tests step through the backoff without sleeping.
package actor SignInThrottle {
    /// How failures turn into waits.
    package struct Policy: Sendable, Equatable {
        /// Failures allowed before any wait (mistyped tokens happen).
        package var freeFailures: Int
        /// The wait after the first failure beyond the free ones; each further failure doubles it.
        package var firstWait: TimeInterval
        /// The longest wait.
        package var longestWait: TimeInterval

        package static let standard = Policy(freeFailures: 5, firstWait: 1, longestWait: 15 * 60)

        package init(freeFailures: Int, firstWait: TimeInterval, longestWait: TimeInterval) {
            self.freeFailures = freeFailures
            self.firstWait = firstWait
            self.longestWait = longestWait
        }

        /// The wait after `failures` failures in a row.
        func wait(after failures: Int) -> TimeInterval {
            guard failures > freeFailures else { return 0 }
            return min(longestWait, firstWait * pow(2, Double(min(failures - freeFailures - 1, 40))))
        }
    }

    private struct Record {
        var failures: Int
        var blockedUntil: Date
    }

    /// Addresses tracked before records whose wait is over are dropped.
    private static let pruneThreshold = 10_000
    private let policy: Policy
    private let now: @Sendable () -> Date
    private var records: [String: Record] = [:]

    package init(policy: Policy = .standard, now: @escaping @Sendable () -> Date = Date.init) {
        self.policy = policy
        self.now = now
    }

    /// Seconds `address` must still wait before an attempt is checked, or nil when it may try now.
    package func retryAfter(for address: String) -> TimeInterval? {
        guard let record = records[address] else { return nil }
        let remaining = record.blockedUntil.timeIntervalSince(now())
        return remaining > 0 ? remaining : nil
    }

    /// Counts a failed attempt from `address` and starts its wait.
    package func recordFailure(from address: String) {
        if records.count >= Self.pruneThreshold {
            let current = now()
            records = records.filter { $0.value.blockedUntil > current }
        }
        let failures = (records[address]?.failures ?? 0) + 1
        records[address] = Record(failures: failures, blockedUntil: now().addingTimeInterval(policy.wait(after: failures)))
    }

    /// A success forgets the address's failures.
    package func recordSuccess(from address: String) {
        records[address] = nil
    }
}
