// Information density (Settles and Craven, 2008): uncertainty alone favours pairs of rare words
// that seldom come up again, so a label on them teaches little about the pairs still to judge.
// Weighting it by how typical a task is of the pool favours what a label generalises from.

import Foundation

/// Each task's cosine similarity to the pool's mean (its completions' features summed), raised
/// to `exponent`: 1 for a task like the average one, towards 0 for an unusual one. The centroid
/// stands in for the mean similarity to every other task, which would cost a pass per task.
func poolDensity(_ tasks: [Int64: [SparseFeatures]], exponent: Double) -> [Int64: Double] {
    // Sorted, so sums add in the same order in every process (dictionary order is not).
    let ids = tasks.keys.sorted()
    let vectors = ids.map { id in
        tasks[id]!.reduce(into: [Int: Double]()) { sum, features in
            for (index, value) in zip(features.indices, features.values) { sum[index, default: 0] += value }
        }
    }
    var centroid: [Int: Double] = [:]
    for vector in vectors {
        for index in vector.keys.sorted() { centroid[index, default: 0] += vector[index]! }
    }
    let centroidNorm = centroid.keys.sorted().reduce(0) { $0 + centroid[$1]! * centroid[$1]! }.squareRoot()
    var density: [Int64: Double] = [:]
    for (id, vector) in zip(ids, vectors) {
        let keys = vector.keys.sorted()
        let norm = keys.reduce(0) { $0 + vector[$1]! * vector[$1]! }.squareRoot()
        let dot = keys.reduce(0) { $0 + vector[$1]! * (centroid[$1] ?? 0) }
        density[id] = norm > 0 && centroidNorm > 0 ? pow(max(0, dot / (norm * centroidNorm)), exponent) : 0
    }
    return density
}
