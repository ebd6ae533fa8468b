import ArgumentParser
import Foundation
import Platform
import Reports
import Synthetic

extension ImportCommands {
    /// `import series FILE.csv --metric M [--sparse] [--fill previous|linear]`
    struct ImportSeries: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "series",
            abstract: "Load a panel (header unit,period,value) for synthetic control, replacing the metric's panel.")
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The series' name.") var metric: String
        @Flag(help: "A predictor observed in some periods only (no calendar or completeness check).") var sparse = false
        @Option(help: "Fill missing cells: previous or linear (counted and named).") var fill: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            let method = try fill.map { text -> SeriesImport.Fill in
                guard let f = SeriesImport.Fill(rawValue: text) else { throw ConsoleError("--fill must be previous or linear") }
                return f
            }
            let r = try SeriesImport.run(path: file, metric: metric, sparse: sparse, fill: method, in: context.store())
            var text = "imported series \(r.metric): \(r.units) units × \(r.periods) periods (\(r.rows) cells"
            text += (r.step.map { ", every \($0)" } ?? (sparse ? ", sparse" : "")) + ")"
            if r.filled > 0 { text += "; \(r.filled) missing cells filled (\(method!.rawValue))" }
            return .summary(text, [("metric", .string(r.metric)), ("units", .int(r.units)), ("periods", .int(r.periods)),
                                   ("rows", .int(r.rows)), ("filled", .int(r.filled)), ("step", .optional(r.step))])
        }
    }
}

extension ReportCommands {
    /// `report synthetic --metric M --treated A[,B] --start P [--donors …|--exclude …] [--predictors …] [--v identity|nested]`
    struct Synthetic: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "synthetic",
            abstract: "Synthetic control: donor weights, the gap per period, the ATT, RMSPE and in-space placebos.",
            discussion: """
                Weights w ≥ 0, Σw = 1 from the exact quadratic program of Abadie, Diamond & Hainmueller on the \\
                predictors (default: the outcome in every pre-period), each scaled by its standard deviation across \\
                units; --v nested chooses the predictor weights by Nelder–Mead on the pre-period outcome fit, \\
                restarted until it stops improving. The p-value ranks the treated unit's post/pre RMSPE ratio among \\
                every donor's as a placebo.
                """)
        @Option(help: "The outcome series.") var metric: String
        @Option(help: "The treated unit(s), comma-separated (several: their mean).") var treated: String
        @Option(help: "The first treated period (1970, 2026-11-01).") var start: String
        @Option(help: "The donor pool, comma-separated (default: every other unit).") var donors: String?
        @Option(help: "Units to leave out of the pool, comma-separated.") var exclude: String?
        @Option(help: "Predictors NAME:mean:FROM-TO, comma-separated (NAME: the outcome or a sparse series).") var predictors: String?
        @Option(help: "identity, nested, or cross-validated (with --train-predictors and --train-fit).") var v: String = "identity"
        @Option(help: "Cross-validation: training predictors NAME:mean:FROM-TO, one for each of --predictors.") var trainPredictors: String?
        @Option(help: "Cross-validation: the periods FROM-TO whose outcome the training V is chosen to fit.") var trainFit: String?
        @Option(help: "The pre-periods whose outcome fit the nested search minimises, FROM-TO (default: all before the start).") var fit: String?
        @Flag(help: "Skip the in-space placebos.") var noPlacebos = false
        @Option(help: "A pretended start inside the pre-period for an in-time placebo.") var placeboStart: String?
        @Option(help: "Also write a self-contained HTML page to FILE.") var html: String?
        @Option(help: "sc (Abadie, Diamond & Hainmueller), augmented (ridge ASCM), sdid (synthetic difference-in-differences, as synthdid) or did.") var method: String = "sc"
        @Option(help: "sdid/did: placebo replications for the standard error (0: none).") var replications: Int = 200
        @Option(help: "sdid/did: the seed of the placebo draws.") var seed: UInt64 = 1

        func run(in context: CommandContext) throws -> CommandOutput {
            let list = ValueParsing.list
            var o = SyntheticReport.Options(metric: metric, treated: list(treated) ?? [], start: start)
            o.donors = list(donors)
            o.exclude = list(exclude) ?? []
            if method == "sdid" || method == "did" {
                guard v == "identity", predictors == nil, fit == nil, placeboStart == nil else {
                    throw ConsoleError("--method \(method) fits the outcome itself: --predictors, --v, --fit and --placebo-start belong to --method sc")
                }
                guard replications >= 0 else { throw ConsoleError("--replications must be 0 or more") }
                let r = try SyntheticReport.synthdid(o, estimator: method == "sdid" ? .sdid : .did, replications: replications, seed: seed, in: context.store())
                return try SyntheticDiDPresenter(result: r).output(html: html)
            }
            if method == "augmented" {
                guard v == "identity", predictors == nil, fit == nil, placeboStart == nil else {
                    throw ConsoleError("--method augmented fits the outcome itself: --predictors, --v, --fit and --placebo-start belong to --method sc")
                }
                o.placebos = !noPlacebos
                return try AugmentedPresenter(result: SyntheticReport.augmented(o, in: context.store())).output(html: html)
            }
            guard method == "sc" else { throw ConsoleError("--method must be sc, augmented, sdid or did") }
            o.predictors = list(predictors) ?? []
            switch v {
            case "identity": o.v = .identity
            case "nested": o.v = .nested
            case "cross-validated":
                guard let train = list(trainPredictors), let trainFit else {
                    throw ConsoleError("--v cross-validated needs --train-predictors and --train-fit")
                }
                o.trainPredictors = train
                o.trainFit = trainFit
            default: throw ConsoleError("--v must be identity, nested or cross-validated")
            }
            if o.v != .nested && o.trainPredictors.isEmpty && (trainPredictors != nil || trainFit != nil) {
                throw ConsoleError("--train-predictors and --train-fit belong to --v cross-validated")
            }
            o.placebos = !noPlacebos
            o.fit = fit
            o.placeboStart = placeboStart
            let r = try SyntheticReport.run(o, in: context.store())
            return try SyntheticPresenter(result: r).output(html: html)
        }
    }
}

