import ArgumentParser
import Foundation
import Platform

/// `assign NAME UNIT [--at TIME --region R]` and `assign NAME --units FILE.csv`
struct AssignCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Assign a unit (or a CSV of units) to an arm; assignments are sticky.",
        discussion: """
            A stored assignment never moves when weights change; only a new phase re-randomizes. Units in the \
            universal holdout get no arm. For a switchback, give --at TIME and --region R: the arm in force \
            is printed with its window and whether the time lies in a burn-in.
            """)

    @Argument(help: "The experiment.") var name: String
    @Argument(help: "The unit id.") var unit: String?
    @Option(help: "A CSV file with a `unit` column: bulk assignment with COPY.") var units: String?
    @Option(parsing: .unconditional, help: "Switchback: the time (UTC unless it says otherwise), or now.") var at: String?
    @Option(help: "Switchback: the region.") var region: String?

    func run(in context: CommandContext) throws -> CommandOutput {
        if let units {
            guard unit == nil, at == nil, region == nil else { throw ConsoleError("--units takes no UNIT, --at or --region") }
            let result = try Assigner.assignBulk(name, unitsFile: units, in: context.store())
            var text = result.arms.map { "\($0.name): \($0.count)" }.joined(separator: ", ")
            text += "; held out: \(result.heldOut); not in experiment: \(result.notInExperiment) (\(result.new) new, \(result.existing) already assigned)"
            return .summary(text, [
                ("arms", .object(result.arms.map { ($0.name, .int($0.count)) })), ("held_out", .int(result.heldOut)),
                ("not_in_experiment", .int(result.notInExperiment)), ("new", .int(result.new)), ("existing", .int(result.existing)),
            ])
        }
        if at != nil || region != nil {
            guard let region else { throw ConsoleError("a switchback assignment needs --region") }
            let time = try ValueParsing.time(at ?? "now", flag: "--at")
            let a = try Assigner.assignSwitchback(name, region: region, at: time, in: context.store())
            let start = ValueParsing.formatTime(Date(timeIntervalSince1970: Double(a.window.start)))
            let end = ValueParsing.formatTime(Date(timeIntervalSince1970: Double(a.window.end)))
            return .summary(a.arm + (a.inBurnIn ? " (burn-in: excluded from analysis)" : ""), [
                ("arm", .string(a.arm)), ("region", .string(a.region)), ("period", .int(a.window.period)),
                ("window_start", .string(start)), ("window_end", .string(end)), ("burn_in", .bool(a.inBurnIn)),
                ("switched", .bool(a.switched)),
            ])
        }
        guard let unit else { throw ConsoleError("assign needs a UNIT or --units FILE.csv") }
        let single = try Assigner.assign(name, unit: unit, in: context.store())
        let text: String
        var fields: [(String, ConsoleValue)] = [("experiment", .string(name)), ("unit", .string(unit))]
        switch single.outcome {
        case .arm(let arm):
            text = arm
            fields += [("arm", .string(arm)), ("held_out", .bool(false)), ("in_experiment", .bool(true))]
        case .heldOut:
            text = "held out (universal holdout: no arm)"
            fields += [("arm", .null), ("held_out", .bool(true)), ("in_experiment", .bool(false))]
        case .notInExperiment:
            text = "not in experiment (outside its coverage or layer range)"
            fields += [("arm", .null), ("held_out", .bool(false)), ("in_experiment", .bool(false))]
        }
        fields.append(("new", .bool(single.isNew)))
        if let cluster = single.cluster { fields.append(("cluster", .string(cluster))) }
        return .summary(text, fields)
    }
}

