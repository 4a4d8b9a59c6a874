// Elo, Bradley-Terry, bootstrap intervals and Krippendorff's alpha against scripts/ratings_reference.py.

import Foundation
import Testing
@testable import Ratings

/// The numbers scripts/ratings_reference.py wrote from the committed battle log.
private struct Reference: Decodable {
    var elo: [String: Double]
    var bradleyTerry: [String: Double]
    var bootstrapResamples: [[Int]]
    var bootstrapIntervals: [String: [Double]]
    var krippendorffExample: [[Double]]
    var krippendorffNominal: Double
    var krippendorffInterval: Double
}

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

private func loadBattles() throws -> [Battle] {
    let text = try String(contentsOf: fixtures.appendingPathComponent("battles.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONDecoder().decode(Battle.self, from: Data($0.utf8)) }
}

private func loadReference() throws -> Reference {
    try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixtures.appendingPathComponent("ratings_reference.json")))
}

/// Fails with the largest difference when two rating tables disagree beyond `tolerance`.
private func expectClose(_ actual: [String: Double], _ expected: [String: Double], tolerance: Double, _ what: String) {
    #expect(Set(actual.keys) == Set(expected.keys), "\(what): models differ")
    let worst = expected.map { model, value in (model, abs((actual[model] ?? .nan) - value)) }.max { $0.1 < $1.1 }
    #expect(worst.map { $0.1 <= tolerance } ?? false, "\(what): largest difference \(worst.map { "\($0.1) at \($0.0)" } ?? "none")")
}

@Test func onlineEloMatchesFastChat() throws {
    let battles = try loadBattles()
    #expect(battles.count == 900)
    expectClose(OnlineElo().ratings(for: battles), try loadReference().elo, tolerance: 1e-9, "online Elo")
}

@Test func bradleyTerryMatchesFastChatLogisticRegression() throws {
    let fit = BradleyTerry().fit(try loadBattles())
    #expect(!fit.isRegularized)
    // scikit-learn stops at tol=1e-6, about 1e-3 rating points from the exact optimum found here.
    expectClose(fit.ratings, try loadReference().bradleyTerry, tolerance: 0.01, "Bradley-Terry")
}

@Test func bootstrapIntervalsMatchOnTheSameResamples() throws {
    let reference = try loadReference()
    let intervals = BradleyTerryBootstrap(rounds: reference.bootstrapResamples.count)
        .intervals(for: try loadBattles(), resamples: reference.bootstrapResamples)
    expectClose(intervals.mapValues(\.lower), reference.bootstrapIntervals.mapValues { $0[0] }, tolerance: 0.01, "lower bounds")
    expectClose(intervals.mapValues(\.upper), reference.bootstrapIntervals.mapValues { $0[1] }, tolerance: 0.01, "upper bounds")
}

@Test func krippendorffAlphaMatchesThePublishedExample() throws {
    let reference = try loadReference()
    let nominal = try #require(KrippendorffAlpha.alpha(units: reference.krippendorffExample, metric: .nominal))
    let interval = try #require(KrippendorffAlpha.alpha(units: reference.krippendorffExample, metric: .interval))
    #expect(abs(nominal - reference.krippendorffNominal) < 1e-12)
    #expect(abs(interval - reference.krippendorffInterval) < 1e-12)
    // Krippendorff (2011) prints 0.743 and 0.849 for these data.
    #expect(abs(nominal - 0.743) < 5e-4)
    #expect(abs(interval - 0.849) < 5e-4)
}
