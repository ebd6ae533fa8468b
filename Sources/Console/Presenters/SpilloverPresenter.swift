import Exposure
import Platform
import Reports
import Stats

/// `report spillover`'s one presenter: conditions, effects and the tree's leaves as tables, the
/// same rows in aligned text (rounded to four decimals), JSON (whole) and the HTML page.
struct SpilloverPresenter {
    let result: SpilloverReport.Result
    /// Intervals from the dependence-robust standard error instead of Aronow–Samii's.
    let robust: Bool

    func num(_ v: Double) -> ConsoleValue { v.isFinite ? .number(v, .decimals(4)) : .null }

    var conditions: Table {
        let r = result
        return Table(columns: ["condition", "arm", "exposure", "units", "population", "below_floor", "p_min", "p_max", "ht_mean", "hajek_mean", "se"],
                     rows: r.estimate.means.map { m in
            let c = m.condition
            return [.string(c.key), .string(c.treated ? r.treated : r.control), .string(c.exposed ? "exposed" : "unexposed"),
                    .int(m.units), .int(m.population), .int(m.belowFloor), num(m.minProbability), num(m.maxProbability),
                    num(m.horvitzThompson), num(m.hajek), num(m.hajekStandardError)]
        })
    }

    /// Each effect with the interval from the chosen standard error.
    var effects: [(effect: SpilloverEstimator.Effect, low: Double, high: Double)] {
        result.estimate.effects.map { e in robust ? (e, e.robustLower, e.robustUpper) : (e, e.lower, e.upper) }
    }

    var effectTable: Table {
        Table(columns: ["effect", "contrast", "units", "below_floor", "hajek", "low", "high", "se", "robust_se", "ht", "ht_se"],
              rows: effects.map { e, low, high in
            [.string(e.name), .string("\(e.treated.key) − \(e.reference.key)"), .int(e.population), .int(e.belowFloor), num(e.hajek),
             num(low), num(high), num(e.hajekStandardError), num(e.robustStandardError), num(e.horvitzThompson),
             num(e.horvitzThompsonStandardError)]
        })
    }

    var leaves: Table {
        Table(columns: ["leaf", "rule", "units", "below_floor", "p_min", "p_max", "hajek_mean", "se"],
              rows: (result.tree?.leaves ?? []).enumerated().map { k, l in
            [.int(k + 1), .string(l.rule), .int(l.units), .int(l.belowFloor), num(l.minProbability), num(l.maxProbability), num(l.hajek),
             num(l.standardError)]
        })
    }

    var header: String {
        let r = result
        return "Spillover report: \(r.experiment) (\(r.design) design, \(r.treated) against \(r.control)) on graph \(r.graph) "
            + "(\(r.units) units in the contrast, \(r.edges) edges, \(r.heldOut) held out); metric \(r.metric); exposure \(r.mapping); "
            + "\(r.replicates) re-runs of the design, floor \(fmt(r.floor))"
    }

    func output(html: String?) throws -> CommandOutput {
        let r = result, naive = r.estimate.naive
        let conditions = self.conditions, effectTable = self.effectTable, leaves = self.leaves
        var text = header + "\nConditions (c: \(r.control), t: \(r.treated); 1 exposed, 0 not):\n"
            + AlignedFormat().render(.table(conditions))
            + "Effects against \(r.control) with no exposure (Hájek, 95% intervals from "
            + (robust ? "the dependence-robust standard error):\n" : "Aronow–Samii's conservative variance):\n")
            + AlignedFormat().render(.table(effectTable))
            + "Naive difference in means (ignores the graph): \(num(naive.estimate).text) (SE \(num(naive.standardError).text))\n"
        if let tree = r.tree {
            text += "Spillover tree (\(tree.trainingUnits) units chose the splits, \(tree.estimationUnits) estimated the leaves; "
                + "\(tree.replicates) re-runs for the positivity gate):\n"
                + AlignedFormat().render(.table(leaves))
        } else if let note = r.treeNote {
            text += note + "\n"
        }
        if let html {
            try writePage(page(conditions: conditions, effectTable: effectTable, leaves: leaves), to: html)
            text += "wrote \(html)\n"
        }
        return .summary(text, [("experiment", .string(r.experiment)), ("graph", .string(r.graph)), ("metric", .string(r.metric)),
                               ("exposure", .string(r.mapping.description)), ("replicates", .int(r.replicates)), ("units", .int(r.units)),
                               ("interval", .string(robust ? "robust" : "as")),
                               ("conditions", .array(conditions.objects)), ("effects", .array(effectTable.objects)),
                               ("naive", num(naive.estimate)), ("naive_se", num(naive.standardError)),
                               ("leaves", .array(leaves.objects))])
    }

    func page(conditions: Table, effectTable: Table, leaves: Table) -> HTMLPage {
        let r = result
        var page = HTMLPage(title: "Spillover report: \(r.experiment)")
        page.paragraph(header)
        page.heading("Outcome against the share of treated neighbours")
        let series = [false, true].map { treated in
            let points = r.curve.filter { $0.treated == treated && $0.units >= 20 }
            return LineChart.Series(label: treated ? r.treated : r.control, x: points.map(\.meanFraction), y: points.map(\.meanOutcome),
                                    colour: treated ? "#c0392b" : "#3b4a66")
        }
        var chart = LineChart(series: series, xLabel: "share of neighbours treated", yLabel: "mean \(r.metric)")
        chart.includeZero = false
        page.svg(chart.svg())
        page.paragraph("Mean outcome of units by tenths of their neighbourhood's treated share, per own arm (tenths with at "
            + "least 20 units): the vertical gap is the direct effect, the slope the spillover.")
        page.heading("Effects")
        page.svg(ForestPlot(items: effects.filter { $0.effect.hajek.isFinite }.map { e, low, high in
            .init(label: "\(e.name) (\(e.treated.key) − \(e.reference.key))", estimate: e.hajek, lower: low, upper: high,
                  significant: low > 0 || high < 0)
        }).svg())
        page.table(columns: effectTable.columns, rows: effectTable.rows.map { $0.map(\.text) })
        page.heading("Exposure conditions")
        page.table(columns: conditions.columns, rows: conditions.rows.map { $0.map(\.text) })
        if let tree = r.tree {
            page.heading("Heterogeneous spillover tree")
            page.svg(treeChart(tree).svg())
            page.table(columns: leaves.columns, rows: leaves.rows.map { $0.map(\.text) })
        }
        return page
    }

    func treeChart(_ tree: SpilloverTree) -> TreeChart {
        TreeChart(nodes: tree.nodes.map { node in
            let edge = node.constraints.last?.description ?? ""
            if let (l, r) = node.children {
                return .init(edge: edge, lines: ["\(node.trainingUnits) units", "mean \(NumberFormat.rounded(node.trainingMean, .decimals(3)))"],
                             children: [l, r])
            }
            let estimate = node.hajek.isFinite ? "\(NumberFormat.rounded(node.hajek, .decimals(3))) ± \(NumberFormat.rounded(Normal.criticalValue(confidence: 0.95) * node.standardError, .decimals(3)))" : "–"
            return .init(edge: edge, lines: ["Hájek \(estimate)", "\(node.units) units", "\(node.belowFloor) below floor"],
                         children: [], shade: "#eaf2ea")
        })
    }
}
