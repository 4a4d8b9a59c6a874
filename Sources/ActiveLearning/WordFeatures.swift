// Fixed text features on which an ensemble of linear preference heads retrains in milliseconds
// every acquisition round: hashed bag-of-words, or a frozen backbone's embeddings computed once.
import StableHashing

/// Turns a text into the features the ensemble's heads read.
package protocol TextFeaturizer: Sendable {
    /// The length of the feature vectors (the heads' weight count).
    var dimensions: Int { get }
    func features(of text: String) -> SparseFeatures
}

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
    package func subtracting(_ other: SparseFeatures) -> SparseFeatures {
        if indices == other.indices {  // dense vectors, or the same words
            return SparseFeatures(indices: indices, values: zip(values, other.values).map { $0 - $1 })
        }
        var merged: [Int: Double] = [:]
        for (index, value) in zip(indices, values) { merged[index, default: 0] += value }
        for (index, value) in zip(other.indices, other.values) { merged[index, default: 0] -= value }
        let kept = merged.filter { $0.value != 0 }.sorted { $0.key < $1.key }
        return SparseFeatures(indices: kept.map(\.key), values: kept.map(\.value))
    }
}

/// Turns texts into `SparseFeatures`: lower-cased words (letters and apostrophes), each hashed
/// with FNV-1a into one of `dimensions` buckets.
package struct WordFeaturizer: TextFeaturizer {
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
            counts[Int(StableHash.of(word) % UInt64(dimensions)), default: 0] += 1
        }
        let scale = lengthNormalized ? 1 / Double(words.count + 1).squareRoot() : 1
        let sorted = counts.sorted { $0.key < $1.key }
        return SparseFeatures(indices: sorted.map(\.key), values: sorted.map { $0.value * scale })
    }
}

/// Texts' dense embeddings (a frozen backbone's, say) looked up by text, each dimension
/// standardised on the texts given as `reference`: the heads' SGD then sees every dimension on
/// one scale, whatever outliers the backbone's hidden states carry.
package struct EmbeddingFeaturizer: TextFeaturizer {
    package let dimensions: Int
    private let table: [String: [Double]]
    /// Every vector is dense: one index list serves them all.
    private let indices: [Int]

    /// `embeddings[text]` must all have one length; `reference` names the texts whose mean and
    /// standard deviation per dimension are removed (the pool's, not the held-out texts').
    package init(embeddings: [String: [Float]], reference: [String]) {
        let width = embeddings.values.first?.count ?? 0
        let known = reference.compactMap { embeddings[$0] }
        let count = Double(max(known.count, 1))
        var mean = [Double](repeating: 0, count: width), meanSquare = mean
        for vector in known {
            for index in 0..<width {
                mean[index] += Double(vector[index]) / count
                meanSquare[index] += Double(vector[index]) * Double(vector[index]) / count
            }
        }
        // Divided by √width as well, so a vector's norm is about 1 and a head's step size does not
        // depend on the backbone's width.
        let root = Double(max(width, 1)).squareRoot()
        var scale = [Double](repeating: 0, count: width)
        for index in 0..<width {
            let variance = max(meanSquare[index] - mean[index] * mean[index], 0)
            scale[index] = 1 / ((variance.squareRoot() + 1e-6) * root)
        }
        dimensions = width
        indices = Array(0..<width)
        table = embeddings.mapValues { vector -> [Double] in
            var standardised = [Double](repeating: 0, count: width)
            for index in 0..<width { standardised[index] = (Double(vector[index]) - mean[index]) * scale[index] }
            return standardised
        }
    }

    /// The standardised embedding; zeros for a text that was never embedded.
    package func features(of text: String) -> SparseFeatures {
        SparseFeatures(indices: indices, values: table[text] ?? [Double](repeating: 0, count: dimensions))
    }
}

/// Several featurizers side by side: each one's features follow the previous ones' dimensions.
/// Both kinds here give vectors of norm about 1, so neither drowns the other under one prior.
package struct ConcatenatedFeaturizer: TextFeaturizer {
    package let parts: [any TextFeaturizer]
    package var dimensions: Int { parts.reduce(0) { $0 + $1.dimensions } }

    package init(_ parts: [any TextFeaturizer]) { self.parts = parts }

    package func features(of text: String) -> SparseFeatures {
        var combined = SparseFeatures(indices: [], values: [])
        var offset = 0
        for part in parts {
            let features = part.features(of: text)
            combined.indices += features.indices.map { $0 + offset }
            combined.values += features.values
            offset += part.dimensions
        }
        return combined
    }
}
