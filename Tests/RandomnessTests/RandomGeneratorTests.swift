// The seeded generator: same seed same stream, saved state resumes the stream, and draws with
// the distributions they claim.
import Foundation
import Testing
import Randomness

@Suite struct RandomGeneratorTests {
    @Test func theSameSeedGivesTheSameStreamAndAnotherSeedDoesNot() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let first = (0..<100).map { _ in a.next() }
        #expect(first == (0..<100).map { _ in b.next() })
        #expect(first != (0..<100).map { _ in c.next() })
    }

    @Test func encodedStateResumesTheStreamMidwayThroughANormalPair() throws {
        var generator = RandomGenerator(seed: 7)
        _ = generator.normal()  // leaves the pair's second value pending
        let saved = try JSONEncoder().encode(generator)
        let expected = (0..<10).map { _ in generator.normal() }
        var restored = try JSONDecoder().decode(RandomGenerator.self, from: saved)
        #expect((0..<10).map { _ in restored.normal() } == expected)
    }

    @Test func uniformAndNormalHaveTheirMoments() {
        var generator = RandomGenerator(seed: 1)
        let n = 200_000
        let uniforms = (0..<n).map { _ in generator.uniformDouble() }
        #expect(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(uniforms.reduce(0, +) / Double(n) - 0.5) < 0.005)
        let normals = (0..<n).map { _ in generator.normal(mean: 2, standardDeviation: 3) }
        let mean = normals.reduce(0, +) / Double(n)
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        #expect(abs(mean - 2) < 0.03)
        #expect(abs(variance.squareRoot() - 3) < 0.03)
    }

    @Test func categoricalDrawsFollowTheWeightsAndSkipZeros() {
        var generator = RandomGenerator(seed: 3)
        let weights: [Float] = [0.1, 0, 0.6, 0.3]
        var counts = [0, 0, 0, 0]
        for _ in 0..<100_000 { counts[generator.categorical(weights: weights)] += 1 }
        #expect(counts[1] == 0)
        for i in [0, 2, 3] { #expect(abs(Double(counts[i]) / 100_000 - Double(weights[i])) < 0.01, "index \(i)") }
    }

    @Test func permutationsAndChildStreamsAreDeterministic() {
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        let p = a.permutation(50)
        #expect(p.sorted() == Array(0..<50))
        #expect(p == b.permutation(50))
        var childA = a.child(), childB = b.child()
        #expect(childA.next() == childB.next())
        #expect(childA.next() != a.next())
    }

    @Test func aSavedOrderMustBeAPermutationOfTheDataItIndexes() throws {
        var generator = RandomGenerator(seed: 5)
        let order = generator.permutation(6)
        try RandomGenerator.checkSavedOrder(order, position: 6, count: 6)
        #expect(throws: SavedOrderMismatch(saved: 6, current: 5)) { try RandomGenerator.checkSavedOrder(order, position: 0, count: 5) }
        #expect(throws: SavedOrderMismatch(saved: 6, current: 7)) { try RandomGenerator.checkSavedOrder(order, position: 0, count: 7) }
        var repeated = order
        repeated[0] = repeated[1]
        #expect(throws: SavedOrderMismatch(saved: 6, current: 6)) { try RandomGenerator.checkSavedOrder(repeated, position: 0, count: 6) }
        #expect(throws: SavedOrderMismatch(saved: 6, current: 6)) { try RandomGenerator.checkSavedOrder(order.map { $0 + 1 }, position: 0, count: 6) }
        #expect(throws: SavedOrderMismatch(saved: 6, current: 6)) { try RandomGenerator.checkSavedOrder(order, position: 7, count: 6) }
        #expect(throws: SavedOrderMismatch(saved: 6, current: 6)) { try RandomGenerator.checkSavedOrder(order, position: -1, count: 6) }
    }
}
