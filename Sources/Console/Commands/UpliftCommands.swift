import ArgumentParser
import Foundation
import Platform
import Uplift

/// `simulate units N --setup A|B|C|D|binary|vouchers --name NAME [--seed S] [--arms K]`
struct SimulateCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Make data with known effects.", subcommands: [Units.self, SimulatedGraph.self, Spillover.self])

    struct Units: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an experiment whose units carry features x1…x5, an outcome and their true effects.",
            discussion: """
                Setups A–D are Nie & Wager's (2021), as CausalML's synthetic_data modes 1–4 make them: \
                y = b(x) + (w − 0.5)·τ(x) + ε. Treatment is randomized in B and confounded in A, C and D (the \
                experiment is marked observational, so models estimate propensities). binary: a voucher \
                campaign with a logistic response where "sleeping dogs" (x1 > 0.8) are put off. vouchers: \
                --arms K voucher levels (face values 5, 10, …) against control, in equal shares.
                """)
        @Argument(help: "How many units.") var count: Int
        @Option(help: "A, B, C, D, binary or vouchers.") var setup: String
        @Option(help: "The experiment (and feature set) to create.") var name: String
        @Option(help: "The random seed.") var seed: UInt64 = 1
        @Option(help: "vouchers: the number of voucher levels besides control.") var arms: Int = 3
        @Option(help: "The outcome metric.") var metric: String = "y"

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let s = SyntheticData.Setup(rawValue: setup) ?? SyntheticData.Setup(rawValue: setup.uppercased()) else {
                throw ConsoleError("--setup must be A, B, C, D, binary or vouchers")
            }
            let r = try Simulation.run(setup: s, units: count, name: name, seed: seed, levels: arms, outcome: metric, in: context.store())
            let effects = zip(r.arms.dropFirst(), r.meanEffect).map { "\($0) \(NumberFormat.fixed($1, 4))" }.joined(separator: ", ")
            var text = "simulated \(r.units) units in experiment \(r.experiment) (\(r.randomized ? "randomized" : "confounded: observational")); "
                + "features x1…x5 in feature set \(r.experiment); outcome metric \(r.outcome); mean true effect: \(effects)"
            if !r.armCosts.isEmpty { text += "; voucher face values " + r.armCosts.map(fmt).joined(separator: ", ") }
            return .summary(text, [("experiment", .string(r.experiment)), ("units", .int(r.units)),
                                   ("arms", .array(r.arms.map(ConsoleValue.string))), ("randomized", .bool(r.randomized)),
                                   ("mean_effect", .array(r.meanEffect.map(ConsoleValue.double))),
                                   ("arm_costs", .array(r.armCosts.map(ConsoleValue.double)))])
        }
    }
}

extension SimulateCommands {
    /// `simulate graph N --edges FILE --units FILE [--k K] [--rewire P] [--seed S] [--prefix P]`
    struct SimulatedGraph: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "graph",
            abstract: "Write a Watts–Strogatz social graph: an edge list for graph import and its units for import units.",
            discussion: "A ring of N units, each linked to its K nearest, each link rewired at random with probability P: "
                + "small-world, clustered, like friendship graphs. Nothing is stored; import the files.")
        @Argument(help: "How many units.") var count: Int
        @Option(help: "The edge list to write (source,target).") var edges: String
        @Option(help: "The units file to write (unit,neighbourhood).") var units: String
        @Option(help: "Neighbours per unit on the ring (even).") var k: Int = 10
        @Option(parsing: .unconditional, help: "The rewiring probability.", transform: ValueParsing.decimal) var rewire: Double = 0.1
        @Option(help: "The random seed.") var seed: UInt64 = 1
        @Option(help: "Unit ids are PREFIX followed by a number.") var prefix: String = "m"

        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try GraphSimulation.writeGraph(nodes: count, k: k, rewire: rewire, seed: seed, prefix: prefix, edgesPath: edges, unitsPath: units)
            return .summary("wrote \(r.edges) edges to \(r.edgesPath) and \(r.units) units to \(r.unitsPath)",
                            [("units", .int(r.units)), ("edges", .int(r.edges))])
        }
    }

    /// `simulate spillover EXPERIMENT --graph G --metric M [--direct B] [--spillover G] [--base A] [--noise S] [--seed S]`
    struct Spillover: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write outcomes with a planted direct effect and a spillover through the graph.",
            discussion: "For each unit of the experiment: y = base + direct·z + spillover·f + N(0, noise²), z its own arm "
                + "(1 treated), f the share of its neighbours treated. The total effect of treating everyone is direct + spillover.")
        @Argument(help: "The experiment (assigned).") var experiment: String
        @Option(help: "The graph.") var graph: String
        @Option(help: "The metric to create.") var metric: String
        @Option(parsing: .unconditional, help: "The outcome's baseline.", transform: ValueParsing.decimal) var base: Double = 10
        @Option(parsing: .unconditional, help: "The direct effect of a unit's own treatment.", transform: ValueParsing.decimal) var direct: Double = 0.5
        @Option(parsing: .unconditional, help: "The effect of having every neighbour treated.", transform: ValueParsing.decimal) var spillover: Double = 1
        @Option(parsing: .unconditional, help: "The noise's standard deviation.", transform: ValueParsing.decimal) var noise: Double = 1
        @Option(help: "The random seed.") var seed: UInt64 = 1

        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try GraphSimulation.plantOutcomes(experiment: experiment, graph: graph, metric: metric, base: base, direct: direct,
                                                      spillover: spillover, noise: noise, seed: seed, in: context.store())
            let text = "wrote metric \(r.metric) for \(r.units) units: direct effect \(fmt(r.direct)), spillover \(fmt(r.spillover)) × share of "
                + "neighbours treated, total \(fmt(r.direct + r.spillover)); treated units have \(NumberFormat.percent(r.meanFractionTreated))% "
                + "of neighbours treated, control units \(NumberFormat.percent(r.meanFractionControl))%"
            return .summary(text, [("metric", .string(r.metric)), ("units", .int(r.units)), ("direct", .double(r.direct)),
                                   ("spillover", .double(r.spillover)), ("total", .double(r.direct + r.spillover))])
        }
    }
}