struct SyntheticPresenter {
    let result: SyntheticReport.Result

    func output(html: String?) throws -> CommandOutput {
        let r = result, e = r.estimate
        let weights = zip(e.fit.donors, e.fit.weights).filter { $0.1 > 1e-6 }.sorted { $0.1 > $1.1 }
        var text = "Synthetic control for \(r.treated.joined(separator: ", ")) on \(r.metric), treated from \(r.start)\n"
        text += AlignedFormat().render(.table(Table(columns: ["donor", "weight"], rows: weights.map { [.string($0.0), .number($0.1, .decimals(4))] })))
        text += "ATT (mean gap from \(r.start)): \(NumberFormat.rounded(e.att, .significant(6))); pre-period RMSPE \(NumberFormat.rounded(e.preRMSPE, .significant(4)))"
        text += "; post/pre RMSPE ratio \(NumberFormat.rounded(e.ratio, .significant(4)))"
        if let p = r.pValue {
            text += "\nin-space placebos: p = \(NumberFormat.rounded(p, .significant(3))) (\(r.placebos.filter { $0.ratio != nil }.count) donors as placebos; the smallest possible is \(NumberFormat.rounded(1 / Double(r.placebos.filter { $0.ratio != nil }.count + 1), .significant(3))))"
        }
        if !r.leaveOneOut.isEmpty {
            let atts = r.leaveOneOut.compactMap(\.att)
            text += "\nleave-one-out: ATT from \(NumberFormat.rounded(atts.min() ?? .nan, .significant(6))) to \(NumberFormat.rounded(atts.max() ?? .nan, .significant(6)))"
            text += " (" + r.leaveOneOut.map { "without \($0.left): \($0.att.map { NumberFormat.rounded($0, .significant(4)) } ?? "no fit")" }.joined(separator: "; ") + ")"
        }
        if let inTime = r.inTime {
            text += "\nin-time placebo from \(inTime.start): mean gap \(NumberFormat.rounded(inTime.estimate.att, .significant(4))), post/pre RMSPE ratio \(NumberFormat.rounded(inTime.estimate.ratio, .significant(4)))"
        }
        let start = e.periods.count - r.conformal.count
        if !r.conformal.isEmpty {
            text += "\n95% conformal intervals per period after the start (Chernozhukov, Wüthrich & Zhu 2021)"
            if r.conformal.contains(where: { !$0.lower.isFinite }) { text += ": unbounded, since fewer than 19 pre-periods cannot reject any effect at 5%" }
        }
        text += "\n" + AlignedFormat().render(.table(Table(columns: ["period", "treated", "synthetic", "gap", "95% low", "95% high"], rows: e.periods.indices.map { k in
            let interval = k >= start ? r.conformal[k - start] : nil
            return [.string(r.labels[k]), .number(e.treated[k], .significant(6)), .number(e.synthetic[k], .significant(6)), .number(e.gaps[k], .significant(4)),
                    interval.map { .number($0.lower, .significant(4)) } ?? .string(""), interval.map { .number($0.upper, .significant(4)) } ?? .string("")]
        })))
        if let html {
            var page = HTMLPage(title: "Synthetic control: \(r.treated.joined(separator: ", ")) on \(r.metric)")
            page.paragraph(text.split(separator: "\n").first.map(String.init) ?? "")
            let x = e.periods.map(Double.init)
            page.heading("Observed against synthetic (treated from \(r.start))")
            var observed = LineChart(series: [.init(label: "treated", x: x, y: e.treated, colour: "#c0392b"),
                                              .init(label: "synthetic", x: x, y: e.synthetic, style: .dashed)],
                                     xLabel: "period (\(r.labels.first ?? "") to \(r.labels.last ?? ""))", yLabel: r.metric)
            observed.includeZero = false
            page.svg(observed.svg())
            page.heading("Gap, with each placebo's gap behind it")
            var series = r.placebos.compactMap { p in p.gaps.map { LineChart.Series(label: p.unit, x: x, y: $0, style: .dotted, colour: "#c8ccd4") } }
            series.append(.init(label: "treated", x: x, y: e.gaps, colour: "#c0392b"))
            let bounded = r.conformal.filter { $0.lower.isFinite && $0.upper.isFinite }
            if bounded.count == r.conformal.count, !bounded.isEmpty {
                let post = Array(x.suffix(bounded.count))
                series.append(.init(label: "95% conformal low", x: post, y: bounded.map(\.lower), style: .dashed, colour: "#3b6fb6"))
                series.append(.init(label: "95% conformal high", x: post, y: bounded.map(\.upper), style: .dashed, colour: "#3b6fb6"))
            }
            var chart = LineChart(series: series, xLabel: "period", yLabel: "gap")
            chart.includeZero = true
            page.svg(chart.svg())
            page.heading("Donor weights")
            page.table(columns: ["donor", "weight"], rows: weights.map { [$0.0, String(format: "%.4f", $0.1)] })
            try writePage(page, to: html)
            text += "wrote \(html)\n"
        }
        var intervals: [(String, ConsoleValue)] = []
        for (k, interval) in r.conformal.enumerated() {
            let lower: ConsoleValue = interval.lower.isFinite ? .double(interval.lower) : .null
            let upper: ConsoleValue = interval.upper.isFinite ? .double(interval.upper) : .null
            intervals.append((r.labels[start + k], .object([("lower", lower), ("upper", upper)])))
        }
        return .summary(text, [
            ("metric", .string(r.metric)), ("treated", .array(r.treated.map { .string($0) })), ("start", .string(r.start)),
            ("weights", .object(zip(e.fit.donors, e.fit.weights).map { ($0.0, .number($0.1, .decimals(6))) })),
            ("v", .object(zip(r.predictors.isEmpty ? e.fit.v.indices.map { "outcome \($0)" } : r.predictors, e.fit.v).map { ($0.0, .number($0.1, .decimals(6))) })),
            ("att", .double(e.att)), ("pre_rmspe", .double(e.preRMSPE)), ("post_rmspe", .double(e.postRMSPE)), ("ratio", .double(e.ratio)),
            ("p_value", r.pValue.map { .double($0) } ?? .null),
            ("gaps", .object(e.periods.indices.map { (r.labels[$0], .double(e.gaps[$0])) })),
            ("intervals", .object(intervals)),
            ("leave_one_out", .object(r.leaveOneOut.map { ($0.left, $0.att.map { .double($0) } ?? .null) })),
            ("in_time_placebo", r.inTime.map { .object([("start", .string($0.start)), ("att", .double($0.estimate.att)), ("ratio", .double($0.estimate.ratio))]) } ?? .null),
        ])
    }
}

