import Foundation
import Platform
import Reports

/// `report holdout`'s one presenter: one table for aligned text, JSON and the HTML page.
struct HoldoutPresenter {
    let result: HoldoutReport.Result
    let metrics: [String]
    let period: HoldoutReport.Period

    func output(html: String?) throws -> CommandOutput {
        let r = result
        let columns = ["metric", "period", "measurement", "holdout", "lift", "lift_low", "lift_high", "rel_lift", "p"]
        let rows: [[ConsoleValue]] = r.lines.map { line in
            func num(_ v: Double) -> ConsoleValue { v.isFinite ? .number(v, .decimals(6)) : .null }
            return [.string(line.metric), .string(line.period.map { String(ValueParsing.formatTime($0).prefix(10)) } ?? "all"),
                    num(line.measurementMean), num(line.holdoutMean), num(line.absolute.estimate), num(line.absolute.lower),
                    num(line.absolute.upper), num(line.relative.estimate),
                    pval(line.absolute.pValue)]
        }
        let table = Table(columns: columns, rows: rows)
        var text = "Holdout report: measurement group (\(r.measurementUnits) units) against the holdout (\(r.holdoutUnits) units, "
            + "\(fmt(r.holdout.percent))%, seed \(r.holdout.seed)); Welch 95% intervals per \(period.rawValue)\n"
            + AlignedFormat().render(.table(table))
        if let html {
            var page = HTMLPage(title: "Holdout report")
            page.paragraph(text.split(separator: "\n").first.map(String.init) ?? "")
            for metric in metrics {
                page.heading("\(metric): measurement − holdout, 95% intervals")
                page.svg(ForestPlot(items: r.lines.filter { $0.metric == metric }.map { line in
                    .init(label: line.period.map { String(ValueParsing.formatTime($0).prefix(10)) } ?? "all periods",
                          estimate: line.absolute.estimate, lower: line.absolute.lower, upper: line.absolute.upper,
                          significant: line.absolute.pValue < 0.05)
                }).svg())
            }
            page.table(columns: columns, rows: table.rows.map { $0.map(\.text) })
            try writePage(page, to: html)
            text += "wrote \(html)\n"
        }
        return .summary(text, [("measurement_units", .int(r.measurementUnits)), ("holdout_units", .int(r.holdoutUnits)),
                               ("rows", .array(table.objects))])
    }
}
