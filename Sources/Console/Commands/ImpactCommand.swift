import ArgumentParser
import Foundation
import Platform
import Reports
import Synthetic

extension ReportCommands {
    /// `report impact --metric M --treated UNIT --start P [--controls …|--exclude …] [--season N] [--draws N] [--seed S] [--html FILE]`
    struct Impact: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "impact",
            abstract: "CausalImpact: a Bayesian structural time series counterfactual with pointwise, cumulative and relative effects.",
            discussion: """
                The treated series before the start is fitted by a local level (and a seasonal component with --season), \\
                plus a regression on the control series with a spike-and-slab prior, by Gibbs sampling (seeded: results \\
                repeat); the posterior predictive after the start is the counterfactual. Priors as CausalImpact gives bsts.
                """)
        @Option(help: "The outcome series.") var metric: String
        @Option(help: "The treated unit.") var treated: String
        @Option(help: "The first treated period.") var start: String
        @Option(help: "Control series, comma-separated (default: every other unit).") var controls: String?
        @Option(help: "Units to leave out of the controls, comma-separated.") var exclude: String?
        @Option(help: "Seasons per cycle (7 for daily data with a weekly pattern; 1: none).") var season: Int = 1
        @Option(help: "MCMC draws (the first 10% are burn-in).") var draws: Int = 10_000
        @Option(help: "The sampler's seed.") var seed: UInt64 = 1
        @Option(help: "Also write a self-contained HTML page (CausalImpact's three panels) to FILE.") var html: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            let list = ValueParsing.list
            guard draws >= 10 else { throw ConsoleError("--draws must be at least 10") }
            guard season >= 1 else { throw ConsoleError("--season must be 1 or more") }
            var o = SyntheticReport.Options(metric: metric, treated: [treated], start: start)
            o.donors = list(controls)
            o.exclude = list(exclude) ?? []
            let r = try SyntheticReport.impact(o, season: season, draws: draws, seed: seed, in: context.store())
            return try ImpactPresenter(result: r).output(html: html)
        }
    }
}

struct ImpactPresenter {
    let result: SyntheticReport.ImpactResult