struct AugmentedPresenter {
    let result: SyntheticReport.AugmentedResult

    func output(html: String?) throws -> CommandOutput {
        let r = result, e = r.estimate
        let n = NumberFormat.rounded
        var text = "Augmented synthetic control (ridge ASCM, Ben-Michael, Feller & Rothstein 2021) for \(r.treated.joined(separator: ", ")) on \(r.metric), treated from \(r.start); λ \(n(e.lambda, .significant(3))) by cross-validation\n"
        let rows = r.donors.indices.filter { abs(e.weights[$0]) > 1e-4 || e.scWeights[$0] > 1e-6 }.sorted { abs(e.weights[$0]) > abs(e.weights[$1]) }
        text += AlignedFormat().render(.table(Table(columns: ["donor", "augmented weight", "synthetic control weight"], rows: rows.map { j in
            [.string(r.donors[j]), .number(e.weights[j], .decimals(4)), .number(e.scWeights[j], .decimals(4))]
        })))
        text += "ATT (mean gap from \(r.start)): \(n(e.att, .significant(6))); pre-period RMSPE \(n(e.preRMSPE, .significant(4)))"
        if let p = r.pValue { text += "; in-space placebos: p = \(n(p, .significant(3))) (\(r.placebos) donors)" }
        text += "\n"
        let start = r.labels.count - (r.labels.count - (r.labels.firstIndex(of: r.start) ?? 0))
        text += AlignedFormat().render(.table(Table(columns: ["period", "gap"], rows: r.labels.indices.map { [.string(r.labels[$0]), .number(e.gaps[$0], .significant(4))] })))
        if let html {
            var page = HTMLPage(title: "Augmented synthetic control: \(r.treated.joined(separator: ", ")) on \(r.metric)")
            page.paragraph(text.split(separator: "\n").first.map(String.init) ?? "")
            var chart = LineChart(series: [.init(label: "gap", x: r.labels.indices.map(Double.init), y: e.gaps, colour: "#c0392b")], xLabel: "period", yLabel: "gap")
            chart.includeZero = true
            page.svg(chart.svg())
            page.table(columns: ["donor", "augmented weight", "synthetic control weight"], rows: rows.map { [r.donors[$0], String(format: "%.4f", e.weights[$0]), String(format: "%.4f", e.scWeights[$0])] })
            try writePage(page, to: html)
            text += "wrote \(html)\n"
        }
        return .summary(text, [
            ("metric", .string(r.metric)), ("treated", .array(r.treated.map { .string($0) })), ("start", .string(r.start)), ("method", .string("augmented")),
            ("weights", .object(r.donors.indices.map { (r.donors[$0], .number(e.weights[$0], .decimals(6))) })),
            ("sc_weights", .object(r.donors.indices.map { (r.donors[$0], .number(e.scWeights[$0], .decimals(6))) })),
            ("lambda", .double(e.lambda)), ("att", .double(e.att)), ("pre_rmspe", .double(e.preRMSPE)),
            ("p_value", r.pValue.map { .double($0) } ?? .null),
            ("gaps", .object((start..<r.labels.count).map { (r.labels[$0], .double(e.gaps[$0])) })),
        ])
    }
}