/// `import features FILE.csv --set NAME`
struct ImportFeatures: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Load unit features (header unit,f1,f2,…) into a feature set, creating it when new.",
        discussion: "Every value must be a finite number; units already in the set get the new values.")
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "The feature set.") var set: String

    func run(in context: CommandContext) throws -> CommandOutput {
        let r = try FeatureStore.importCSV(path: file, set: set, in: context.store())
        return .summary("imported \(r.units) units into feature set \(r.set) (\(r.columns.joined(separator: ",")))",
                        [("set", .string(r.set)), ("units", .int(r.units)), ("columns", .array(r.columns.map(ConsoleValue.string)))])
    }
}

/// `model train|list|show|score`
struct ModelCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Uplift models: train, list, show, score.",
        subcommands: [Train.self, List.self, Show.self, Score.self])

    struct Train: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an uplift model on an experiment's units and store it.",
            discussion: """
                Meta-learners: s (one model with arm indicators), t (a model per arm), x (Künzel et al., \
                combined with the propensity), dr (cross-fitted doubly robust pseudo-outcomes). Each \
                treatment arm is compared with control. Propensities come from the design, or are \
                estimated by logistic regression (clipped) when the experiment is observational. A share \
                of the units (--split, by a hash of the model name and unit) is held out for evaluation; \
                held-out metrics include PEHE when the data carry true effects. --calibrate maps uplift \
                onto doubly robust pseudo-outcomes of a fifth of the training units by isotonic regression.
                """)
        @Argument(help: "The model's name.") var name: String
        @Option(help: "The experiment whose units to learn from.") var experiment: String
        @Option(help: "The outcome metric.") var outcome: String
        @Option(help: "Comma-separated feature names (default: every feature of the set).") var features: String?
        @Option(help: "The feature set (default: the one named like the experiment).") var featureSet: String?
        @Option(help: "s, t, x or dr.") var learner: String = "t"
        @Option(help: "xgboost or logistic (linear for continuous outcomes).") var base: String = "xgboost"
        @Option(help: "XGBoost: boosting rounds.") var rounds: Int = 100
        @Option(help: "XGBoost: maximum tree depth.") var depth: Int = 4
        @Option(parsing: .unconditional, help: "XGBoost: learning rate.", transform: ValueParsing.decimal) var eta: Double = 0.1
        @Option(parsing: .unconditional, help: "XGBoost: row subsampling.", transform: ValueParsing.decimal) var subsample: Double = 1
        @Option(help: "XGBoost: threads.") var threads: Int = 2
        @Option(parsing: .unconditional, help: "Share of units held out for evaluation.", transform: ValueParsing.decimal) var split: Double = 0.3
        @Option(help: "Seed for XGBoost, folds and calibration.") var seed: UInt64 = 0
        @Flag(help: "Calibrate uplift by isotonic regression on held-back training units.") var calibrate = false

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let kind = MetaLearnerKind(rawValue: learner) else { throw ConsoleError("--learner must be s, t, x or dr") }
            guard let b = ModelRegistry.Base(rawValue: base) else { throw ConsoleError("--base must be xgboost or logistic") }
            guard rounds >= 1, rounds <= 10_000 else { throw ConsoleError("--rounds must be between 1 and 10000") }
            guard depth >= 1, depth <= 20 else { throw ConsoleError("--depth must be between 1 and 20") }
            guard eta > 0, eta <= 1 else { throw ConsoleError("--eta must be in (0, 1]") }
            guard subsample > 0, subsample <= 1 else { throw ConsoleError("--subsample must be in (0, 1]") }
            guard threads >= 1, threads <= 256 else { throw ConsoleError("--threads must be at least 1") }
            var o = ModelRegistry.TrainOptions(name: name, experiment: experiment, outcome: outcome)
            o.features = features.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            o.featureSet = featureSet
            o.learner = kind
            o.base = b
            o.xgboost = XGBoostParameters(rounds: rounds, maxDepth: depth, learningRate: eta, subsample: subsample, threads: threads,
                                          seed: Int(truncatingIfNeeded: seed))
            o.calibrate = calibrate
            o.testFraction = split
            o.seed = seed
            let m = try ModelRegistry.train(o, in: context.store())
            return .summary("trained model \(m.name) (\(m.learner.rawValue)-learner on \(m.base.rawValue), \(m.trainingUnits) units, "
                            + "\(NumberFormat.rounded(m.seconds, .decimals(2))) s)\n" + describe(m), record(m))
        }
    }

    struct List: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "List models.")

        func run(in context: CommandContext) throws -> CommandOutput {
            .table(Table(columns: ["name", "experiment", "learner", "base", "outcome", "features", "training_units", "test_units", "pehe"],
                         rows: try ModelRegistry.list(in: context.store()).map { m in
                [.string(m.name), .string(m.experiment), .string(m.learner.rawValue), .string(m.base.rawValue), .string(m.outcome),
                 .string(m.features.joined(separator: ",")), .int(m.trainingUnits), .int(m.testUnits),
                 m.metrics.first?.pehe.map(sixDigits) ?? .null]
            }))
        }
    }

    struct Show: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "Show a model: its data, parameters and held-out metrics.")
        @Argument(help: "The model.") var name: String

        func run(in context: CommandContext) throws -> CommandOutput {
            let m = try ModelRegistry.show(name, in: context.store())
            return .summary(describe(m), record(m))
        }
    }

    struct Score: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write per-unit, per-arm uplift for every unit of a feature set into the scores table.")
        @Argument(help: "The model.") var name: String
        @Option(help: "The feature set to score (default: the model's own).") var featureSet: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try ModelRegistry.score(name, featureSet: featureSet, in: context.store())
            let means = zip(r.arms, r.meanUplift).map { "\($0) \(NumberFormat.fixed($1, 4))" }.joined(separator: ", ")
            return .summary("scored \(r.units) units with model \(r.model) (mean uplift: \(means)) in \(NumberFormat.rounded(r.seconds, .decimals(2))) s",
                            [("model", .string(r.model)), ("units", .int(r.units)), ("arms", .array(r.arms.map(ConsoleValue.string))),
                             ("mean_uplift", .array(r.meanUplift.map(ConsoleValue.double)))])
        }
    }

    static func describe(_ m: ModelRegistry.Model) -> String {
        var text = "model \(m.name): \(m.learner.rawValue)-learner on \(m.base.rawValue) "
            + "(\(m.objective == .binaryLogistic ? "binary" : "continuous") outcome \(m.outcome)), experiment \(m.experiment), "
            + "features \(m.features.joined(separator: ",")) from set \(m.featureSet); propensity \(m.propensity)"
            + (m.calibrated ? "; calibrated (isotonic)" : "") + "\n"
        text += "trained on \(m.trainingUnits) units, evaluated on \(m.testUnits) held-out units (\(fmt(m.testFraction * 100))%)\n"
        let table = Table(columns: ["arm", "test_units", "predicted_effect", "observed_effect", "pehe", "pehe_of_constant"],
                          rows: m.metrics.map { a in
            [.string(a.arm), .int(a.testUnits), sixDigits(a.predictedEffect), a.observedEffect.map(sixDigits) ?? .null,
             a.pehe.map(sixDigits) ?? .null, a.peheOfConstant.map(sixDigits) ?? .null]
        })
        return text + AlignedFormat().render(.table(table)).trimmingCharacters(in: .newlines)
    }

    static func record(_ m: ModelRegistry.Model) -> [(String, ConsoleValue)] {
        let first = m.metrics.first
        return [("name", .string(m.name)), ("experiment", .string(m.experiment)), ("learner", .string(m.learner.rawValue)),
                ("base", .string(m.base.rawValue)), ("outcome", .string(m.outcome)),
                ("objective", .string(m.objective.rawValue)), ("feature_set", .string(m.featureSet)),
                ("features", .array(m.features.map(ConsoleValue.string))), ("propensity", .string(m.propensity)),
                ("calibrated", .bool(m.calibrated)), ("training_units", .int(m.trainingUnits)), ("test_units", .int(m.testUnits)),
                ("pehe", first?.pehe.map(ConsoleValue.double) ?? .null),
                ("arms", .array(m.metrics.map { a in
                    .object([("arm", .string(a.arm)), ("test_units", .int(a.testUnits)), ("predicted_effect", .double(a.predictedEffect)),
                             ("observed_effect", a.observedEffect.map(ConsoleValue.double) ?? .null),
                             ("pehe", a.pehe.map(ConsoleValue.double) ?? .null),
                             ("pehe_of_constant", a.peheOfConstant.map(ConsoleValue.double) ?? .null),
                             ("clipped_propensities", a.clipped.map(ConsoleValue.int) ?? .null)])
                })),
                ("seconds", .double(m.seconds))]
    }
}
