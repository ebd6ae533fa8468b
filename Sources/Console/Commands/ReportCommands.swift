import ArgumentParser
import Foundation
import Platform
import Reports
import Stats

/// `metric create|list`
struct MetricCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metric", abstract: "Define metrics: mean, proportion, ratio; guardrails.",
        subcommands: [Create.self, SetCap.self, List.self])

    struct Create: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Define a metric (mean and proportion metrics are also created by import outcomes).")
        @Argument(help: "The metric's name.") var name: String
        @Option(help: "mean, proportion or ratio.") var kind: String = "mean"
        @Option(help: "Ratio: the numerator metric.") var numerator: String?
        @Option(help: "Ratio: the denominator metric.") var denominator: String?
        @Flag(help: "Flag the metric when it gets significantly worse.") var guardrail = false
        @Flag(help: "Lower values are better (for guardrails and the Bayesian chance to win).") var lowerIsBetter = false
        @Option(parsing: .unconditional, help: "Cap each unit's value at VALUE before analysis (mean metrics).", transform: ValueParsing.decimal) var cap: Double?
        @Option(parsing: .unconditional, help: "Cap each unit's value at this quantile of the experiment's units' values, e.g. 0.99.", transform: ValueParsing.decimal) var capPercentile: Double?

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let k = Metrics.Kind(rawValue: kind) else { throw ConsoleError("--kind must be mean, proportion or ratio") }
            let m = try Metrics.create(.init(name: name, kind: k, numerator: numerator, denominator: denominator,
                                             guardrail: guardrail, higherIsBetter: !lowerIsBetter,
                                             cap: try parseCap(cap: cap, percentile: capPercentile)), in: context.store())
            return .summary("created \(m.kind.rawValue) metric \(m.name)" + (m.cap.map { ", \($0)" } ?? ""),
                            [("name", .string(m.name)), ("kind", .string(m.kind.rawValue)), ("cap", capValue(m.cap))])
        }
    }

    struct SetCap: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change a mean metric's cap (--cap, --cap-percentile or --no-cap).")
        @Argument(help: "The metric's name.") var name: String
        @Option(parsing: .unconditional, help: "Cap each unit's value at VALUE before analysis.", transform: ValueParsing.decimal) var cap: Double?
        @Option(parsing: .unconditional, help: "Cap each unit's value at this quantile of the experiment's units' values, e.g. 0.99.", transform: ValueParsing.decimal) var capPercentile: Double?
        @Flag(help: "Remove the cap.") var noCap = false

        func run(in context: CommandContext) throws -> CommandOutput {
            let parsed = try parseCap(cap: cap, percentile: capPercentile)
            guard (parsed != nil) != noCap else { throw ConsoleError("give one of --cap, --cap-percentile or --no-cap") }
            let m = try Metrics.setCap(name, to: parsed, in: context.store())
            return .summary("metric \(m.name) " + (m.cap.map { "\($0)" } ?? "uncapped"), [("name", .string(m.name)), ("cap", capValue(m.cap))])
        }
    }

    struct List: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "List metrics.")

        func run(in context: CommandContext) throws -> CommandOutput {
            .table(Table(columns: ["name", "kind", "numerator", "denominator", "guardrail", "higher_is_better", "cap", "cap_percentile"],
                         rows: try Metrics.list(in: context.store()).map {
                [.string($0.name), .string($0.kind.rawValue), .optional($0.numerator), .optional($0.denominator),
                 .bool($0.guardrail), .bool($0.higherIsBetter),
                 $0.cap.flatMap { if case .value(let v) = $0 { .number(v, .significant(6)) } else { nil } } ?? .null,
                 $0.cap.flatMap { if case .percentile(let p) = $0 { .number(p, .significant(6)) } else { nil } } ?? .null]
            }))
        }
    }
}

/// `--cap VALUE` or `--cap-percentile P`: at most one, each a finite number.
func parseCap(cap: Double?, percentile: Double?) throws -> Metrics.Cap? {
    switch (cap, percentile) {
    case (nil, nil): return nil
    case (_?, _?): throw ConsoleError("give --cap or --cap-percentile, not both")
    case (let v?, nil): return .value(v)
    case (nil, let p?): return .percentile(p)
    }
}

/// The cap as JSON: {"value": v} or {"percentile": p}, or null.
func capValue(_ cap: Metrics.Cap?) -> ConsoleValue {
    switch cap {
    case nil: return .null
    case .value(let v)?: return .object([("value", .number(v, .significant(6)))])
    case .percentile(let p)?: return .object([("percentile", .number(p, .significant(6)))])
    }
}

