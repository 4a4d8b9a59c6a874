// Reward over-optimisation as it happens (Gao et al. 2023, "Scaling Laws for Reward Model
// Overoptimization"): the proxy the policy is trained on keeps rising while what it stands for —
// the hidden judge that never trains anything, an independent model's fluency — falls. Each
// iteration's metrics go in; over the last few iterations a least-squares line is fitted to each
// followed metric, and when the proxy's slope is significantly up while a watched metric's is
// significantly worse, the guard warns or asks the trainer to stop. A trend counts only when its
// slope is at least `minimumTStatistic` standard errors from zero and the line moves at least the
// configured amount over the window, so noise in a flat stretch raises nothing.
import Optimization

public struct OveroptimizationGuard: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case off
        /// Report the finding and keep training.
        case warn
        /// Report the finding and end the run (the trainer checkpoints and saves the policy).
        case stop
    }

    /// A metric that must not get worse while the proxy reward rises.
    public struct Watch: Codable, Sendable, Equatable {
        public enum Worse: String, Codable, Sendable {
            case falling, rising
        }

        /// Its name in the iteration's metrics (TRL's naming: `eval/judge_score`).
        public var metric: String
        public var worse: Worse
        /// The least worsening of the fitted line over the window, in the metric's units.
        public var minimumChange: Double

        public init(metric: String, worse: Worse, minimumChange: Double = 0) {
            self.metric = metric
            self.worse = worse
            self.minimumChange = minimumChange
        }
    }

    public struct Configuration: Codable, Sendable, Equatable {
        public var action: Action = .warn
        /// The reward the policy is optimised for.
        public var proxyMetric = "objective/scores"
        /// The least rise of the proxy's fitted line over the window.
        public var minimumProxyChange = 0.0
        /// Metrics absent from an iteration are skipped for it (a judge scored every few iterations
        /// is fitted on the iterations it has).
        public var watched = [
            Watch(metric: "eval/judge_score", worse: .falling),
            Watch(metric: "eval/fluency_perplexity", worse: .rising),
        ]
        /// Iterations a trend is fitted over (the last `window`, by iteration number).
        public var window = 10
        /// Slope over its standard error a trend needs; 2 is about a one-sided 95% level at 8 degrees of freedom.
        public var minimumTStatistic = 2.0

        public init() {}

        public func validate() throws {
            func check(_ ok: Bool, _ field: String, _ expected: String) throws {
                if !ok { throw OptimizationError.invalidSetting(field: "overoptimizationGuard.\(field)", expected: expected) }
            }
            try check(window >= 3, "window", "≥ 3 iterations (a trend's standard error needs 3 points)")
            try check(minimumTStatistic >= 0 && minimumTStatistic.isFinite, "minimumTStatistic", "a finite value ≥ 0")
            try check(minimumProxyChange >= 0 && watched.allSatisfy { $0.minimumChange >= 0 }, "minimumProxyChange", "≥ 0 (and every watch's minimumChange ≥ 0)")
            try check(!proxyMetric.isEmpty && watched.allSatisfy { !$0.metric.isEmpty && $0.metric != proxyMetric }, "watched", "metric names, none the proxy's")
        }
    }

    /// The least-squares line through (iteration, value) points.
    public struct Trend: Codable, Sendable, Equatable {
        /// Change per iteration.
        public var slope: Double
        /// Standard error of the slope (residual variance on n − 2 degrees of freedom).
        public var standardError: Double
        /// Change of the fitted line from the window's first point to its last.
        public var change: Double
        public var points: Int

        /// slope / standardError; ±∞ for a perfect non-flat line, 0 for a flat one.
        public var tStatistic: Double {
            standardError > 0 ? slope / standardError : slope == 0 ? 0 : slope > 0 ? .infinity : -.infinity
        }

        /// nil below 3 points or when every iteration is the same.
        public init?(_ points: [(iteration: Int, value: Double)]) {
            guard points.count >= 3 else { return nil }
            let n = Double(points.count)
            let meanX = points.reduce(0) { $0 + Double($1.iteration) } / n, meanY = points.reduce(0) { $0 + $1.value } / n
            var sxx = 0.0, sxy = 0.0
            for point in points {
                sxx += (Double(point.iteration) - meanX) * (Double(point.iteration) - meanX)
                sxy += (Double(point.iteration) - meanX) * (point.value - meanY)
            }
            guard sxx > 0 else { return nil }
            slope = sxy / sxx
            var residuals = 0.0
            for point in points {
                let residual = point.value - meanY - slope * (Double(point.iteration) - meanX)
                residuals += residual * residual
            }
            standardError = (residuals / (n - 2) / sxx).squareRoot()
            let iterations = points.map(\.iteration)
            change = slope * Double(iterations.max()! - iterations.min()!)
            self.points = points.count
        }
    }

    /// The proxy rising while watched metrics worsen, at one iteration.
    public struct Finding: Codable, Sendable, Equatable, CustomStringConvertible {
        public var iteration: Int
        public var proxyMetric: String
        public var proxy: Trend
        /// Each worsening metric with its trend.
        public var worsening: [String: Trend]

        public var description: String {
            let worse = worsening.keys.sorted().map { name in
                "\(name) \(signed(worsening[name]!.change)) (t = \(fixed(worsening[name]!.tStatistic)))"
            }
            return "iteration \(iteration): \(proxyMetric) \(signed(proxy.change)) (t = \(fixed(proxy.tStatistic))) over "
                + "\(proxy.points) iterations while \(worse.joined(separator: ", ")): the policy may be exploiting the reward model"
        }

        private func fixed(_ x: Double) -> String {
            x.isFinite ? String(Double((x * 100).rounded()) / 100) : (x > 0 ? "∞" : "−∞")
        }

        private func signed(_ x: Double) -> String {
            (x >= 0 ? "+" : "") + fixed(x)
        }
    }

    public enum Decision: Sendable, Equatable {
        case proceed
        case warn(Finding)
        case stop(Finding)
    }

    public let configuration: Configuration
    /// The followed metrics' (iteration, value) points within the window of the latest iteration.
    private var history: [String: [Point]] = [:]

    private struct Point: Codable, Sendable, Equatable {
        var iteration: Int
        var value: Double
    }

    public init(configuration: Configuration) throws {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Records iteration `iteration`'s metrics and decides. A resumed run restores the guard by
    /// observing its metrics.jsonl records again, or from its encoded form.
    public mutating func observe(_ metrics: [String: Double], iteration: Int) -> Decision {
        guard configuration.action != .off else { return .proceed }
        for name in [configuration.proxyMetric] + configuration.watched.map(\.metric) {
            var points = history[name, default: []].filter { $0.iteration > iteration - configuration.window && $0.iteration < iteration }
            if let value = metrics[name], value.isFinite { points.append(Point(iteration: iteration, value: value)) }
            history[name] = points
        }
        guard let proxy = trend(configuration.proxyMetric), proxy.slope > 0, proxy.tStatistic >= configuration.minimumTStatistic,
              proxy.change >= configuration.minimumProxyChange else { return .proceed }
        var worsening: [String: Trend] = [:]
        for watch in configuration.watched {
            guard let trend = trend(watch.metric) else { continue }
            let sign = watch.worse == .falling ? -1.0 : 1.0
            if sign * trend.slope > 0, sign * trend.tStatistic >= configuration.minimumTStatistic, sign * trend.change >= watch.minimumChange {
                worsening[watch.metric] = trend
            }
        }
        guard !worsening.isEmpty else { return .proceed }
        let finding = Finding(iteration: iteration, proxyMetric: configuration.proxyMetric, proxy: proxy, worsening: worsening)
        return configuration.action == .stop ? .stop(finding) : .warn(finding)
    }

    private func trend(_ metric: String) -> Trend? {
        Trend((history[metric] ?? []).map { (iteration: $0.iteration, value: $0.value) })
    }
}
