import Foundation
import Platform
import Qini
import Reports

/// `qini`'s one presenter: the table of scores, the deciles, the JSON record (every number whole)
/// and the HTML page with the curves.
struct QiniPresenter {
    let result: QiniReport.Result
    /// The bootstrap replicates asked for, for the intervals' caption.
    let bootstrap: Int?

    func output(html: String?) throws -> CommandOutput {
        func r(_ v: Double?) -> ConsoleValue { v.map(sixDigits) ?? .null }
        let table = Table(
            columns: ["score", "units", "treated", "qini_auc_score", "uplift_auc_score", "uplift_at_10", "uplift_at_20", "uplift_at_30",
                      "causalml_qini_score", "causalml_auuc_score"],
            rows: result.evaluations.map { e in
                [.string(e.name), .int(e.units), .int(e.treated), r(e.qiniAUCScore), r(e.upliftAUCScore)]
                    + [0.1, 0.2, 0.3].map { k in r(e.upliftAt.first { $0.k == k }?.value) }
                    + [r(e.causalmlQiniScore), r(e.causalmlAUUCScore)]
            })
        var text = "Qini evaluation of \(result.source)\n" + AlignedFormat().render(.table(table))
        for e in result.evaluations {
            if let q = e.qiniInterval, let u = e.upliftInterval {
                text += "\(e.name): 95% bootstrap intervals (\(bootstrap ?? 0) replicates): qini_auc_score [\(fourDecimals(q.lower)), \(fourDecimals(q.upper))], "
                    + "uplift_auc_score [\(fourDecimals(u.lower)), \(fourDecimals(u.upper))]\n"
            }
            if !e.binary { text += "\(e.name): the outcome is not binary, so there is no perfect curve and no normalised AUC; curves only\n" }
        }
        for e in result.evaluations where !e.deciles.isEmpty {
            text += "\n\(e.name) by decile of the score (uplift_by_percentile, strategy overall):\n"
            text += AlignedFormat().render(.table(decileTable(e.deciles)))
        }
        if let html {
            var page = HTMLPage(title: "Qini: \(result.source)")
            page.paragraph("Qini evaluation of \(result.source). Curves as scikit-uplift 0.5.1 defines them; random is the straight line to the end point.")
            page.table(columns: table.columns, rows: table.rows.map { $0.map(\.text) })
            for e in result.evaluations {
                page.heading("\(e.name): Qini curve")
                page.svg(chart(e.qini, perfect: e.perfectQini, yLabel: "incremental responders (Qini)").svg())
                page.heading("\(e.name): uplift curve")
                page.svg(chart(e.uplift, perfect: e.perfectUplift, yLabel: "uplift × units targeted").svg())
            }
            if let cost = result.costCurve {
                page.heading("Several arms: incremental value against incremental cost (best arm per unit of cost)")
                page.svg(LineChart(series: [.init(label: "model", x: cost.cost, y: cost.value)], xLabel: "incremental cost",
                                   yLabel: "incremental value").svg())
            }
            try writePage(page, to: html)
            text += "wrote \(html)\n"
        }
        return .summary(text, [
            ("source", .string(result.source)),
            ("scores", .array(result.evaluations.map { e in
                var fields: [(String, ConsoleValue)] = [
                    ("name", .string(e.name)), ("units", .int(e.units)), ("treated", .int(e.treated)),
                    ("qini_auc_score", e.qiniAUCScore.map(ConsoleValue.double) ?? .null),
                    ("uplift_auc_score", e.upliftAUCScore.map(ConsoleValue.double) ?? .null),
                    ("uplift_at_k", .object(e.upliftAt.map { ("\(Int(($0.k * 100).rounded()))%", .double($0.value)) })),
                    ("causalml_qini_score", .double(e.causalmlQiniScore)), ("causalml_auuc_score", .double(e.causalmlAUUCScore)),
                ]
                if let q = e.qiniInterval, let u = e.upliftInterval {
                    fields.append(("qini_auc_score_interval", .array([.double(q.lower), .double(q.upper)])))
                    fields.append(("uplift_auc_score_interval", .array([.double(u.lower), .double(u.upper)])))
                }
                fields.append(("uplift_by_percentile", .array(decileTable(e.deciles).objects)))
                return .object(fields)
            })),
        ])
    }

    func fourDecimals(_ v: Double) -> String { NumberFormat.fixed(v, 4) }

    func decileTable(_ rows: [ScikitUplift.PercentileRow]) -> Table {
        func r(_ v: Double) -> ConsoleValue { v.isNaN ? .null : sixDigits(v) }
        return Table(columns: ["percentile", "n_treatment", "n_control", "response_rate_treatment", "response_rate_control", "uplift"],
                     rows: rows.map { [.string($0.label), .int($0.treated.size), .int($0.control.size), r($0.treated.rate), r($0.control.rate), r($0.uplift)] })
    }

    func chart(_ curve: Curve, perfect: Curve?, yLabel: String) -> LineChart {
        var series = [LineChart.Series(label: "model", x: curve.x, y: curve.y, colour: "#1a5fb4")]
        let end = (curve.x.last ?? 0, curve.y.last ?? 0)
        series.append(.init(label: "random", x: [0, end.0], y: [0, end.1], style: .dashed, colour: "#8a93a3"))
        if let perfect { series.append(.init(label: "perfect", x: perfect.x, y: perfect.y, style: .dotted, colour: "#1a7f37")) }
        return LineChart(series: series, xLabel: "units targeted, by score", yLabel: yLabel)
    }
}