struct SyntheticDiDPresenter {
    let result: SyntheticReport.DiDResult

    func output(html: String?) throws -> CommandOutput {
        let r = result, e = r.estimate
        let name = e.estimator == .sdid ? "Synthetic difference-in-differences" : "Difference-in-differences"
        // The pre-period fit: how far the ω-weighted gap strays from its own pre-period mean (SDID
        // allows a constant difference in level).
        let preGaps = Array(e.gaps.prefix(e.lambda.count))
        let preMean = preGaps.reduce(0, +) / Double(max(preGaps.count, 1))
        let preRMSPE = (preGaps.reduce(0) { $0 + ($1 - preMean) * ($1 - preMean) } / Double(max(preGaps.count, 1))).squareRoot()
        var text = "\(name) for \(r.treated.joined(separator: ", ")) on \(r.metric), treated from \(r.start) (as synthdid; σ̂ \(NumberFormat.rounded(e.noiseLevel, .significant(4))))\n"
        let unitWeights = zip(r.donors, e.omega).filter { $0.1 > 1e-6 }.sorted { $0.1 > $1.1 }
        let pre = r.labels.prefix(e.lambda.count)
        let timeWeights = zip(pre, e.lambda).filter { $0.1 > 1e-6 }.sorted { $0.1 > $1.1 }
        text += AlignedFormat().render(.table(Table(columns: ["donor", "unit weight"], rows: unitWeights.map { [.string($0.0), .number($0.1, .decimals(4))] })))
        text += AlignedFormat().render(.table(Table(columns: ["pre-period", "time weight"], rows: timeWeights.map { [.string($0.0), .number($0.1, .decimals(4))] })))
        text += "ATT: \(NumberFormat.rounded(e.tau, .significant(6))); pre-period RMSPE around the level \(NumberFormat.rounded(preRMSPE, .significant(4)))"
        if let se = r.standardError, let p = r.pValue {
            text += "; placebo SE \(NumberFormat.rounded(se, .significant(4))), 95% \(NumberFormat.rounded(e.tau - 1.959964 * se, .significant(5))) to \(NumberFormat.rounded(e.tau + 1.959964 * se, .significant(5))), p = \(NumberFormat.rounded(p, .significant(3)))"
        }
        text += "\n"
        let post = Array(r.labels.suffix(e.curve.count))
        text += AlignedFormat().render(.table(Table(columns: ["period", "effect"], rows: zip(post, e.curve).map { [.string($0.0), .number($0.1, .significant(5))] })))
        if let html {
            var page = HTMLPage(title: "\(name): \(r.treated.joined(separator: ", ")) on \(r.metric)")
            page.paragraph(text.split(separator: "\n").first.map(String.init) ?? "")
            page.heading("The ω-weighted gap (treated − weighted donors); the effect is its post-period level over the λ-weighted pre-period level")
            let x = r.labels.indices.map(Double.init)
            // SDID allows a constant difference in level, so the gap's own range is the scale.
            var chart = LineChart(series: [.init(label: "gap", x: x, y: e.gaps, colour: "#c0392b")], xLabel: "period (\(r.labels.first ?? "") to \(r.labels.last ?? ""))", yLabel: "gap")
            chart.includeZero = false
            page.svg(chart.svg())
            page.table(columns: ["donor", "unit weight"], rows: unitWeights.map { [$0.0, String(format: "%.4f", $0.1)] })
            page.table(columns: ["pre-period", "time weight"], rows: timeWeights.map { [$0.0, String(format: "%.4f", $0.1)] })
            try writePage(page, to: html)
            text += "wrote \(html)\n"
        }
        return .summary(text, [
            ("metric", .string(r.metric)), ("treated", .array(r.treated.map { .string($0) })), ("start", .string(r.start)),
            ("method", .string(e.estimator.rawValue)),
            ("weights", .object(zip(r.donors, e.omega).map { ($0.0, .number($0.1, .decimals(6))) })),
            ("time_weights", .object(zip(pre, e.lambda).map { ($0.0, .number($0.1, .decimals(6))) })),
            ("att", .double(e.tau)), ("se", r.standardError.map { .double($0) } ?? .null), ("p_value", r.pValue.map { .double($0) } ?? .null),
            ("pre_rmspe", .double(preRMSPE)),
            ("gaps", .object(zip(post, e.curve).map { ($0.0, .double($0.1)) })),
        ])
    }
}

