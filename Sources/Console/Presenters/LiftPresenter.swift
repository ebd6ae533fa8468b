import Foundation
import Platform
import Reports
import Stats

/// `report lift`'s one presenter: the aligned text, the JSON and CSV record (every number whole)
/// and the HTML page come from one table of the result.
struct LiftPresenter {
    let result: LiftReport.Result

    var bayesian: Bool { result.engine == .bayesian }

    /// The columns follow the engine: p-values for the frequentist ones, chance to win and risks for
    /// the Bayesian one; a breakdown adds the slice first.
    var columns: [String] {
        (result.by == nil ? [] : ["slice"])
            + ["metric", "arm", "units", "mean", "lift", "lift_low", "lift_high", "rel_lift", "rel_low", "rel_high"]
            + (bayesian ? ["chance_to_win", "risk_control", "risk_treatment"] : ["p", "p_adjusted"]) + ["verdict"]
    }

    /// One row per metric and arm; numbers people read rounded, JSON and CSV whole.
    var table: Table {
        Table(columns: columns, rows: result.rows.map { row in
            func num(_ value: Double?) -> ConsoleValue { value.map { $0.isFinite ? .number($0, .decimals(6)) : .null } ?? .null }
            var verdict = row.absolute == nil ? "control" : (row.significant ? (row.absolute!.estimate > 0 ? "up" : "down") : "—")
            if row.guardrailFailed { verdict = "GUARDRAIL" }
            var cells: [ConsoleValue] = result.by == nil ? [] : [.string(row.slice ?? "")]
            cells += [.string(row.metric), .string(row.arm), .int(row.units), num(row.mean),
                      num(row.absolute?.estimate), num(row.absolute?.lower), num(row.absolute?.upper),
                      num(row.relative?.estimate), num(row.relative?.lower), num(row.relative?.upper)]
            if bayesian {
                cells += [num(row.decision?.chanceToWin), num(row.decision?.riskControl), num(row.decision?.riskTreatment)]
            } else {
                cells += [pval(row.absolute?.pValue), pval(row.adjustedP)]
            }
            return cells + [.string(verdict)]
        })
    }

    /// The kind of interval shown, in words.
    var intervals: String {
        if bayesian { return "95% credible intervals" }
        return result.sequential == nil ? "95% intervals" : "95% sequential intervals"
    }

    /// The report for every format; with `html`, also writes the page there.
    func output(html: String?) throws -> CommandOutput {
        let r = result
        let table = self.table, columns = self.columns
        var text = "Lift report for \(r.experiment.name) (\(r.experiment.armList), phase \(r.experiment.phase)); \(intervals)"
        text += bayesian ? "; a verdict at a chance to win above 95% or below 5%"
            : "; p corrected by \(r.correction == .benjaminiHochberg ? "Benjamini–Hochberg" : r.correction.rawValue)"
        text += r.cuped.map { "; CUPED on \($0)" } ?? ""
        text += "; " + r.method
        text += "\n" + AlignedFormat().render(.table(table))
        for cap in r.caps {
            text += "\(cap.metric): each unit's value \(cap.cap)" + (cap.cap == .value(cap.value) ? "\n" : " (\(NumberFormat.rounded(cap.value, .significant(6))))\n")
        }
        if let by = r.by {
            text += "By \(by): exploratory; " + (bayesian ? "no correction applies to chances to win" : "p corrected across every slice")
                + "; the \(LiftReport.namedSlices) largest values by units, the rest as (other), units without it as (none)\n"
            for slice in r.slices {
                text += "  \(slice.name): \(slice.units) units; SRM " + (slice.sampleRatio.map {
                    srmStatistic($0) + ($0.isMismatch ? " — MISMATCH" : " — ok")
                } ?? "not checked") + "\n"
            }
        }
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
            page.heading((relative ? "Relative" : "Absolute") + " lift against \(r.experiment.arms[0].name), \(intervals)")
            let items: [ForestPlot.Item] = r.rows.compactMap { row in
                guard let effect = relative ? row.relative : row.absolute else { return nil }
                return ForestPlot.Item(label: (row.slice.map { "\($0) · " } ?? "") + "\(row.metric) · \(row.arm)", estimate: effect.estimate,
                                       lower: effect.lower, upper: effect.upper, significant: row.significant)
            }
            let format: @Sendable (Double) -> String
            if relative {
                format = { (v: Double) -> String in String(format: "%+.1f%%", v * 100) }
            } else {
                format = { (v: Double) -> String in String(format: "%+.3g", v) }
            }
            page.svg(ForestPlot(items: items, format: format).svg())
            if bayesian { posteriors(on: &page) }
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
            ("experiment", .string(r.experiment.name)), ("method", .string(r.method)), ("engine", .string(r.engine.rawValue)),
            ("sequential_tuning", r.sequential.map { .number($0, .significant(6)) } ?? .null),
            ("rows", .array(json)),
            ("srm", srmValue(r.sampleRatio)),
            ("caps", .object(r.caps.map { ($0.metric, .number($0.value, .significant(6))) })),
        ] + (r.by.map { by in
            [("by", ConsoleValue.string(by)),
             ("slices", .array(r.slices.map { .object([("slice", .string($0.name)), ("units", .int($0.units)), ("srm", srmValue($0.sampleRatio))]) }))]
        } ?? []) + [
            ("unassigned_units", .object(r.unassignedUnits.map { ($0.metric, .int($0.units)) })),
        ] + (r.verification.map { v in
            [("verify", ConsoleValue.object([("agree", .bool(v.agree)), ("units", .int(v.units)), ("totals", .int(v.totals)),
                                             ("mismatches", .object(v.mismatches.map { ($0.table, .int($0.rows)) }))]))]
        } ?? []))
    }

    /// The Bayesian page's posterior of each arm's relative lift (normal densities on one axis).
    func posteriors(on page: inout HTMLPage) {
        let shown = result.rows.filter { $0.decision?.relative == true && $0.decision!.posteriorSD.isFinite && $0.decision!.posteriorSD > 0 }
        guard !shown.isEmpty else { return }
        let low = shown.map { $0.decision!.posteriorMean - 4 * $0.decision!.posteriorSD }.min()!
        let high = shown.map { $0.decision!.posteriorMean + 4 * $0.decision!.posteriorSD }.max()!
        let colours = ["#3b4a66", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085"]
        let grid = (0...200).map { low + (high - low) * Double($0) / 200 }
        let series = shown.enumerated().map { k, row in
            let m = row.decision!.posteriorMean, sd = row.decision!.posteriorSD
            return LineChart.Series(label: (row.slice.map { "\($0) · " } ?? "") + "\(row.metric) · \(row.arm)", x: grid.map { $0 * 100 },
                                    y: grid.map { exp(-0.5 * pow(($0 - m) / sd, 2)) / (sd * 100 * (2 * Double.pi).squareRoot()) },
                                    colour: colours[k % colours.count])
        }
        page.heading("Posterior of the relative lift against \(result.experiment.arms[0].name)")
        page.svg(LineChart(series: series, xLabel: "relative lift (%)", yLabel: "posterior density").svg())
    }
}
