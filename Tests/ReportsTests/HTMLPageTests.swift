import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import Reports

final class HTMLPageTests: XCTestCase {
    func testEscapesEverythingItIsGiven() {
        var page = HTMLPage(title: "x'); DROP TABLE experiments; -- <script>")
        page.table(columns: ["<b>"], rows: [["a & b"], ["1.5"]])
        page.paragraph("\"quoted\"", className: "note")
        let html = page.render()
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertTrue(html.contains("&lt;script&gt;"))
        XCTAssertTrue(html.contains("<td>a &amp; b</td>"))
        XCTAssertTrue(html.contains("<td class=\"num\">1.5</td>"))
        XCTAssertTrue(html.contains("&quot;quoted&quot;"))
        XCTAssertFalse(html.contains("<link"), "self-contained: no external resources")
    }

    func testForestPlotPlacesIntervalsOnOneScale() throws {
        let plot = ForestPlot(items: [
            .init(label: "revenue · treatment", estimate: 0.5, lower: 0.2, upper: 0.8, significant: true),
            .init(label: "orders <b>", estimate: -0.1, lower: -0.4, upper: 0.2, significant: false),
        ])
        let svg = plot.svg(width: 900)
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 2)
        XCTAssertTrue(svg.contains("orders &lt;b&gt;"))
        XCTAssertTrue(svg.contains("#1a7f37"), "a significant positive effect is green")
        // The page parses as XML (SVG inside must be well formed).
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    }

    func testTimelineDrawsOneBandPerRunAndBreaksTheLineAtGaps() throws {
        // Arms 0 0 1 1 1 0 with no value in window 3: three runs, two line pieces.
        let arms = [0, 0, 1, 1, 1, 0]
        let windows = arms.enumerated().map { i, arm in TimelineChart.Window(index: i, arm: arm, value: i == 3 ? nil : Double(i)) }
        let chart = TimelineChart(arms: ["control", "treat<ment>"], lanes: [.init(label: "north", windows: windows)],
                                  ticks: [(0, "11-23")])
        let svg = chart.svg()
        let bands = svg.components(separatedBy: "<rect").count - 1 - 2 // minus the two legend swatches
        XCTAssertEqual(bands, 3)
        let path = try XCTUnwrap(svg.components(separatedBy: "<path d=\"").dropFirst().first?.components(separatedBy: "\"").first)
        XCTAssertEqual(path.filter { $0 == "M" }.count, 2, "a gap starts a new piece: \(path)")
        XCTAssertEqual(path.filter { $0 == "L" }.count, 3)
        XCTAssertTrue(svg.contains("treat&lt;ment&gt;"))
        XCTAssertTrue(svg.contains(">11-23<"))
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    }
}
