// A self-contained SVG line chart (axes, ticks, labels, legend, one polyline with markers per
// series) for run reports: learning curves, reward and KL over training. Text is escaped.
import Foundation
import TextFiles

public struct LineChart: Sendable, Equatable {
    public struct Series: Sendable, Equatable {
        public var name: String
        /// (x, y) points, drawn in the order given.
        public var points: [(x: Double, y: Double)]

        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }

        public static func == (a: Series, b: Series) -> Bool {
            a.name == b.name && a.points.elementsEqual(b.points) { $0.x == $1.x && $0.y == $1.y }
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Plot x on a log₁₀ axis (for sizes growing geometrically); every x must be positive.
    public var logarithmicX = false
    /// The y range to show at least (widened to every finite point, so none is drawn off the
    /// plot); nil fits the data.
    public var yRange: ClosedRange<Double>?
    public var width = 640.0
    public var height = 400.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series], logarithmicX: Bool = false, yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logarithmicX = logarithmicX
        self.yRange = yRange
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    private static let margin = (left: 70.0, right: 160.0, top: 40.0, bottom: 55.0)

    /// The chart as an SVG document.
    public func svg() -> String {
        let m = Self.margin
        let plot = (x: m.left, y: m.top, width: width - m.left - m.right, height: height - m.top - m.bottom)
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logarithmicX || $0.x > 0) }
        let xs = points.map { logarithmicX ? log10($0.x) : $0.x }
        let xDomain = Self.padded((xs.min() ?? 0)...(xs.max() ?? 1))
        let fitted = Self.padded((points.map(\.y).min() ?? 0)...(points.map(\.y).max() ?? 1))
        let yDomain = yRange.map { range in
            min(range.lowerBound, points.map(\.y).min() ?? range.lowerBound)...max(range.upperBound, points.map(\.y).max() ?? range.upperBound)
        } ?? fitted
        // Ticks are positions in the (possibly logarithmic) domain; data go through px.
        func position(_ domainValue: Double) -> Double {
            plot.x + (domainValue - xDomain.lowerBound) / (xDomain.upperBound - xDomain.lowerBound) * plot.width
        }
        func px(_ x: Double) -> Double { position(logarithmicX ? log10(x) : x) }
        func py(_ y: Double) -> Double {
            plot.y + plot.height - (y - yDomain.lowerBound) / (yDomain.upperBound - yDomain.lowerBound) * plot.height
        }
        var body: [String] = []
        body.append(#"<rect x="0" y="0" width="\#(f(width))" height="\#(f(height))" fill="white"/>"#)
        body.append(text(title, x: width / 2, y: 24, anchor: "middle", size: 16, bold: true))
        // A run whose metric blew up must not read as a clean curve that merely stops.
        let undrawn = series.filter { $0.points.contains { !$0.x.isFinite || !$0.y.isFinite } }.map(\.name)
        if !undrawn.isEmpty {
            let count = series.reduce(0) { $0 + $1.points.filter { !$0.x.isFinite || !$0.y.isFinite }.count }
            body.append(text("\(count) NaN or infinite values not drawn (\(undrawn.joined(separator: ", ")))", x: width / 2, y: 38, anchor: "middle", size: 11))
        }
        let xTicks = logarithmicX ? Self.logTicks(xDomain) : Self.ticks(xDomain).map { ($0, Self.label($0)) }
        for (value, label) in xTicks {
            let x = position(value)
            body.append(line(x, plot.y, x, plot.y + plot.height, stroke: "#e5e5e5"))
            body.append(text(label, x: x, y: plot.y + plot.height + 18, anchor: "middle", size: 11))
        }
        for value in Self.ticks(yDomain) {
            let y = py(value)
            body.append(line(plot.x, y, plot.x + plot.width, y, stroke: "#e5e5e5"))
            body.append(text(Self.label(value), x: plot.x - 8, y: y + 4, anchor: "end", size: 11))
        }
        body.append(line(plot.x, plot.y + plot.height, plot.x + plot.width, plot.y + plot.height, stroke: "#333"))
        body.append(line(plot.x, plot.y, plot.x, plot.y + plot.height, stroke: "#333"))
        body.append(text(xLabel, x: plot.x + plot.width / 2, y: height - 14, anchor: "middle", size: 12))
        let yLabelX = 18.0, yLabelY = plot.y + plot.height / 2
        body.append(#"<text x="\#(f(yLabelX))" y="\#(f(yLabelY))" text-anchor="middle" font-size="12" transform="rotate(-90 \#(f(yLabelX)) \#(f(yLabelY)))">\#(markupEscaped(yLabel))</text>"#)
        for (index, series) in series.enumerated() {
            // Past the palette, colours repeat with another marker, so no two series look alike.
            let color = Self.palette[index % Self.palette.count]
            let square = index / Self.palette.count % 2 == 1
            let drawn = series.points.filter { $0.x.isFinite && $0.y.isFinite && (!logarithmicX || $0.x > 0) }
            let coordinates = drawn.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            body.append(#"<polyline fill="none" stroke="\#(color)" stroke-width="2" points="\#(coordinates)"/>"#)
            for point in drawn {
                let tip = "<title>\(markupEscaped("\(series.name): (\(Self.label(point.x)), \(Self.label(point.y)))"))</title>"
                body.append(square
                    ? #"<rect x="\#(f(px(point.x) - 3.5))" y="\#(f(py(point.y) - 3.5))" width="7" height="7" fill="\#(color)">\#(tip)</rect>"#
                    : #"<circle cx="\#(f(px(point.x)))" cy="\#(f(py(point.y)))" r="3.5" fill="\#(color)">\#(tip)</circle>"#)
            }
            let legendY = plot.y + 10 + Double(index) * 20
            body.append(line(plot.x + plot.width + 14, legendY, plot.x + plot.width + 34, legendY, stroke: color, width: 2))
            if square { body.append(#"<rect x="\#(f(plot.x + plot.width + 20.5))" y="\#(f(legendY - 3.5))" width="7" height="7" fill="\#(color)"/>"#) }
            body.append(text(series.name, x: plot.x + plot.width + 40, y: legendY + 4, anchor: "start", size: 12))
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif">
            \(body.joined(separator: "\n"))
            </svg>

            """
    }

    /// Writes the SVG to `url`, atomically.
    public func write(to url: URL) throws {
        try Data(svg().utf8).write(to: url, options: .atomic)
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1) -> String {
        #"<line x1="\#(f(x1))" y1="\#(f(y1))" x2="\#(f(x2))" y2="\#(f(y2))" stroke="\#(stroke)" stroke-width="\#(f(width))"/>"#
    }

    private func text(_ content: String, x: Double, y: Double, anchor: String, size: Int, bold: Bool = false) -> String {
        #"<text x="\#(f(x))" y="\#(f(y))" text-anchor="\#(anchor)" font-size="\#(size)"\#(bold ? #" font-weight="bold""# : "")>\#(markupEscaped(content))</text>"#
    }

    private func f(_ value: Double) -> String { String(format: "%.2f", value) }

    /// A domain widened by 5% each side (or by 1 when it is a single value).
    static func padded(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
        let span = range.upperBound - range.lowerBound
        let pad = span > 0 ? span * 0.05 : 1
        return (range.lowerBound - pad)...(range.upperBound + pad)
    }

    /// About five round tick values (1, 2 or 5 times a power of ten apart) inside `range`.
    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let raw = span / 5, power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        let first = ceil(range.lowerBound / step) * step
        return stride(from: first, through: range.upperBound + step * 1e-9, by: step).map { ($0 / step).rounded() * step }
    }

    /// Ticks of a log₁₀ axis at 1, 2 and 5 times each power of ten, as (log value, label).
    static func logTicks(_ range: ClosedRange<Double>) -> [(Double, String)] {
        var ticks: [(Double, String)] = []
        for exponent in Int(floor(range.lowerBound))...Int(ceil(range.upperBound)) {
            for multiple in [1.0, 2, 5] {
                let value = multiple * pow(10, Double(exponent))
                if range.contains(log10(value)) { ticks.append((log10(value), label(value))) }
            }
        }
        return ticks
    }

    /// A short tick label: integers plainly, thousands as "2k", fractions with up to 3 digits.
    static func label(_ value: Double) -> String {
        if value != 0, abs(value) >= 1000, value.truncatingRemainder(dividingBy: 1000) == 0 { return "\(Int(value / 1000))k" }
        if value == value.rounded(), abs(value) < 1e9 { return "\(Int(value))" }
        return String(format: "%.3g", value)
    }
}
