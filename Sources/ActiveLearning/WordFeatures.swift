// Hashed bag-of-words features: a fixed, cheap stand-in for a frozen backbone, on which an
// ensemble of linear preference heads retrains in milliseconds every acquisition round.

/// A text as word counts in hashed buckets, only the non-zero ones kept.
package struct SparseFeatures: Sendable, Equatable {
    /// Bucket indices, ascending.
    package var indices: [Int]
    /// The count in each bucket.
    package var values: [Double]

    /// The dot product with a dense weight vector.
    func dot(_ weights: [Double]) -> Double {
        zip(indices, values).reduce(0) { $0 + weights[$1.0] * $1.1 }
    }

    /// `self − other`, still sparse.
    func subtracting(_ other: SparseFeatures) -> SparseFeatures {
        var merged: [Int: Double] = [:]
        for (index, value) in zip(indices, values) { merged[index, default: 0] += value }
        for (index, value) in zip(other.indices, other.values) { merged[index, default: 0] -= value }
        let kept = merged.filter { $0.value != 0 }.sorted { $0.key < $1.key }
        return SparseFeatures(indices: kept.map(\.key), values: kept.map(\.value))
    }
}

/// Turns texts into `SparseFeatures`: lower-cased words (letters and apostrophes), each hashed
/// with FNV-1a into one of `dimensions` buckets.
package struct WordFeaturizer: Sendable {
    /// How many buckets.
    package let dimensions: Int
    /// Whether counts are divided by √(words + 1). People judge a short sharp text and a long one
    /// with the same word differently; raw counts let length alone move a linear head's score.
    package let lengthNormalized: Bool

    /// A featurizer over `dimensions` buckets (at least 1).
    package init(dimensions: Int = 4096, lengthNormalized: Bool = false) {
        self.dimensions = max(1, dimensions)
        self.lengthNormalized = lengthNormalized
    }

    /// The text's word counts (divided by √(words + 1) when length-normalised).
    package func features(of text: String) -> SparseFeatures {
        var counts: [Int: Double] = [:]
        let words = text.lowercased().split { !($0.isLetter || $0 == "'") }
        for word in words {
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            counts[Int(hash % UInt64(dimensions)), default: 0] += 1
        }
        let scale = lengthNormalized ? 1 / Double(words.count + 1).squareRoot() : 1
        let sorted = counts.sorted { $0.key < $1.key }
        return SparseFeatures(indices: sorted.map(\.key), values: sorted.map { $0.value * scale })
    }
}
