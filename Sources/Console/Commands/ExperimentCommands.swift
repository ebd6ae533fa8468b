import ArgumentParser
import Foundation
import Platform
import Stats
import Randomization

/// `experiment create|list|show|start|stop|set|phase`
struct ExperimentCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Define and run experiments: user splits, switchbacks and cluster designs.",
        subcommands: [Create.self, List.self, Show.self, Start.self, Stop.self, Set.self, Phase.self, Plan.self, Export.self]
    )

    struct Create: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a draft experiment.",
            discussion: """
                Weights are percentages summing to 100. The seed defaults to the name. Experiments sharing a \
                --layer take disjoint --range A:B slices of it and never share a unit. Switchbacks take --regions, \
                --window (dividing 24h, aligned to UTC midnight), --burn-in after each switch, and --carryover M \
                for the Bojinov–Simchi-Levi–Zhao optimal design (with --periods T, a multiple of M). Cluster \
                designs draw once per cluster of --clusters (a mapping from `import clusters`).
                """)

        @Argument(help: "A unique name.") var name: String
        @Option(help: "user, switchback or cluster.") var design: String = "user"
        @Option(help: "Arms and weights in percent: control:50,treatment:50.") var arms: String
        @Option(help: "Hashing seed (default: the name).") var seed: String?
        @Option(help: "GrowthBook hash version, 1 or 2.") var hashVersion: Int = 2
        @Option(parsing: .unconditional, help: "Share of eligible units that enter, 0 to 1.", transform: ValueParsing.decimal) var coverage: Double = 1
        @Option(help: "Layer for mutually exclusive experiments.") var layer: String?
        @Option(help: "This experiment's slice of the layer, A:B.") var range: String?
        @Option(help: "What a unit is (user, order, …).") var unitType: String = "user"
        @Option(help: "Switchback regions: r1,r2.") var regions: String?
        @Option(help: "Switchback window: 15m, 30m, 1h, …") var window: String?
        @Option(help: "Switchback burn-in after each switch: 5m.") var burnIn: String?
        @Option(help: "Carryover order m: randomize only at the optimal design's points.") var carryover: Int?
        @Option(help: "Number of switchback periods T (with --carryover, a multiple of m).") var periods: Int?
        @Option(help: "First switchback period (default: the window holding the start).") var start: String?
        @Option(help: "Cluster mapping for a cluster design.") var clusters: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let design = Experiment.Design(rawValue: design) else {
                throw ConsoleError("--design \"\(design)\" must be user, switchback or cluster")
            }
            guard let version = HashVersion(rawValue: hashVersion) else { throw ConsoleError("--hash-version must be 1 or 2") }
            var definition = ExperimentCatalog.Definition(name: name, arms: try ValueParsing.arms(arms))
            definition.design = design
            definition.seed = seed
            definition.hashVersion = version
            definition.coverage = coverage
            definition.unitType = unitType
            switch (layer, range) {
            case (nil, nil): break
            case (let layer?, let range?):
                let (a, b) = try ValueParsing.range(range)
                definition.layer = Namespace(id: layer, start: a, end: b)
            default: throw ConsoleError("--layer and --range go together")
            }
            var parameters = Experiment.DesignParameters()
            parameters.regions = regions.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            parameters.windowSeconds = try window.map { try ValueParsing.duration($0, flag: "--window") }
            parameters.burnInSeconds = try burnIn.map { try ValueParsing.duration($0, flag: "--burn-in") }
            parameters.carryover = carryover
            parameters.periods = periods
            parameters.start = try start.map { Int64(try ValueParsing.time($0, flag: "--start").timeIntervalSince1970.rounded(.down)) }
            parameters.clusters = clusters
            definition.parameters = parameters
            let experiment = try ExperimentCatalog.create(definition, in: context.store())
            return .summary("created experiment \(experiment.name) (\(experiment.design.rawValue), \(experiment.armList)); start it with: experiment start \(experiment.name)",
                            experimentFields(experiment))
        }
    }

    struct List: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "List experiments.")

        func run(in context: CommandContext) throws -> CommandOutput {
            let experiments = try ExperimentCatalog.list(in: context.store())
            return .table(Table(columns: ["name", "design", "status", "phase", "arms", "coverage", "layer"], rows: experiments.map { e in
                [.string(e.name), .string(e.design.rawValue), .string(e.status.rawValue), .int(e.phase), .string(e.armList),
                 .double(e.coverage), .optional(e.layer.map { "\($0.id) \(fmt($0.start)):\(fmt($0.end))" })]
            }))
        }
    }

    struct Show: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an experiment: definition, counts per arm with the SRM check, a switchback's schedule.")

        @Argument(help: "The experiment.") var name: String
        @Option(help: "Switchback windows to list per region.") var windows: Int = 8

        func run(in context: CommandContext) throws -> CommandOutput {
            let (experiment, stored) = try ExperimentCatalog.show(name, in: context.store())
            var fields = experimentFields(experiment)
            var text = AlignedFormat().render(.record(fields))
            if experiment.design == .switchback {
                let (table, rows) = try schedule(experiment, windows: max(1, min(windows, 1000)))
                text += "\nSchedule (UTC; * marks a switch, whose first \(ValueParsing.formatDuration(experiment.parameters.burnInSeconds ?? 0)) are burn-in):\n"
                text += AlignedFormat().render(.table(table))
                fields.append(("schedule", .array(rows)))
            } else if let counts = stored {
                let total = counts.arms.reduce(0) { $0 + $1.count }
                let table = Table(columns: ["arm", "weight", "units", "share"], rows: zip(experiment.arms, counts.arms).map { arm, count in
                    [.string(arm.name), .double(arm.weight), .int(count.count),
                     total > 0 ? .number(Double(count.count) / Double(total) * 100, .decimals(1)) : .null]
                })
                text += "\n" + AlignedFormat().render(.table(table))
                var srmText = "SRM: not enough units"
                if let srm = counts.sampleRatio {
                    srmText = (experiment.design == .cluster ? "SRM over clusters: " : "SRM: ") + srmStatistic(srm)
                        + (srm.isMismatch ? " — MISMATCH (p < 0.001): check the assignment pipeline" : " — ok")
                }
                text += "held out: \(counts.heldOut)\n" + srmText + "\n"
                fields.append(("counts", .object(counts.arms.map { ($0.name, .int($0.count)) })))
                fields.append(("held_out", .int(counts.heldOut)))
                fields.append(("srm", srmValue(counts.sampleRatio)))
                if let exposed = counts.exposures {
                    text += "exposed: " + exposed.arms.map { "\($0.name) \($0.exposed)" }.joined(separator: ", ")
                    text += exposed.sampleRatio.map { "; SRM on exposed units: " + srmStatistic($0) + ($0.isMismatch ? " — MISMATCH" : " — ok") } ?? ""
                    text += "\n"
                    if exposed.disagreeing > 0 {
                        text += "warning: \(exposed.disagreeing) exposed units saw another variation than their stored arm (or were held out): an SDK disagreed with Causeway\n"
                    }
                    if exposed.unassigned > 0 { text += "note: \(exposed.unassigned) exposed units have no stored assignment in this phase\n" }
                    fields.append(("exposed", .object(exposed.arms.map { ($0.name, .int($0.exposed)) })))
                    fields.append(("exposed_srm", srmValue(exposed.sampleRatio)))
                    fields.append(("exposures_disagreeing", .int(exposed.disagreeing)))
                    fields.append(("exposed_unassigned", .int(exposed.unassigned)))
                }
            }
            return .summary(text, fields)
        }

        private func schedule(_ experiment: Experiment, windows: Int) throws -> (Table, [ConsoleValue]) {
            let design = try experiment.switchbackDesign()
            let regions = experiment.parameters.regions ?? []
            let now = Int64(Date().timeIntervalSince1970)
            let firstPeriod = max(1, (design.window(at: now)?.period ?? 1))
            let lastPeriod = design.periods.map { min($0, firstPeriod + windows - 1) } ?? firstPeriod + windows - 1
            var rows: [[ConsoleValue]] = []
            var json: [ConsoleValue] = []
            for period in firstPeriod...max(firstPeriod, lastPeriod) {
                let start = design.start + Int64(period - 1) * design.windowSeconds
                var row: [ConsoleValue] = [.int(period), .string(ValueParsing.formatTime(Date(timeIntervalSince1970: Double(start))))]
                var arms: [(String, ConsoleValue)] = []
                for region in regions {
                    guard let a = design.assign(region: region, at: start) else { continue }
                    let arm = experiment.arms[a.arm].name
                    row.append(.string(a.switched ? arm + " *" : arm))
                    arms.append((region, .string(arm)))
                }
                rows.append(row)
                json.append(.object([("period", .int(period)), ("start", .string(ValueParsing.formatTime(Date(timeIntervalSince1970: Double(start))))),
                                     ("randomized", .bool(design.randomizationPeriod(for: period) == period)), ("arms", .object(arms))]))
            }
            return (Table(columns: ["period", "window start"] + regions, rows: rows), json)
        }
    }

    struct Start: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "Start a draft experiment.")
        @Argument(help: "The experiment.") var name: String

        func run(in context: CommandContext) throws -> CommandOutput {
            let e = try ExperimentCatalog.start(name, in: context.store())
            return .summary("experiment \(e.name) is running", experimentFields(e))
        }
    }

    struct Stop: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a running experiment; its assignments stay on record.")
        @Argument(help: "The experiment.") var name: String

        func run(in context: CommandContext) throws -> CommandOutput {
            let e = try ExperimentCatalog.stop(name, in: context.store())
            return .summary("experiment \(e.name) is stopped", experimentFields(e))
        }
    }

    struct Set: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change weights or coverage; assigned units stay where they are.")
        @Argument(help: "The experiment.") var name: String
        @Option(help: "New weights for the same arms: control:40,treatment:60.") var arms: String?
        @Option(parsing: .unconditional, help: "New coverage, 0 to 1.", transform: ValueParsing.decimal) var coverage: Double?

        func run(in context: CommandContext) throws -> CommandOutput {
            let e = try ExperimentCatalog.set(name, arms: try arms.map(ValueParsing.arms), coverage: coverage, in: context.store())
            return .summary("experiment \(e.name): \(e.armList), coverage \(fmt(e.coverage))", experimentFields(e))
        }
    }

    struct Phase: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a new phase with a new seed: re-randomizes every unit, on purpose.")
        @Argument(help: "The experiment.") var name: String
        @Option(help: "The new phase's seed (default: NAME#PHASE).") var seed: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            let e = try ExperimentCatalog.newPhase(name, seed: seed, in: context.store())
            return .summary("experiment \(e.name) is in phase \(e.phase) with seed \(e.seed)", experimentFields(e))
        }
    }
}

