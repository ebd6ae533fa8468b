import Foundation
import Platform
import Reports
import Stats

/// `report lift`'s one presenter: the aligned text, the JSON and CSV record (every number whole)
/// and the HTML page come from one table of the result.
struct LiftPresenter {
    let result: LiftReport.Result

    static let columns = ["metric", "arm", "units", "mean", "lift", "lift_low", "lift_high", "rel_lift", "rel_low", "rel_high",
                          "p", "p_adjusted", "verdict"]

    /// One row per metric and arm; numbers people read rounded, JSON and CSV whole.
    var table: Table {
        Table(columns: Self.columns, rows: result.rows.map { row in
            func num(_ value: Double?) -> ConsoleValue { value.map { $0.isFinite ? .number($0, .decimals(6)) : .null } ?? .null }
            var verdict = row.absolute == nil ? "control" : (row.significant ? (row.absolute!.estimate > 0 ? "up" : "down") : "—")
            if row.guardrailFailed { verdict = "GUARDRAIL" }
            return [.string(row.metric), .string(row.arm), .int(row.units), num(row.mean),
                    num(row.absolute?.estimate), num(row.absolute?.lower), num(row.absolute?.upper),
                    num(row.relative?.estimate), num(row.relative?.lower), num(row.relative?.upper),
                    pval(row.absolute?.pValue), pval(row.adjustedP), .string(verdict)]
        })
    }

    /// The report for every format; with `html`, also writes the page there.
    func output(html: String?) throws -> CommandOutput {
        let r = result
        let table = self.table, columns = Self.columns
        var text = "Lift report for \(r.experiment.name) (\(r.experiment.armList), phase \(r.experiment.phase)); "
        text += "95% intervals; p corrected by \(r.correction == .benjaminiHochberg ? "Benjamini–Hochberg" : r.correction.rawValue)"
        text += r.cuped.map { "; CUPED on \($0)" } ?? ""
        text += "; " + r.method
        text += "\n" + AlignedFormat().render(.table(table))
        if let srm = r.sampleRatio {
            text += "SRM: " + srmStatistic(srm)
                + (srm.isMismatch ? " — MISMATCH: do not trust these results until the assignment is explained\n" : " — ok\n")
        }
        for row in r.rows where row.varianceReduction != nil {
            text += "CUPED removed \(NumberFormat.percent(row.varianceReduction!))% of the variance of \(row.metric) (\(row.arm))\n"
        }
        for (metric, units) in r.unassignedUnits where units > 0 {
            text += "note: \(units) units have \(metric) outcomes but no assignment in this phase; they are left out\n"
        }
        if let v = r.verification {
            text += v.agree
                ? "verify: the kept sums agree with the rows (\(v.units) assigned units, \(v.totals) unit totals recomputed)\n"
                : "verify: the kept sums DIFFER from the rows (" + v.mismatches.map { "\($0.table): \($0.rows) rows" }.joined(separator: ", ")
                  + "); rows were changed outside Causeway: run db rebuild-sums\n"
        }
        if let html {
            var page = HTMLPage(title: "Lift report: \(r.experiment.name)")
            page.paragraph(text.split(separator: "\n").first.map(String.init) ?? "")
            let relative = r.rows.contains { $0.relative != nil }
            page.heading((relative ? "Relative" : "Absolute") + " lift against \(r.experiment.arms[0].name), 95% intervals")
            let items: [ForestPlot.Item] = r.rows.compactMap { row in
                guard let effect = relative ? row.relative : row.absolute else { return nil }
                return ForestPlot.Item(label: "\(row.metric) · \(row.arm)", estimate: effect.estimate, lower: effect.lower,
                                       upper: effect.upper, significant: row.significant)
            }
            let format: @Sendable (Double) -> String
            if relative {
                format = { (v: Double) -> String in String(format: "%+.1f%%", v * 100) }
            } else {
                format = { (v: Double) -> String in String(format: "%+.3g", v) }
            }
            page.svg(ForestPlot(items: items, format: format).svg())
            for timeline in r.timelines {
                page.heading("\(timeline.metric) by window: the arm in force (band) and the mean after burn-in (line)")
                page.svg(timelineChart(timeline, arms: r.experiment.arms.map(\.name)).svg())
            }
            page.heading("Estimates")
            page.table(columns: columns, rows: table.rows.map { $0.map(\.text) })
            if let srm = r.sampleRatio {
                page.paragraph("SRM: " + srmStatistic(srm) + (srm.isMismatch ? " — mismatch" : " — ok"),
                               className: srm.isMismatch ? "warn" : "note")
            }
            try writePage(page, to: html)
            text += "wrote \(html)\n"
        }
        let json = table.objects
        return .summary(text, [
            ("experiment", .string(r.experiment.name)), ("method", .string(r.method)), ("rows", .array(json)),
            ("srm", srmValue(r.sampleRatio)),
            ("unassigned_units", .object(r.unassignedUnits.map { ($0.metric, .int($0.units)) })),
        ] + (r.verification.map { v in
            [("verify", ConsoleValue.object([("agree", .bool(v.agree)), ("units", .int(v.units)), ("totals", .int(v.totals)),
                                             ("mismatches", .object(v.mismatches.map { ($0.table, .int($0.rows)) }))]))]
        } ?? []))
    }
}