/// `holdout set --percent P [--seed S] | holdout show | holdout check UNIT`
struct HoldoutCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holdout",
        abstract: "The universal holdout: units that never receive any treatment or campaign.",
        subcommands: [Set.self, Show.self, Check.self]
    )

    struct Set: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the share held out (0 to 50 percent); an equal-size measurement group is drawn beside it.")
        @Option(parsing: .unconditional, help: "Percent of units held out.", transform: ValueParsing.decimal) var percent: Double
        @Option(help: "Hashing seed (default: holdout).") var seed: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            let h = try HoldoutSettings.set(percent: percent, seed: seed, in: context.store())
            return .summary("holdout: \(fmt(h.percent))% held out, \(fmt(h.percent))% measurement group (seed \(h.seed))",
                            [("percent", .double(h.percent)), ("seed", .string(h.seed))])
        }
    }

    struct Show: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "Show the holdout and how many stored assignments it excluded.")

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let (h, excluded) = try HoldoutSettings.summary(in: context.store()) else {
                return .summary("no holdout is set (holdout set --percent P)", [("percent", .null), ("seed", .null)])
            }
            return .summary("holdout: \(fmt(h.percent))% held out, \(fmt(h.percent))% measurement group (seed \(h.seed)); "
                            + "\(excluded) units held out of experiments so far",
                            [("percent", .double(h.percent)), ("seed", .string(h.seed)), ("units_held_out", .int(excluded))])
        }
    }

    struct Check: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether a unit is held out, in the measurement group, or neither.")
        @Argument(help: "The unit id.") var unit: String

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let h = try HoldoutSettings.current(in: context.store()) else {
                return .summary("\(unit): no holdout is set", [("unit", .string(unit)), ("group", .string("general"))])
            }
            let group = h.group(of: unit)
            let text: String
            switch group {
            case .heldOut: text = "held out: gets no treatment and no campaign"
            case .measurement: text = "measurement group: treated as usual, compared with the holdout"
            case .general: text = "not in the holdout"
            }
            return .summary("\(unit): \(text)", [("unit", .string(unit)), ("group", .string(group.rawValue))])
        }
    }
}

/// `import clusters FILE.csv [--mapping NAME]`
struct ImportCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Load data from CSV files with COPY.", subcommands: [Outcomes.self, Clusters.self, ImportFeatures.self, Units.self, ImportExposures.self, ImportSeries.self])

    struct Outcomes: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load outcomes (header unit,value[,ts][,region]) into a metric, creating it when new.",
            discussion: "Pre-period values for CUPED are a metric of their own. A unit's value is the sum of its rows (the maximum, for proportions).")
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The metric the rows belong to.") var metric: String
        @Option(help: "mean or proportion (0/1), for a new metric.") var kind: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            var parsed: Metrics.Kind?
            if let kind {
                guard let k = Metrics.Kind(rawValue: kind), k != .ratio else { throw ConsoleError("--kind must be mean or proportion") }
                parsed = k
            }
            let r = try Metrics.importOutcomes(path: file, metric: metric, kind: parsed, in: context.store())
            return .summary("imported \(r.rows) rows for \(r.units) units into metric \(r.metric)\(r.created ? " (new)" : "")",
                            [("metric", .string(r.metric)), ("rows", .int(r.rows)), ("units", .int(r.units)), ("created", .bool(r.created))])
        }
    }

    struct Units: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load unit attributes (header unit,attr1,…), merged into what units already carry.",
            discussion: "Allocation policies segment units by an attribute (say country). An empty field leaves that attribute as it was.")
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The unit type for new units.") var unitType: String = "user"

        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try UnitImport.run(path: file, unitType: unitType, in: context.store())
            return .summary("imported \(r.units) units with attributes \(r.attributes.joined(separator: ","))",
                            [("units", .int(r.units)), ("attributes", .array(r.attributes.map(ConsoleValue.string)))])
        }
    }

    struct Clusters: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a unit → cluster mapping (header unit,cluster) for cluster designs, replacing it.")
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The mapping's name, as cluster experiments name it with --clusters.") var mapping: String = "default"

        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try ClusterImport.run(path: file, mapping: mapping, in: context.store())
            return .summary("imported \(r.units) units in \(r.clusters) clusters into mapping \(r.mapping)",
                            [("mapping", .string(r.mapping)), ("units", .int(r.units)), ("clusters", .int(r.clusters))])
        }
    }
}

extension ImportCommands {
    /// `import exposures FILE.csv`
    struct ImportExposures: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "exposures",
            abstract: "Load SDK exposure logs (header unit,experiment,variation,timestamp); events already stored are skipped.")
        @Argument(help: "The CSV file.") var file: String

        func run(in context: CommandContext) throws -> CommandOutput {
            let stored = try Exposures.importCSV(path: file, in: context.store())
            return .summary("imported \(stored.events) exposure events (\(stored.new) new, \(stored.events - stored.new) already stored)",
                            [("events", .int(stored.events)), ("new", .int(stored.new))])
        }
    }
}