    func output(html: String?) throws -> CommandOutput {
        let r = result, m = r.model
        let n = NumberFormat.rounded
        func pct(_ v: Double) -> String { n(100 * v, .significant(3)) + "%" }
        var text = "CausalImpact for \(r.treated) on \(r.metric), treated from \(r.start): \(m.draws) posterior draws"
        text += r.controls.isEmpty ? ", no controls" : ", \(r.controls.count) control series"
        text += r.season > 1 ? ", season \(r.season)\n" : "\n"
        let rows: [[ConsoleValue]] = [
            [.string("Actual"), .number(m.observedAverage, .significant(4)), .number(m.observedSum, .significant(5))],
            [.string("Prediction (s.d.)"), .string("\(n(m.predictedAverage.mean, .significant(4))) (\(n(m.predictedAverage.sd, .significant(2))))"),
             .string("\(n(m.predictedSum.mean, .significant(5))) (\(n(m.predictedSum.sd, .significant(2))))")],
            [.string("95% CI"), .string("[\(n(m.predictedAverage.lower, .significant(4))), \(n(m.predictedAverage.upper, .significant(4)))]"),
             .string("[\(n(m.predictedSum.lower, .significant(5))), \(n(m.predictedSum.upper, .significant(5)))]")],
            [.string("Absolute effect (s.d.)"), .string("\(n(m.averageEffect.mean, .significant(3))) (\(n(m.averageEffect.sd, .significant(2))))"),
             .string("\(n(m.cumulativeEffect.mean, .significant(4))) (\(n(m.cumulativeEffect.sd, .significant(2))))")],
            [.string("95% CI"), .string("[\(n(m.averageEffect.lower, .significant(3))), \(n(m.averageEffect.upper, .significant(3)))]"),
             .string("[\(n(m.cumulativeEffect.lower, .significant(4))), \(n(m.cumulativeEffect.upper, .significant(4)))]")],
            [.string("Relative effect (s.d.)"), .string("\(pct(m.relativeEffect.mean)) (\(pct(m.relativeEffect.sd)))"), .string("\(pct(m.relativeEffect.mean)) (\(pct(m.relativeEffect.sd)))")],
            [.string("95% CI"), .string("[\(pct(m.relativeEffect.lower)), \(pct(m.relativeEffect.upper))]"), .string("[\(pct(m.relativeEffect.lower)), \(pct(m.relativeEffect.upper))]")],
        ]
        text += AlignedFormat().render(.table(Table(columns: ["", "Average", "Cumulative"], rows: rows)))
        text += "Posterior tail-area probability p: \(n(m.tailProbability, .significant(3)))\n"
        text += "Posterior prob. of a causal effect: \(pct(m.probabilityOfEffect))\n"
        let included = zip(r.controls, zip(m.inclusion, m.coefficients)).filter { $0.1.0 > 0.1 }.sorted { $0.1.0 > $1.1.0 }
        if !included.isEmpty {
            text += "controls with inclusion probability above 0.1: " + included.map { "\($0.0) \(n($0.1.0, .decimals(2))) (β \(n($0.1.1, .significant(3))))" }.joined(separator: ", ") + "\n"
        }
        let t0 = r.observed.count - m.cumulative.count
        if let html {
            var page = HTMLPage(title: "CausalImpact: \(r.treated) on \(r.metric)")
            page.paragraph(text.split(separator: "\n").first.map(String.init) ?? "")
            page.paragraph("Average effect \(n(m.averageEffect.mean, .significant(3))) [\(n(m.averageEffect.lower, .significant(3))), \(n(m.averageEffect.upper, .significant(3)))]; relative \(pct(m.relativeEffect.mean)); posterior probability of a causal effect \(pct(m.probabilityOfEffect)).")
            let x = r.labels.indices.map(Double.init)
            let post = Array(x[t0...])
            // CausalImpact's three panels: each a posterior mean, dashed, between its 95% limits.
            func panel(_ label: String, x: [Double], _ draws: [StructuralTimeSeries.Summary], extra: [LineChart.Series] = [],
                       xLabel: String, yLabel: String, includeZero: Bool) -> String {
                var chart = LineChart(series: extra + [
                    .init(label: label, x: x, y: draws.map(\.mean), style: .dashed, colour: "#3b6fb6"),
                    .init(label: "95% low", x: x, y: draws.map(\.lower), style: .dotted, colour: "#8aa8d8"),
                    .init(label: "95% high", x: x, y: draws.map(\.upper), style: .dotted, colour: "#8aa8d8"),
                ], xLabel: xLabel, yLabel: yLabel)
                chart.includeZero = includeZero
                return chart.svg()
            }
            page.heading("Original: observed and the counterfactual (dashed: 95% interval; from \(r.start) on, the prediction)")
            page.svg(panel("predicted", x: x, m.predicted, extra: [.init(label: "observed", x: x, y: r.observed, colour: "#1d2433")],
                           xLabel: "period (\(r.labels.first ?? "") to \(r.labels.last ?? ""))", yLabel: r.metric, includeZero: false))
            page.heading("Pointwise: observed − predicted")
            page.svg(panel("effect", x: x, m.pointwise, xLabel: "period", yLabel: "effect", includeZero: true))
            page.heading("Cumulative effect from \(r.start)")
            page.svg(panel("cumulative", x: post, m.cumulative, xLabel: "period", yLabel: "cumulative effect", includeZero: true))
            try writePage(page, to: html)
            text += "wrote \(html)\n"
        }
        func summary(_ s: StructuralTimeSeries.Summary) -> ConsoleValue {
            .object([("mean", .double(s.mean)), ("sd", .double(s.sd)), ("lower", .double(s.lower)), ("upper", .double(s.upper))])
        }
        return .summary(text, [
            ("metric", .string(r.metric)), ("treated", .string(r.treated)), ("start", .string(r.start)), ("draws", .int(m.draws)),
            ("actual_average", .double(m.observedAverage)), ("predicted_average", summary(m.predictedAverage)),
            ("average_effect", summary(m.averageEffect)), ("actual_cumulative", .double(m.observedSum)),
            ("predicted_cumulative", summary(m.predictedSum)), ("cumulative_effect", summary(m.cumulativeEffect)),
            ("relative_effect", summary(m.relativeEffect)), ("p_value", .double(m.tailProbability)),
            ("probability_of_effect", .double(m.probabilityOfEffect)),
            ("pointwise", .object((t0..<r.observed.count).map { (r.labels[$0], summary(m.pointwise[$0])) })),
            ("inclusion", .object(zip(r.controls, m.inclusion).map { ($0.0, .double($0.1)) })),
        ])
    }
}