/// `report lift NAME --metric M... [--cuped M] [--correction holm|bh|none]`
struct ReportCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Analyse experiments and the programme.", subcommands: [Lift.self, HoldoutLift.self, Spillover.self, Synthetic.self, Impact.self])

    struct Lift: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift per metric and arm against control: Welch intervals, delta-method relative lift, CUPED, SRM.",
            discussion: """
                Per-arm sufficient statistics come from PostgreSQL. Absolute lift uses Welch's t interval (a normal \
                interval for ratio metrics, by the delta method); relative lift uses the delta method. --cuped M \
                adjusts mean and proportion metrics with a pre-period metric (θ from the pooled within-arm \
                covariance). p-values are corrected across metrics and arms (Holm by default, or Benjamini–Hochberg).
                """)
        @Argument(help: "The experiment.") var name: String
        @Option(name: .customLong("metric"), help: "A metric to report; repeatable.") var metrics: [String] = []
        @Option(help: "A pre-period metric for CUPED.") var cuped: String?
        @Option(help: "holm, bh or none.") var correction: String = "holm"
        @Option(help: "Also write a self-contained HTML page with charts to FILE.") var html: String?
        @Flag(help: "Also recompute the experiment's sums from its rows and say whether the kept ones agree.") var verify = false
        @Flag(help: "Always-valid sequential intervals and p-values (GrowthBook's): safe to look every day.") var sequential = false
        @Option(parsing: .unconditional, help: "The sequential tuning parameter: the units at which the intervals are tightest.", transform: ValueParsing.decimal) var tuning: Double?
        @Option(help: "frequentist or bayesian.") var engine: String = "frequentist"
        @Option(parsing: .unconditional, help: "Bayesian: the prior mean of the relative lift (0.02 for +2%); flat prior without it.", transform: ValueParsing.decimal) var priorMean: Double?
        @Option(parsing: .unconditional, help: "Bayesian: the prior's standard deviation of the relative lift.", transform: ValueParsing.decimal) var priorSd: Double?
        @Option(help: "Break every metric down by this unit attribute (from import units).") var by: String?
        @Flag(help: "Only units SDKs reported exposed, with their outcomes from their first exposure on.") var exposed = false

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let method = MultipleTesting(rawValue: correction) else { throw ConsoleError("--correction must be holm, bh or none") }
            guard let chosen = LiftReport.Engine(rawValue: engine) else { throw ConsoleError("--engine must be frequentist or bayesian") }
            var options = LiftReport.Options(metrics: metrics, cuped: cuped)
            options.correction = method
            options.verify = verify
            options.engine = chosen
            options.by = by
            options.exposed = exposed
            if tuning != nil, !sequential { throw ConsoleError("--tuning needs --sequential") }
            if sequential { options.sequential = tuning ?? SequentialTest.defaultTuning }
            switch (priorMean, priorSd) {
            case (nil, nil): break
            case (let m?, let sd?):
                guard sd > 0 else { throw ConsoleError("--prior-sd must be greater than 0; got \(NumberFormat.shortest(sd))") }
                options.prior = GaussianPrior(mean: m, standardDeviation: sd)
            default: throw ConsoleError("a proper prior needs both --prior-mean and --prior-sd")
            }
            return try LiftPresenter(result: try LiftReport.run(name, options: options, in: context.store())).output(html: html)
        }
    }
}

extension ReportCommands {
    /// `report holdout --metric M... [--by day|week|month]`
    struct HoldoutLift: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "holdout",
            abstract: "The measurement group against the universal holdout, overall and per period: the programme's incremental value.")
        @Option(name: .customLong("metric"), help: "A metric; repeatable.") var metrics: [String] = []
        @Option(help: "day, week or month.") var by: String = "day"
        @Option(help: "Also write a self-contained HTML page with charts to FILE.") var html: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let period = HoldoutReport.Period(rawValue: by) else { throw ConsoleError("--by must be day, week or month") }
            let r = try HoldoutReport.run(metrics: metrics, period: period, in: context.store())
            return try HoldoutPresenter(result: r, metrics: metrics, period: period).output(html: html)
        }
    }
}

/// Writes a page atomically; a failure names the file.
/// The timeline chart of a switchback metric, with a tick at each UTC midnight (or every few days on long runs).
func timelineChart(_ timeline: LiftReport.Timeline, arms: [String]) -> TimelineChart {
    let count = timeline.windows.first?.count ?? 0
    let perDay = Int(86_400 / timeline.windowSeconds)
    let days = max(1, count / max(perDay, 1))
    let every = max(1, days / 10)
    var ticks: [(index: Int, label: String)] = []
    let formatter = DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "MM-dd"
    for index in 0..<count {
        let t = timeline.start + Int64(index) * timeline.windowSeconds
        guard t % 86_400 == 0, (t / 86_400) % Int64(every) == 0 else { continue }
        ticks.append((index, formatter.string(from: Date(timeIntervalSince1970: Double(t)))))
    }
    let lanes = zip(timeline.regions, timeline.windows).map { region, windows in
        TimelineChart.Lane(label: region, windows: windows.map { .init(index: $0.period - 1, arm: $0.arm, value: $0.value) })
    }
    return TimelineChart(arms: arms, lanes: lanes, ticks: ticks)
}

func writePage(_ page: HTMLPage, to path: String) throws {
    do {
        try page.render().write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        throw ConsoleError("\(path): cannot write the page (\(error.localizedDescription))")
    }
}
