// Krippendorff's alpha: agreement among annotators beyond chance, tolerant of missing judgments.

/// How far apart two values are, for Krippendorff's alpha.
package enum AgreementMetric: String, Codable, Sendable {
    /// Values are categories: any two different ones disagree equally.
    case nominal
    /// Values are numbers on an interval scale: disagreement is the squared difference.
    case interval

    func squaredDistance(_ a: Double, _ b: Double) -> Double {
        switch self {
        case .nominal: a == b ? 0 : 1
        case .interval: (a - b) * (a - b)
        }
    }
}

/// Krippendorff's alpha over units (items) each valued by any number of annotators.
///
/// Units valued by fewer than two annotators carry no information about agreement and are
/// dropped, which is what makes alpha usable on sparse labeling data.
package enum KrippendorffAlpha {
    /// Alpha for `units`, each the list of values its annotators gave (order irrelevant).
    /// Returns nil when alpha is undefined: fewer than two pairable values, or no variation at all.
    package static func alpha(units: [[Double]], metric: AgreementMetric) -> Double? {
        let pairable = units.filter { $0.count >= 2 }
        let values = Set(pairable.joined()).sorted()
        let position = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })
        var coincidence = Array(repeating: Array(repeating: 0.0, count: values.count), count: values.count)
        for unit in pairable {
            let weight = 1 / Double(unit.count - 1)
            for (i, c) in unit.enumerated() {
                for (j, k) in unit.enumerated() where i != j {
                    coincidence[position[c]!][position[k]!] += weight
                }
            }
        }
        let marginals = coincidence.map { $0.reduce(0, +) }
        let total = marginals.reduce(0, +)
        guard total > 1 else { return nil }
        var observed = 0.0
        var expected = 0.0
        for c in values.indices {
            for k in values.indices {
                let distance = metric.squaredDistance(values[c], values[k])
                observed += coincidence[c][k] * distance
                expected += marginals[c] * marginals[k] * distance
            }
        }
        observed /= total
        expected /= total * (total - 1)
        guard expected > 0 else { return nil }
        return 1 - observed / expected
    }
}