extension ExperimentCommands {
    /// `experiment plan [NAME] --metric M (--experiment E | --baseline-mean X --baseline-sd S | --proportion P) (--mde D [--relative] | --units N) …`
    struct Plan: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Units and days an experiment needs to detect an effect, or the effect a number of units detects.",
            discussion: """
                Two-sided, normal approximation (as statsmodels' NormalIndPower). The variance comes from a baseline, a \
                conversion rate, or stored data: an experiment's units (--experiment) or the metric's history; --cuped \
                reduces it by the pre-period metric's 1 − ρ². With several treatment arms, α is split across the \
                comparisons (Bonferroni: the strictest step of the report's Holm or Benjamini–Hochberg correction). \
                With --sequential, the units the sequential intervals need. NAME takes a draft experiment's arms.
                """)
        @Argument(help: "A (draft) experiment whose arms to plan for.") var name: String?
        @Option(help: "The metric.") var metric: String?
        @Option(help: "Read the variance from this experiment's units.") var experiment: String?
        @Option(parsing: .unconditional, help: "A baseline mean instead of stored data.", transform: ValueParsing.decimal) var baselineMean: Double?
        @Option(parsing: .unconditional, help: "A baseline unit-level standard deviation.", transform: ValueParsing.decimal) var baselineSd: Double?
        @Option(parsing: .unconditional, help: "A baseline conversion rate instead of stored data.", transform: ValueParsing.decimal) var proportion: Double?
        @Option(parsing: .unconditional, help: "The minimum detectable effect (absolute; relative with --relative).", transform: ValueParsing.decimal) var mde: Double?
        @Flag(help: "--mde is relative to the baseline mean (0.02 for 2%).") var relative = false
        @Option(help: "The units available in all: gives the minimum detectable effect instead.") var units: Int?
        @Option(help: "Arms and weights: control:50,treatment:50 (default, or NAME's arms).") var arms: String?
        @Option(parsing: .unconditional, help: "The significance level.", transform: ValueParsing.decimal) var alpha: Double = 0.05
        @Option(parsing: .unconditional, help: "The power.", transform: ValueParsing.decimal) var power: Double = 0.8
        @Option(parsing: .unconditional, help: "Units entering per day, for the duration.", transform: ValueParsing.decimal) var unitsPerDay: Double?
        @Option(help: "A pre-period metric for CUPED.") var cuped: String?
        @Flag(help: "Plan for sequential intervals (GrowthBook's; tuning 5000 unless --tuning).") var sequential = false
        @Option(parsing: .unconditional, help: "The sequential tuning parameter.", transform: ValueParsing.decimal) var tuning: Double?
        @Option(help: "holm, bh or none: the report's correction.") var correction: String = "holm"

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let method = MultipleTesting(rawValue: correction) else { throw ConsoleError("--correction must be holm, bh or none") }
            if tuning != nil, !sequential { throw ConsoleError("--tuning needs --sequential") }
            var r = ExperimentPlan.Request()
            (r.metric, r.experiment, r.baselineMean, r.baselineSD, r.proportion) = (metric, experiment, baselineMean, baselineSd, proportion)
            (r.mde, r.units, r.relative, r.alpha, r.power, r.unitsPerDay, r.cuped) = (mde, units, relative, alpha, power, unitsPerDay, cuped)
            r.correction = method
            if sequential { r.sequential = tuning ?? SequentialTest.defaultTuning }
            if let arms { r.arms = try ValueParsing.arms(arms) }
            else if let name { r.arms = try ExperimentCatalog.get(name, in: context.store()).arms }
            let needsStore = experiment != nil || (baselineMean == nil && proportion == nil)
            let p = try ExperimentPlan.run(r, in: needsStore ? try context.store() : nil)
            return planOutput(p, relative: relative)
        }

        func planOutput(_ p: ExperimentPlan.Plan, relative: Bool) -> CommandOutput {
            let perArm = p.unitsPerArm.map { "\($0.arm) \($0.units)" }.joined(separator: ", ")
            var text = "Plan" + (p.metric.map { " for \($0)" } ?? "") + " from \(p.source): "
            text += p.baselineMean.map { "mean \(NumberFormat.rounded($0, .significant(6))), " } ?? ""
            text += "sd \(NumberFormat.rounded(p.standardDeviation, .significant(6)))"
            text += p.varianceReduction.map { " after CUPED removed \(NumberFormat.percent($0))% of the variance" } ?? ""
            text += "\n\(p.sequential == nil ? "Fixed horizon" : "Sequential (tuning \(NumberFormat.shortest(p.sequential!)))"), two-sided, "
            text += "α \(NumberFormat.rounded(p.alphaPerComparison, .significant(4))) per comparison (\(p.comparisons) against control), power \(NumberFormat.shortest(p.power))\n"
            text += "Minimum detectable effect: \(NumberFormat.rounded(p.mde, .significant(6)))"
            text += p.relativeMDE.map { " (\(NumberFormat.rounded($0 * 100, .significant(4)))% of the baseline mean)" } ?? ""
            text += "\nUnits: \(perArm); \(p.totalUnits) in all" + (p.days.map { "; \($0) days at the given traffic" } ?? "") + "\n"
            return .summary(text, [
                ("units_per_arm", .object(p.unitsPerArm.map { ($0.arm, .int($0.units)) })), ("total_units", .int(p.totalUnits)),
                ("days", p.days.map { .int($0) } ?? .null), ("mde", .double(p.mde)),
                ("relative_mde", p.relativeMDE.map { .double($0) } ?? .null), ("standard_deviation", .double(p.standardDeviation)),
                ("baseline_mean", p.baselineMean.map { .double($0) } ?? .null),
                ("variance_reduction", p.varianceReduction.map { .double($0) } ?? .null),
                ("alpha_per_comparison", .double(p.alphaPerComparison)), ("power", .double(p.power)),
                ("sequential_tuning", p.sequential.map { .double($0) } ?? .null), ("source", .string(p.source)),
            ])
        }
    }
}

