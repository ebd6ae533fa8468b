import Allocation
import Foundation
import Platform
import Reports

/// `allocate` and `allocation show`'s presenter: the aligned text, the JSON record (every number
/// whole) and the HTML page of an allocation.
struct AllocationPresenter {
    let policy: Policy

    func present(_ e: AllocationRun.PolicyExperiment) -> CommandOutput {
        var text = "experiment \(e.experiment): \(e.units.random) units on random-policy, \(e.units.uplift) on uplift-policy, "
            + "\(e.units.heldOut) in the universal holdout; allocation run \(e.run.id) of policy \(policy.name), half of every budget each\n"
        let table = Table(columns: ["policy", "treated", "spend", "predicted_conversions"], rows: [
            [.string("random-policy"), .int(e.random.treated), sixDigits(e.random.spend), sixDigits(e.random.conversions)],
            [.string("uplift-policy"), .int(e.uplift.treated), sixDigits(e.uplift.spend), sixDigits(e.uplift.conversions)],
        ])
        let c = e.allocation.certificate
        text += "uplift half: value \(fmt(c.primal)), bound \(fmt(c.dualBound)), gap \(NumberFormat.scientific(c.gap)); \(c.method)\n"
        text += AlignedFormat().render(.table(table))
        text += "outcomes imported for the experiment's units can be read with: report lift \(e.experiment) --metric METRIC\n"
        var extra: [(String, ConsoleValue)] = []
        if let report = e.run.report {
            let lines = lineTable(report)
            text += "\nthe uplift half against baselines at its budget of \(fmt(report.budget)):\n" + AlignedFormat().render(.table(lines))
            extra.append(("comparison", .array(lines.objects)))
        }
        return .summary(text, [
            ("experiment", .string(e.experiment)), ("run", .int(Int(e.run.id))), ("policy", .string(policy.name)),
            ("value", .double(c.primal)), ("lp_bound", .double(c.dualBound)), ("gap", .double(c.gap)),
            ("spend", .double(e.random.spend + e.uplift.spend)), ("arms", .array(table.objects)),
            ("held_out", .int(e.units.heldOut)),
        ] + extra)
    }

    func present(_ solved: AllocationRun.Solved, html: String?) throws -> CommandOutput {
        let plan = solved.plan, c = solved.allocation.certificate, problem = plan.problem, totalSpend = solved.totals.spend
        var text = (solved.stored.map { "allocation run \($0.id)" } ?? "dry run") + " of policy \(policy.name) on \(problem.units) units: \(c.method)\n"
        text += "value \(fmt(c.primal)), bound \(fmt(c.dualBound)), gap \(NumberFormat.scientific(c.gap)), \(c.iterations) iterations, "
            + "\(NumberFormat.fixed(c.seconds, 2)) s; spend \(fmt(totalSpend)) of \(fmt(policy.budget))\n"
        text += "excluded: \(plan.heldOut) in the universal holdout, \(plan.sleepingDogs) sleeping dogs, \(plan.listed) listed; "
            + "\(plan.belowROI) options below the minimum ROI\n"
        let summary = solved.report.summary
        let cells = cellTable(summary), lines = lineTable(summary)
        text += AlignedFormat().render(.table(cells))
        text += "\nexpected incremental results at the budget of \(fmt(policy.budget)) (predicted\(summary.lines.first?.trueConversions != nil ? "; true: the simulation's effects" : "")):\n"
        text += AlignedFormat().render(.table(lines))
        if let html = html {
            try writePage(page(solved.report, source: solved.source, certificate: c, lines: lines, cells: cells), to: html)
            text += "wrote \(html)\n"
        }
        return .summary(text, [
            ("run", solved.stored.map { .int(Int($0.id)) } ?? .null), ("policy", .string(policy.name)), ("method", .string(c.method)), ("units", .int(problem.units)),
            ("value", .double(c.primal)), ("lp_bound", .double(c.dualBound)), ("gap", .double(c.gap)), ("spend", .double(totalSpend)),
            ("iterations", .int(c.iterations)), ("seconds", .double(c.seconds)), ("multipliers", .array(c.multipliers.map(ConsoleValue.double))),
            ("arms", .array(cells.objects)), ("comparison", .array(lines.objects)),
            ("excluded", .object([("holdout", .int(plan.heldOut)), ("sleeping_dogs", .int(plan.sleepingDogs)), ("listed", .int(plan.listed))])),
        ])
    }

    func page(_ report: AllocationRun.Report, source: String, certificate c: Certificate, lines: Table, cells: Table) -> HTMLPage {
        var page = HTMLPage(title: "Allocation: \(policy.name)")
        page.paragraph("Policy \(policy.name) (\(policy.objective.rawValue)) on \(source): value \(sixDigits(c.primal).text), bound \(sixDigits(c.dualBound).text), "
                       + "certified gap \(NumberFormat.scientific(c.gap)) (\(c.method)).")
        page.heading("Expected incremental results at the budget of \(fmt(policy.budget))")
        page.table(columns: lines.columns, rows: lines.rows.map { $0.map(\.text) })
        let yLabel = report.valuePerConversion == nil ? "incremental conversions" : "incremental value"
        let colours = ["#1b6e3a", "#8a8f98", "#b5542b", "#3b4a66"]
        let styles: [LineChart.Style] = [.solid, .dashed, .solid, .dotted]
        let series = report.comparison.lines.enumerated().map { n, line in
            LineChart.Series(label: line.name, x: line.curve.map(\.spend), y: line.curve.map(\.value), style: styles[n % 4], colour: colours[n % 4])
        }
        page.heading("\(yLabel.prefix(1).uppercased() + yLabel.dropFirst()) against spend")
        page.paragraph("The uplift policy's curve adds its chosen units best first (conversions per unit of cost); random targeting and "
                       + "the single arm are straight lines in expectation; targeting by response adds units by predicted response. "
                       + "All are predictions of the model; the policy's own figure is optimistic, because the units were chosen for "
                       + "their predictions (the winner's curse)"
                       + (report.comparison.policy.trueConversions != nil ? "; the table's true conversions come from the simulation." : "."))
        page.svg(LineChart(series: series, xLabel: "spend", yLabel: yLabel).svg())
        page.heading("Spend per segment and arm")
        page.table(columns: cells.columns, rows: cells.rows.map { $0.map(\.text) })
        return page
    }
}


/// The allocation's spend and expected gains per segment and arm.
func cellTable(_ s: AllocationRun.Summary) -> Table {
    var columns = ["segment", "arm", "units", "spend", "conversions"]
    if s.valuePerConversion != nil { columns.append("value") }
    return Table(columns: columns, rows: s.cells.map { c in
        [.string(c.segment), .string(c.arm), .int(c.units), sixDigits(c.spend), sixDigits(c.conversions)] + (c.value.map { [sixDigits($0)] } ?? [])
    })
}

/// The allocation beside the baselines at the same budget.
func lineTable(_ s: AllocationRun.Summary) -> Table {
    let truth = s.lines.first?.trueConversions != nil
    var columns = ["targeting", "units", "spend", "conversions"]
    if truth { columns.append("true_conversions") }
    columns += ["value", "roi", "cost_per_conversion"]
    func optional(_ v: Double?) -> ConsoleValue { v.map(sixDigits) ?? .null }
    return Table(columns: columns, rows: s.lines.map { l in
        [.string(l.name), sixDigits(l.units), sixDigits(l.spend), sixDigits(l.conversions)]
            + (truth ? [optional(l.trueConversions)] : []) + [optional(l.value), optional(l.roi), optional(l.costPerConversion)]
    })
}

