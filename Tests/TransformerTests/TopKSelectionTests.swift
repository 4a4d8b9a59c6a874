// The sampler's top-k selection against sorting the whole row, ties included.
import Randomness
import Testing
@testable import Transformer

@Suite struct TopKSelectionTests {
    func sortedReference(_ logits: [Float], k: Int) -> [Int] {
        Array(logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(k)).sorted()
    }

    @Test func theHeapKeepsWhatSortingKeeps() {
        var generator = RandomGenerator(seed: 5)
        for trial in 0..<200 {
            let V = 1 + generator.integer(in: 0..<300)
            // Few distinct values on some trials, so ties at the k-th place are common.
            let levels = trial % 2 == 0 ? 4 : 1000
            let logits = (0..<V).map { _ in Float(generator.integer(in: 0..<levels)) - Float(levels) / 2 }
            for k in [1, 2, 7, 40, V, V + 3] {
                let found = logits.withUnsafeBufferPointer { TokenChooser.topK($0.baseAddress!, count: V, k: k) }
                #expect(found == sortedReference(logits, k: min(k, V)), "V \(V), k \(k), trial \(trial)")
            }
        }
    }
}