/// `series from-metric SOURCE --metric NEW --by unit|region --period day|week|month|year`
struct SeriesCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series", abstract: "Panels for synthetic control.", subcommands: [FromMetric.self])

    struct FromMetric: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "from-metric",
            abstract: "Sum a metric's timed outcome rows per unit or region and period into a complete panel (0 where none).")
        @Argument(help: "The outcome metric (rows with ts, and region for --by region).") var source: String
        @Option(help: "The panel's name.") var metric: String
        @Option(help: "unit or region.") var by: String = "region"
        @Option(help: "day, week, month or year (UTC; weeks start on Monday).") var period: String = "week"

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let key = SeriesImport.Key(rawValue: by) else { throw ConsoleError("--by must be unit or region") }
            guard let p = SeriesImport.Period(rawValue: period) else { throw ConsoleError("--period must be day, week, month or year") }
            let (r, leftOut) = try SeriesImport.fromMetric(source, into: metric, by: key, period: p, in: context.store())
            var text = "series \(r.metric): \(r.units) \(key.rawValue)s × \(r.periods) \(p.rawValue)s from \(source)"
            if r.filled > 0 { text += "; \(r.filled) cells with no rows set to 0" }
            if leftOut > 0 { text += "; \(leftOut) rows without a time\(key == .region ? " or region" : "") left out" }
            return .summary(text, [("metric", .string(r.metric)), ("units", .int(r.units)), ("periods", .int(r.periods)),
                                   ("zero_filled", .int(r.filled)), ("left_out", .int(leftOut))])
        }
    }
}
