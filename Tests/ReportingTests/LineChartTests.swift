// The SVG line chart: a well-formed document with every series, escaped text, round ticks,
// and a logarithmic axis that places sizes by their logarithm.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Reporting
import TextFiles

@Suite struct LineChartTests {
    let chart = LineChart(
        title: "Accuracy <vs> comparisons & \"size\"", xLabel: "comparisons", yLabel: "accuracy",
        series: [
            .init(name: "held-out", points: [(500, 0.7), (1000, 0.78), (2000, 0.84), (5000, 0.88)]),
            .init(name: "train's", points: [(500, 0.8), (1000, 0.85), (2000, 0.9), (5000, 0.93)]),
        ],
        logarithmicX: true, yRange: 0.5...1)

    @Test func writesAWellFormedDocument() throws {
        let svg = chart.svg()
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
        #expect(svg.contains("Accuracy &lt;vs&gt; comparisons &amp; &quot;size&quot;"))
        #expect(svg.contains("train&#39;s"))
        #expect(svg.components(separatedBy: "<polyline").count == 3)
        #expect(svg.components(separatedBy: "<circle").count == 9)
        for label in [">500<", ">1k<", ">2k<", ">5k<", ">0.6<", ">0.8<", ">1<"] { #expect(svg.contains(label), "tick \(label)") }
    }

    @Test func logarithmicAxisSpacesGeometricSizesEvenly() throws {
        let svg = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: [(10, 1), (100, 2), (1000, 3)])], logarithmicX: true).svg()
        let circles = svg.components(separatedBy: "<circle cx=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
        #expect(circles.count == 3)
        #expect(abs((circles[1] - circles[0]) - (circles[2] - circles[1])) < 0.02)
    }

    /// A point below a fixed range widens it instead of landing on the tick labels; a value that
    /// blew up is said, not silently left out; the eleventh series gets another marker.
    @Test func nothingIsDrawnOffThePlotOrLeftOutInSilence() throws {
        let svg = LineChart(
            title: "t", xLabel: "x", yLabel: "y",
            series: [.init(name: "small", points: [(50, 0.38), (100, 0.6)]), .init(name: "diverged", points: [(1, .nan), (2, 0.7), (3, .infinity)])],
            yRange: 0.5...1
        ).svg()
        let plotBottom = 400.0 - 55, plotTop = 40.0
        let ys = svg.components(separatedBy: "<circle cx=\"").dropFirst().compactMap { piece -> Double? in
            guard let at = piece.range(of: "cy=\"") else { return nil }
            return Double(piece[at.upperBound...].prefix { $0 != "\"" })
        }
        #expect(ys.count == 3 && ys.allSatisfy { (plotTop...plotBottom).contains($0) }, "\(ys)")
        #expect(svg.contains(">0.4<"), "the axis reaches below 0.5")
        #expect(svg.contains("2 NaN or infinite values not drawn (diverged)"))
        let many = LineChart(title: "t", xLabel: "x", yLabel: "y", series: (0..<11).map { .init(name: "s\($0)", points: [(1, Double($0))]) }).svg()
        #expect(many.components(separatedBy: "<circle").count - 1 == 10 && many.contains(##"width="7" height="7" fill="#1f77b4""##))
    }

    @Test func ticksAreRound() {
        let unit = LineChart.ticks(0...1)
        #expect(unit.count == 6 && zip(unit, [0, 0.2, 0.4, 0.6, 0.8, 1]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(LineChart.ticks(3...47) == [10, 20, 30, 40])
        #expect(LineChart.label(2000) == "2k" && LineChart.label(0.25) == "0.25" && LineChart.label(7) == "7")
    }

    /// A scalar that joins the next one into a grapheme cluster does not carry markup past the
    /// escaping: U+0600 before "<", accents after "<", "&" and a quote.
    @Test func markupInsideAGraphemeClusterIsEscaped() throws {
        #expect(markupEscaped("a\u{0600}<img src=x onerror=1\u{0600}>") == "a\u{0600}&lt;img src=x onerror=1\u{0600}&gt;")
        #expect(markupEscaped("<\u{0301}b \"\u{0301} &\u{0301} '") == "&lt;\u{0301}b &quot;\u{0301} &amp;\u{0301} &#39;")
        let svg = LineChart(title: "\u{0600}<b>", xLabel: "x", yLabel: "y", series: [.init(name: "<\u{0301}s", points: [(1, 1)])]).svg()
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
        #expect(!svg.replacingOccurrences(of: "\u{0600}", with: "").contains("<b>"), "no raw tag from the title")
    }
}
