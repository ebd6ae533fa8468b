import ArgumentParser
import Foundation
import Observational
import Platform
import Reports
import Uplift

/// `study create|list|show|drop|estimate|balance|refute|sensitivity|report`: observational studies.
struct StudyCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study", abstract: "Observational studies: estimates where no experiment ran, with balance, refutations and sensitivity.",
        subcommands: [Create.self, List.self, Show.self, Drop.self, EstimateCommand.self, BalanceCommand.self, Refute.self, SensitivityCommand.self, ReportCommand.self])

    /// The options every analysis takes.
    struct AnalysisFlags: ParsableArguments {
        @Option(help: "ate, att or atc.") var estimand: String = "ate"
        @Option(help: "The propensity model: logistic or xgboost (cross-fitted).") var propensity: String = "logistic"
        @Option(help: "Drop units with a propensity outside [T, 1 − T] first; crump for Crump et al.'s rule.") var trim: String?
        @Option(help: "Matches per unit (match, psmatch).") var matches: Int = 1
        @Option(help: "inverse-variance or mahalanobis (match).") var distance: String = "inverse-variance"
        @Option(parsing: .unconditional, help: "Caliper in standard deviations (match: of each covariate; psmatch: of the logit, default 0.2).", transform: ValueParsing.decimal) var caliper: Double?
        @Option(help: "Bootstrap replicates for ipw's SE (0: none).") var bootstrap: Int = 0
        @Option(help: "Cross-fitting folds (aipw, dml, xgboost propensities).") var folds: Int = 5
        @Option(help: "Nuisance learners of aipw and dml: xgboost or linear.") var nuisance: String = "xgboost"
        @Option(help: "XGBoost rounds for the nuisances.") var rounds: Int = 100
        @Option(help: "XGBoost tree depth for the nuisances.") var depth: Int = 4
        @Option(parsing: .unconditional, help: "XGBoost learning rate for the nuisances.", transform: ValueParsing.decimal) var eta: Double = 0.1
        @Option(help: "Seed of folds, bootstrap and refuters.") var seed: UInt64 = 1

        func options() throws -> AnalysisOptions {
            var o = AnalysisOptions()
            guard let e = Estimand(rawValue: estimand) else { throw ConsoleError("--estimand must be ate, att or atc") }
            o.estimand = e
            let boosted = NuisanceModel.xgboost(XGBoostParameters(rounds: rounds, maxDepth: depth, learningRate: eta, threads: 2, seed: Int(seed % 1_000_000)))
            switch propensity {
            case "logistic": o.propensity = .logistic
            case "xgboost": o.propensity = .xgboost(boosted)
            default: throw ConsoleError("--propensity must be logistic or xgboost")
            }
            if let trim {
                if trim == "crump" { o.trim = .crump } else {
                    guard let t = try? ValueParsing.decimal(trim), t >= 0, t < 0.5 else { throw ConsoleError("--trim must be a number in [0, 0.5) or crump") }
                    o.trim = .fixed(t)
                }
            }
            guard matches >= 1 else { throw ConsoleError("--matches must be at least 1") }
            o.matches = matches
            guard let d = NearestNeighbourMatching.Distance(rawValue: distance) else { throw ConsoleError("--distance must be inverse-variance or mahalanobis") }
            o.distance = d
            if let caliper, !(caliper > 0) { throw ConsoleError("--caliper must be positive") }
            o.caliper = caliper
            guard bootstrap >= 0 else { throw ConsoleError("--bootstrap must be 0 or more") }
            o.bootstrap = bootstrap
            guard folds >= 2 else { throw ConsoleError("--folds must be at least 2") }
            o.folds = folds
            guard rounds >= 1 else { throw ConsoleError("--rounds must be at least 1") }
            guard depth >= 1 else { throw ConsoleError("--depth must be at least 1") }
            guard eta > 0, eta <= 1 else { throw ConsoleError("--eta must be in (0, 1]") }
            switch nuisance {
            case "xgboost": o.nuisance = boosted
            case "linear": o.nuisance = .linear
            default: throw ConsoleError("--nuisance must be xgboost or linear")
            }
            o.seed = seed
            return o
        }
    }

    static func method(_ text: String) throws -> Method {
        guard let m = Method(rawValue: text) else { throw ConsoleError("--method must be one of \(Method.allCases.map(\.rawValue).joined(separator: ", "))") }
        return m
    }

    static func list(_ text: String?) -> [String] {
        text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
    }

    struct Create: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Make a study from a flat file or from the store's units, features and a metric.",
            discussion: """
                From a file: --data FILE.csv --treatment COL --outcome COL [--covariates a,b] [--categorical c] [--unit COL] \\
                [--drop-missing]. Categoricals are one-hot with the first level dropped; empty or NA is missing (refused, \\
                or the rows dropped and counted with --drop-missing). From the store: (--units-from EXPERIMENT | \\
                --treatment-attribute A) --features SET --outcome METRIC.
                """)
        @Argument(help: "The study's name.") var name: String
        @Option(help: "A CSV file, one row per unit.") var data: String?
        @Option(help: "The treatment column (0/1, or a number for ols and dml).") var treatment: String?
        @Option(help: "The outcome column, or with --features a metric.") var outcome: String
        @Option(help: "Covariate columns, comma-separated (default: every other column).") var covariates: String?
        @Option(help: "Categorical covariates, comma-separated.") var categorical: String?
        @Option(help: "A column of unit ids (default: the row number).") var unit: String?
        @Flag(help: "Leave out rows with a missing value, and count them.") var dropMissing = false
        @Option(help: "An experiment: units in any arm but its first are treated.") var unitsFrom: String?
        @Option(help: "A unit attribute holding the treatment.") var treatmentAttribute: String?
        @Option(help: "A feature set: the covariates.") var features: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            let s: Studies.Summary
            if let data {
                guard unitsFrom == nil, treatmentAttribute == nil, features == nil else {
                    throw ConsoleError("--data takes its treatment and covariates from the file: leave out --units-from, --treatment-attribute and --features")
                }
                guard let treatment else { throw ConsoleError("--data needs --treatment COL") }
                var o = Studies.FileOptions(name: name, path: data, treatment: treatment, outcome: outcome)
                o.covariates = covariates.map { StudyCommands.list($0) }
                o.categorical = StudyCommands.list(categorical)
                o.unit = unit
                o.dropMissing = dropMissing
                s = try Studies.create(o, in: context.store())
            } else {
                guard let features else { throw ConsoleError("give --data FILE.csv, or --features SET with --units-from or --treatment-attribute") }
                s = try Studies.create(name: name, unitsFrom: unitsFrom, treatmentAttribute: treatmentAttribute, features: features, outcome: outcome, in: context.store())
            }
            var text = "created study \(s.name): \(s.units) units"
            if let t = s.treated { text += " (\(t) treated)" } else { text += " (continuous treatment)" }
            text += ", \(s.covariates.count) covariate\(s.covariates.count == 1 ? "" : "s")"
            if s.droppedMissing > 0 {
                text += "; \(s.droppedMissing) row\(s.droppedMissing == 1 ? "" : "s") with missing values left out (" + s.missingByColumn.map { "\($0.column): \($0.rows)" }.joined(separator: ", ") + ")"
            }
            return .summary(text, StudyCommands.summaryRecord(s))
        }
    }

    static func summaryRecord(_ s: Studies.Summary) -> [(String, ConsoleValue)] {
        [("study", .string(s.name)), ("source", .string(s.source)), ("treatment", .string(s.treatment)), ("outcome", .string(s.outcome)),
         ("units", .int(s.units)), ("treated", s.treated.map { .int($0) } ?? .null), ("covariates", .array(s.covariates.map { .string($0) })),
         ("dropped_missing", .int(s.droppedMissing)), ("binary_treatment", .bool(s.binaryTreatment))]
    }

    struct List: ConsoleCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The studies.")
        func run(in context: CommandContext) throws -> CommandOutput {
            let studies = try Studies.list(in: context.store())
            return .table(Table(columns: ["study", "units", "treated", "covariates", "treatment", "outcome", "missing dropped", "source"], rows: studies.map { s in
                [.string(s.name), .int(s.units), s.treated.map { .int($0) } ?? .string("continuous"), .int(s.covariates.count), .string(s.treatment),
                 .string(s.outcome), .int(s.droppedMissing), .string(s.source)]
            }))
        }
    }

    struct Show: ConsoleCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "A study: units, treated, covariates by arm, missing values.")
        @Argument(help: "The study.") var name: String
        func run(in context: CommandContext) throws -> CommandOutput {
            let loaded = try Studies.load(name, in: context.store())
            let s = loaded.summary, d = loaded.data
            var text = "study \(s.name): \(s.units) units, "
            text += s.treated.map { "\($0) treated, \(s.units - $0) untreated" } ?? "continuous treatment"
            text += "; treatment \(s.treatment), outcome \(s.outcome); from \(s.source)\n"
            text += "missing values: \(s.droppedMissing == 0 ? "none" : "\(s.droppedMissing) rows left out at create")"
            if !s.extra.isEmpty { text += "; other columns kept (for --placebo-outcome): \(s.extra.joined(separator: ", "))" }
            text += "\n"
            var rows: [[ConsoleValue]] = []
            let ones = [Double](repeating: 1, count: d.count)
            for (j, name) in d.names.enumerated() {
                let x = Array(d.covariates.column(j))
                let all = Balance.moments(x, ones, ones, arm: 1)
                if s.binaryTreatment {
                    let (m1, v1) = Balance.moments(x, d.treatment, ones, arm: 1), (m0, v0) = Balance.moments(x, d.treatment, ones, arm: 0)
                    let pooled = ((v1 + v0) / 2).squareRoot()
                    rows.append([.string(name), .number(all.0, .significant(5)), .number(m1, .significant(5)), .number(m0, .significant(5)),
                                 .number(pooled > 0 ? (m1 - m0) / pooled : 0, .decimals(3))])
                } else {
                    rows.append([.string(name), .number(all.0, .significant(5)), .number(all.1.squareRoot(), .significant(5))])
                }
            }
            let columns = s.binaryTreatment ? ["covariate", "mean", "treated mean", "untreated mean", "SMD (pooled SD)"] : ["covariate", "mean", "SD"]
            text += AlignedFormat().render(.table(Table(columns: columns, rows: rows)))
            return .summary(text, StudyCommands.summaryRecord(s) + [("extra", .array(s.extra.map { .string($0) }))])
        }
    }

    struct Drop: ConsoleCommand {
        static let configuration = CommandConfiguration(commandName: "drop", abstract: "Delete a study and its rows.")
        @Argument(help: "The study.") var name: String
        func run(in context: CommandContext) throws -> CommandOutput {
            try Studies.drop(name, in: context.store())
            return .summary("dropped study \(name)", [("study", .string(name))])
        }
    }

    static func estimateRow(_ e: Observational.Estimate) -> [ConsoleValue] {
        [.string(e.method), .string(e.estimand.rawValue.uppercased()), .number(e.value, .significant(5)), .number(e.standardError, .significant(4)),
         .number(e.lower, .significant(5)), .number(e.upper, .significant(5)), .number(e.pValue, .significant(3)), .int(e.units)]
    }

    static let estimateColumns = ["method", "estimand", "estimate", "SE", "95% low", "95% high", "p", "units"]

    static func estimateRecord(_ e: Observational.Estimate) -> [(String, ConsoleValue)] {
        [("method", .string(e.method)), ("estimand", .string(e.estimand.rawValue)), ("estimate", .double(e.value)), ("se", .double(e.standardError)),
         ("lower", .double(e.lower)), ("upper", .double(e.upper)), ("p_value", .double(e.pValue)), ("units", .int(e.units)),
         ("notes", .array(e.notes.map { .string($0) }))]
    }

    static func overlapText(_ o: Overlap) -> String {
        var text = AlignedFormat().render(.table(Table(columns: ["propensity", "treated", "untreated"], rows: [
            [.string("below 0.1"), .int(o.treatedBelow), .int(o.controlBelow)],
            [.string("0.1 to 0.9"), .int(o.treatedInside), .int(o.controlInside)],
            [.string("above 0.9"), .int(o.treatedAbove), .int(o.controlAbove)],
        ])))
        if o.flagged > 0 { text += "overlap: \(o.flagged) units have a propensity outside [0.1, 0.9]; consider --trim\n" }
        return text
    }

    struct EstimateCommand: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "estimate", abstract: "One method's estimate, SE, 95% interval and p, with the overlap of propensities.",
            discussion: "Methods: ols (HC2 SE), match (Abadie–Imbens SE, as R's Matching), psmatch, ipw (Hájek, sandwich SE), aipw and dml (cross-fitted).")
        @Argument(help: "The study.") var name: String
        @Option(help: "ols, match, psmatch, ipw, aipw or dml.") var method: String
        @OptionGroup var flags: AnalysisFlags
        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try StudyAnalysis.estimate(name, method: try StudyCommands.method(method), options: try flags.options(), in: context.store())
            let e = r.result.estimate
            var text = AlignedFormat().render(.table(Table(columns: StudyCommands.estimateColumns, rows: [StudyCommands.estimateRow(e)])))
            for note in e.notes { text += "  \(note)\n" }
            if let o = r.overlap { text += StudyCommands.overlapText(o) }
            return .summary(text, [("study", .string(name))] + StudyCommands.estimateRecord(e) + [("trimmed", .int(r.result.trimmed))])
        }
    }

    struct BalanceCommand: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "balance", abstract: "Standardized mean differences before and after, variance ratios, effective sample sizes; --html draws a Love plot.")
        @Argument(help: "The study.") var name: String
        @Option(help: "match, psmatch or ipw (the others read IPW's weights).") var method: String = "ipw"
        @OptionGroup var flags: AnalysisFlags
        @Option(help: "Also write a self-contained HTML page with a Love plot to FILE.") var html: String?
        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try StudyAnalysis.balance(name, method: try StudyCommands.method(method), options: try flags.options(), in: context.store())
            return try StudyCommands.balanceOutput(r, html: html, name: name)
        }
    }

    static func balanceOutput(_ r: StudyAnalysis.BalanceResult, html: String?, name: String) throws -> CommandOutput {
        let b = r.balance
        var text = "balance of study \(name) after \(r.weightsFrom.rawValue)\(r.weightsFrom != r.method ? " (\(r.method.rawValue) does not reweight; IPW's weights shown)" : "") for the \(b.estimand.rawValue.uppercased()); SD: \(b.standardDeviation)\n"
        text += AlignedFormat().render(.table(Table(columns: ["covariate", "SMD before", "SMD after", "var ratio before", "var ratio after", ""], rows: b.rows.map { row in
            [.string(row.covariate), .number(row.smdBefore, .decimals(3)), .number(row.smdAfter, .decimals(3)),
             .number(row.varianceRatioBefore, .decimals(3)), .number(row.varianceRatioAfter, .decimals(3)), .string(row.flagged ? "|SMD| > 0.1" : "")]
        })))
        let flagged = b.rows.filter(\.flagged).count
        text += String(format: "effective sample size: %.1f treated, %.1f untreated; %d of %d covariates above |SMD| 0.1 after\n", b.effectiveTreated, b.effectiveControl, flagged, b.rows.count)
        if let html {
            var page = HTMLPage(title: "Balance: study \(name)")
            page.paragraph(text.split(separator: "\n").first.map(String.init) ?? "")
            page.heading("Love plot")
            page.svg(LovePlot(rows: b.rows.map { .init(label: $0.covariate, before: $0.smdBefore, after: $0.smdAfter) }).svg())
            page.table(columns: ["covariate", "SMD before", "SMD after", "variance ratio before", "variance ratio after"], rows: b.rows.map {
                [$0.covariate, String(format: "%.3f", $0.smdBefore), String(format: "%.3f", $0.smdAfter), String(format: "%.3f", $0.varianceRatioBefore), String(format: "%.3f", $0.varianceRatioAfter)]
            })
            try writePage(page, to: html)
            text += "wrote \(html)\n"
        }
        return .summary(text, [("study", .string(name)), ("weights_from", .string(r.weightsFrom.rawValue)), ("estimand", .string(b.estimand.rawValue)),
                               ("sd", .string(b.standardDeviation)), ("effective_treated", .double(b.effectiveTreated)), ("effective_untreated", .double(b.effectiveControl)),
                               ("covariates", .object(b.rows.map { ($0.covariate, .object([("smd_before", .double($0.smdBefore)), ("smd_after", .double($0.smdAfter)),
                                                                                              ("variance_ratio_before", .double($0.varianceRatioBefore)), ("variance_ratio_after", .double($0.varianceRatioAfter))])) }))])
    }

    struct Refute: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "refute", abstract: "DoWhy's refuters: placebo treatment, negative-control outcome, random common cause, random subset.")
        @Argument(help: "The study.") var name: String
        @Option(help: "The method to refute.") var method: String = "aipw"
        @Option(help: "A negative-control outcome: a numeric column kept with the study, or a metric.") var placeboOutcome: String?
        @OptionGroup var flags: AnalysisFlags
        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try StudyAnalysis.refute(name, method: try StudyCommands.method(method), options: try flags.options(), placeboOutcome: placeboOutcome, in: context.store())
            return try StudyCommands.refuteOutput(r, name: name)
        }
    }

    static func refuteOutput(_ r: StudyAnalysis.RefuteResult, name: String) throws -> CommandOutput {
        var text = "refuting \(r.original.method) on study \(name): estimate \(NumberFormat.rounded(r.original.value, .significant(5))) (95% \(NumberFormat.rounded(r.original.lower, .significant(4))) to \(NumberFormat.rounded(r.original.upper, .significant(4))))\n"
        text += AlignedFormat().render(.table(Table(columns: ["refuter", "new estimate", "95% low", "95% high", "expect", "result"], rows: r.refutations.map { f in
            let expect = f.kind == .placeboTreatment || f.kind == .negativeControl ? "0 inside the interval" : "inside the original interval"
            return [.string(f.kind.rawValue), .number(f.refuted.value, .significant(5)), .number(f.refuted.lower, .significant(4)), .number(f.refuted.upper, .significant(4)),
                    .string(expect), .string(f.passed ? "pass" : "FLAG")]
        })))
        return .summary(text, [("study", .string(name)), ("method", .string(r.original.method)), ("estimate", .double(r.original.value)),
                               ("refutations", .array(r.refutations.map { f in .object([("refuter", .string(f.kind.rawValue)), ("estimate", .double(f.refuted.value)),
                                                                                           ("lower", .double(f.refuted.lower)), ("upper", .double(f.refuted.upper)), ("passed", .bool(f.passed))]) }))])
    }

    struct SensitivityCommand: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "sensitivity",
            abstract: "How strong an unobserved confounder must be: sensemakr's robustness values and bounds for OLS, E-values for every method.")
        @Argument(help: "The study.") var name: String
        @Option(help: "Benchmark covariates, comma-separated.") var benchmark: String?
        @Option(help: "Multiples of each benchmark's strength, comma-separated.") var multiples: String = "1,2,3"
        @Option(help: "Methods for E-values, comma-separated (default: ols).") var method: String = "ols"
        @OptionGroup var flags: AnalysisFlags
        @Option(help: "Also write a self-contained HTML page with the contour plot to FILE.") var html: String?
        func run(in context: CommandContext) throws -> CommandOutput {
            let ks = try StudyCommands.list(multiples).map { t -> Double in
                guard let v = try? ValueParsing.decimal(t), v > 0 else { throw ConsoleError("--multiples must be positive numbers, comma-separated") }
                return v
            }
            let methods = try StudyCommands.list(method).map(StudyCommands.method)
            let r = try StudyAnalysis.sensitivity(name, benchmarks: StudyCommands.list(benchmark), multiples: ks, methods: methods, options: try flags.options(), in: context.store())
            return try StudyCommands.sensitivityOutput(r, html: html, name: name)
        }
    }

    static func contour(_ r: StudyAnalysis.SensitivityResult) -> ContourPlot {
        let s = r.omitted
        let maximum = max(0.4, min(0.99, (r.bounds.map { max($0.r2dz, $0.r2yz) }.max() ?? 0) * 1.2), min(0.99, s.robustnessValue * 1.5))
        return ContourPlot(xLabel: "partial R² of the confounder with the treatment", yLabel: "partial R² of the confounder with the outcome",
                           maximum: maximum, unadjusted: s.estimate, points: r.bounds.map { ($0.label, $0.r2dz, $0.r2yz) }) { x, y in
            s.adjusted(r2dz: x, r2yz: y).adjustedEstimate
        }
    }

    static func sensitivityOutput(_ r: StudyAnalysis.SensitivityResult, html: String?, name: String) throws -> CommandOutput {
        let s = r.omitted
        var text = "omitted-variable sensitivity of OLS on study \(name) (Cinelli & Hazlett 2020): estimate \(NumberFormat.rounded(s.estimate, .significant(5))), SE \(NumberFormat.rounded(s.standardError, .significant(4))), t \(NumberFormat.rounded(s.tStatistic, .significant(4))), dof \(s.degreesOfFreedom)\n"
        text += "partial R² of the treatment with the outcome: \(NumberFormat.rounded(s.partialR2, .significant(4)))\n"
        text += "robustness value RV (to bring the estimate to 0): \(NumberFormat.rounded(s.robustnessValue, .significant(4))); RV at α = 0.05 (to make it insignificant): \(NumberFormat.rounded(s.robustnessValueAlpha, .significant(4)))\n"
        text += "  a confounder explaining \(NumberFormat.rounded(100 * s.robustnessValue, .significant(3)))% of the residual variance of both treatment and outcome would explain the estimate away\n"
        if !r.bounds.isEmpty {
            text += AlignedFormat().render(.table(Table(columns: ["bound", "R² with treatment", "R² with outcome", "adjusted estimate", "adjusted SE", "t", "95% low", "95% high"], rows: r.bounds.map { b in
                [.string(b.label), .number(b.r2dz, .significant(4)), .number(b.r2yz, .significant(4)), .number(b.adjustedEstimate, .significant(5)),
                 .number(b.adjustedStandardError, .significant(4)), .number(b.adjustedT, .significant(4)), .number(b.lower, .significant(4)), .number(b.upper, .significant(4))]
            })))
        }
        text += "E-values (VanderWeele & Ding 2017; \(r.eValueScale)):\n"
        text += AlignedFormat().render(.table(Table(columns: ["method", "estimate", "E-value", "E-value of the interval limit"], rows: r.eValues.map { e in
            [.string(e.method.rawValue), .number(e.estimate.value, .significant(5)), .number(e.point, .significant(4)), .number(e.limit, .significant(4))]
        })))
        if let html {
            var page = HTMLPage(title: "Sensitivity: study \(name)")
            for line in text.split(separator: "\n").prefix(4) { page.paragraph(String(line)) }
            page.heading("Adjusted estimate by confounder strength (red dashed: zero)")
            page.svg(contour(r).svg())
            try writePage(page, to: html)
            text += "wrote \(html)\n"
        }
        return .summary(text, [("study", .string(name)), ("estimate", .double(s.estimate)), ("se", .double(s.standardError)), ("dof", .int(s.degreesOfFreedom)),
                               ("r2yd_x", .double(s.partialR2)), ("rv_q", .double(s.robustnessValue)), ("rv_qa", .double(s.robustnessValueAlpha)),
                               ("bounds", .array(r.bounds.map { b in .object([("bound", .string(b.label)), ("r2dz_x", .double(b.r2dz)), ("r2yz_dx", .double(b.r2yz)),
                                                                             ("adjusted_estimate", .double(b.adjustedEstimate)), ("adjusted_se", .double(b.adjustedStandardError)),
                                                                             ("lower", .double(b.lower)), ("upper", .double(b.upper))]) })),
                               ("e_values", .object(r.eValues.map { ($0.method.rawValue, .object([("point", .double($0.point)), ("limit", .double($0.limit))])) }))])
    }

    struct ReportCommand: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "report", abstract: "Every method side by side, the overlap, balance, refutations and sensitivity; --html for a page.")
        @Argument(help: "The study.") var name: String
        @Option(help: "Benchmark covariates for the sensitivity bounds, comma-separated.") var benchmark: String?
        @Option(help: "The method the refuters test.") var refute: String = "aipw"
        @OptionGroup var flags: AnalysisFlags
        @Option(help: "Also write a self-contained HTML page to FILE.") var html: String?
        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try StudyAnalysis.report(name, options: try flags.options(), refuteWith: try StudyCommands.method(refute),
                                             benchmarks: StudyCommands.list(benchmark), in: context.store())
            let s = r.study
            var text = "study \(s.name): \(s.units) units" + (s.treated.map { ", \($0) treated" } ?? ", continuous treatment") + "; outcome \(s.outcome)\n"
            text += AlignedFormat().render(.table(Table(columns: StudyCommands.estimateColumns, rows: r.estimates.map { e in
                if let result = e.result { return StudyCommands.estimateRow(result.result.estimate) }
                return [.string(e.method.rawValue), .string("—"), .string("refused"), .string(""), .string(""), .string(""), .string(""), .string("")]
            })))
            for e in r.estimates where e.error != nil { text += "  \(e.method.rawValue): \(e.error!)\n" }
            if let o = r.estimates.compactMap({ $0.result?.overlap }).first { text += StudyCommands.overlapText(o) }
            var record: [(String, ConsoleValue)] = [("study", .string(s.name)), ("estimates", .object(r.estimates.compactMap { e in
                e.result.map { (e.method.rawValue, .object(StudyCommands.estimateRecord($0.result.estimate))) }
            }))]
            if let b = r.balance, case .summary(let t, let rec) = try StudyCommands.balanceOutput(b, html: nil, name: s.name) { text += t; record.append(("balance", .object(rec))) }
            if let f = r.refutation, case .summary(let t, let rec) = try StudyCommands.refuteOutput(f, name: s.name) { text += t; record.append(("refutations", .object(rec))) }
            if let v = r.sensitivity, case .summary(let t, let rec) = try StudyCommands.sensitivityOutput(v, html: nil, name: s.name) { text += t; record.append(("sensitivity", .object(rec))) }
            if let html {
                var page = HTMLPage(title: "Observational study \(s.name)")
                page.paragraph(text.split(separator: "\n").first.map(String.init) ?? "")
                page.heading("Estimates (95% intervals)")
                page.svg(ForestPlot(items: r.estimates.compactMap { e in
                    e.result.map { let x = $0.result.estimate; return .init(label: "\(x.method) (\(x.estimand.rawValue.uppercased()))", estimate: x.value, lower: x.lower, upper: x.upper, significant: x.pValue < 0.05) }
                }).svg())
                if let o = r.estimates.compactMap({ $0.result?.overlap }).first {
                    page.heading("Overlap: propensity scores by arm (shaded: outside [0.1, 0.9])")
                    page.svg(MirroredHistogram(upper: o.treatedHistogram, lower: o.controlHistogram, upperLabel: "treated", lowerLabel: "untreated").svg())
                }
                if let b = r.balance {
                    page.heading("Balance after IPW (Love plot)")
                    page.svg(LovePlot(rows: b.balance.rows.map { .init(label: $0.covariate, before: $0.smdBefore, after: $0.smdAfter) }).svg())
                }
                if let f = r.refutation {
                    page.heading("Refutations of \(f.original.method)")
                    page.table(columns: ["refuter", "new estimate", "95% low", "95% high", "result"], rows: f.refutations.map {
                        [$0.kind.rawValue, String(format: "%.5g", $0.refuted.value), String(format: "%.4g", $0.refuted.lower), String(format: "%.4g", $0.refuted.upper), $0.passed ? "pass" : "FLAG"]
                    })
                }
                if let v = r.sensitivity {
                    page.heading("Sensitivity of OLS to an omitted confounder")
                    page.paragraph(String(format: "RV = %.4g; RV at α 0.05 = %.4g; partial R² of the treatment = %.4g", v.omitted.robustnessValue, v.omitted.robustnessValueAlpha, v.omitted.partialR2))
                    page.svg(StudyCommands.contour(v).svg())
                    page.table(columns: ["method", "estimate", "E-value", "E-value of the interval limit"], rows: v.eValues.map {
                        [$0.method.rawValue, String(format: "%.5g", $0.estimate.value), String(format: "%.4g", $0.point), String(format: "%.4g", $0.limit)]
                    })
                }
                try writePage(page, to: html)
                text += "wrote \(html)\n"
            }
            return .summary(text, record)
        }
    }
}