func experimentFields(_ e: Experiment) -> [(String, ConsoleValue)] {
    var fields: [(String, ConsoleValue)] = [
        ("name", .string(e.name)), ("design", .string(e.design.rawValue)), ("status", .string(e.status.rawValue)),
        ("unit_type", .string(e.unitType)), ("arms", .string(e.armList)), ("seed", .string(e.seed)),
        ("hash_version", .int(e.hashVersion.rawValue)), ("coverage", .double(e.coverage)), ("phase", .int(e.phase)),
        ("layer", .optional(e.layer?.id)), ("range", .optional(e.layer.map { "\(fmt($0.start)):\(fmt($0.end))" })),
    ]
    if e.design == .switchback {
        let p = e.parameters
        fields.append(("regions", .string(p.regions?.joined(separator: ",") ?? "")))
        fields.append(("window", .string(p.windowSeconds.map(ValueParsing.formatDuration) ?? "")))
        fields.append(("burn_in", .string(ValueParsing.formatDuration(p.burnInSeconds ?? 0))))
        fields.append(("carryover", p.carryover.map(ConsoleValue.int) ?? .null))
        fields.append(("periods", p.periods.map(ConsoleValue.int) ?? .null))
        fields.append(("first_period", .optional(p.start.map { ValueParsing.formatTime(Date(timeIntervalSince1970: Double($0))) })))
    }
    if e.design == .cluster { fields.append(("clusters", .optional(e.parameters.clusters))) }
    fields.append(("created_at", .string(ValueParsing.formatTime(e.createdAt))))
    fields.append(("started_at", .optional(e.startedAt.map(ValueParsing.formatTime))))
    fields.append(("stopped_at", .optional(e.stoppedAt.map(ValueParsing.formatTime))))
    return fields
}

/// `χ² = 0.09, p = 0.7647`: the sample-ratio check in words.
func srmStatistic(_ srm: SampleRatioMismatch) -> String {
    "χ² = \(NumberFormat.rounded(srm.chiSquare, .decimals(3))), p = \(formatP(srm.pValue))"
}

/// The sample-ratio check for JSON and CSV, or null when it could not run.
func srmValue(_ srm: SampleRatioMismatch?) -> ConsoleValue {
    guard let srm else { return .null }
    return .object([("chi_square", .double(srm.chiSquare)), ("p_value", .double(srm.pValue)), ("mismatch", .bool(srm.isMismatch))])
}

