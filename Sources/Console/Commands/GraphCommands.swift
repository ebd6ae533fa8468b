import ArgumentParser
import Exposure
import Foundation
import Platform
import Reports
import Stats

/// `graph import|list|clusters|motifs`
struct GraphCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Social and marketplace graphs: import, cluster for cluster designs, motif census.",
        subcommands: [Import.self, List.self, Clusters.self, Motifs.self])

    struct Import: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load an edge list (header source,target) as graph NAME with COPY, replacing a graph of that name.",
            discussion: """
                The nodes come from the edges: an end that is not a unit yet becomes a unit of --unit-type (and is \
                counted); an end that is a unit of another type is an error. Self-loops and duplicate edges are \
                dropped and counted. Undirected unless --directed; in a directed \
                graph an edge a,b means a sees b (b's treatment can reach a).
                """)
        @Argument(help: "The graph's name.") var name: String
        @Argument(help: "The CSV file.") var file: String
        @Flag(help: "Edges are directed: source sees target.") var directed = false
        @Option(help: "The unit type the graph links.") var unitType = "user"

        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try GraphStore.importCSV(path: file, name: name, directed: directed, unitType: unitType, in: context.store())
            let i = r.info
            var text = "imported graph \(i.name): \(i.nodes) units, \(i.edges) \(i.directed ? "directed" : "undirected") edges; dropped "
                + "\(i.selfLoops) self-loops, \(i.duplicates) duplicates, \(i.unknownEdges) edges naming unknown units"
            if r.createdUnits > 0 { text += "; created \(r.createdUnits) units of type \(i.unitType) the edges named" }
            return .summary(text, [("graph", .string(i.name)), ("nodes", .int(i.nodes)), ("edges", .int(i.edges)), ("directed", .bool(i.directed)),
                                   ("self_loops", .int(i.selfLoops)), ("duplicates", .int(i.duplicates)), ("unknown_edges", .int(i.unknownEdges)),
                                   ("created_units", .int(r.createdUnits))])
        }
    }

    struct List: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "List stored graphs.")

        func run(in context: CommandContext) throws -> CommandOutput {
            .table(Table(columns: ["name", "unit_type", "directed", "nodes", "edges", "self_loops", "duplicates", "unknown_edges", "source"],
                         rows: try GraphStore.list(in: context.store()).map {
                [.string($0.name), .string($0.unitType), .bool($0.directed), .int($0.nodes), .int($0.edges), .int($0.selfLoops),
                 .int($0.duplicates), .int($0.unknownEdges), .string($0.source)]
            }))
        }
    }

    struct Clusters: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cluster a graph for graph cluster randomization and store the unit → cluster mapping.",
            discussion: """
                3net: Ugander et al.'s 3-net (centres at least 3 hops apart, each unit joins its nearest centre). \
                louvain: modularity maximisation (Blondel et al. 2008). The mapping (named after the graph unless \
                --mapping) feeds experiment create … --design cluster --clusters MAPPING. Reports the share of \
                edges inside clusters: the higher, the less interference crosses arms.
                """)
        @Argument(help: "The graph.") var name: String
        @Option(help: "3net or louvain.") var method: String = "louvain"
        @Option(help: "The cluster mapping to write (default: the graph's name).") var mapping: String?
        @Option(help: "The random seed (visiting order).") var seed: UInt64 = 1

        func run(in context: CommandContext) throws -> CommandOutput {
            guard let m = GraphStore.ClusterMethod(rawValue: method) else { throw ConsoleError("--method must be 3net or louvain") }
            let r = try GraphStore.cluster(name, method: m, mapping: mapping, seed: seed, in: context.store())
            let text = "clustered graph \(r.graph) by \(r.method): \(r.clusters) clusters over \(r.units) units (largest \(r.largest)); "
                + "\(NumberFormat.percent(r.insideShare))% of edges inside clusters, modularity \(NumberFormat.rounded(r.modularity, .decimals(3))); "
                + "mapping \(r.mapping)"
            return .summary(text, [("graph", .string(r.graph)), ("mapping", .string(r.mapping)), ("method", .string(r.method)),
                                   ("units", .int(r.units)), ("clusters", .int(r.clusters)), ("largest", .int(r.largest)),
                                   ("inside_share", .double(r.insideShare)), ("modularity", .double(r.modularity))])
        }
    }

    struct Motifs: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each ego's network motifs under an experiment's assignment (Yuan, Altenburger & Kooti 2021).",
            discussion: """
                Per unit of the experiment: its arm, degree, treated and control neighbours, closed triads (the two \
                alters linked) and open triads by how many alters are treated (0, 1, 2), and the normalised vector: \
                the share of treated neighbours and each shape's shares. --out writes one row per ego.
                """)
        @Argument(help: "The graph.") var name: String
        @Option(help: "The experiment whose assignment marks the treated.") var experiment: String
        @Option(help: "The treated arm (default: the second arm).") var arm: String?
        @Option(help: "Write the census to FILE.csv.") var out: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try MotifExport.run(graph: name, experiment: experiment, arm: arm, out: out, in: context.store())
            let columns = ["arm"] + MotifCensus.vectorNames.map { "mean_" + $0 }
            let rows: [[ConsoleValue]] = [r.control, r.treated].enumerated().map { a, label in
                [.string(label)] + r.meanVector[a].map { .number($0, .decimals(4)) }
            }
            var text = "motif census of \(r.egos) units of \(r.experiment) on graph \(r.graph) (mean degree \(NumberFormat.rounded(r.meanDegree, .decimals(2)))): "
                + "closed triads with 0/1/2 treated alters \(r.closed.map(String.init).joined(separator: "/")), "
                + "open \(r.open.map(String.init).joined(separator: "/"))\n"
                + AlignedFormat().render(.table(Table(columns: columns, rows: rows)))
            if let out, let n = r.rowsWritten { text += "wrote \(n) rows to \(out)\n" }
            return .summary(text, [("egos", .int(r.egos)), ("mean_degree", .double(r.meanDegree)),
                                   ("closed", .array(r.closed.map { .int(Int($0)) })), ("open", .array(r.open.map { .int(Int($0)) })),
                                   ("mean_vectors", .array(Table(columns: columns, rows: rows).objects))])
        }
    }
}

extension ReportCommands {
    /// `report spillover NAME --graph G --metric M [--replicates R] [--exposure MAPPING] [--floor F] [--html FILE]`
    struct Spillover: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Direct, spillover and total effects on a graph: exposure conditions, Horvitz–Thompson and Hájek means.",
            discussion: """
                Each unit's condition is its own arm by its neighbourhood's exposure (full: every neighbour treated \
                or none; fraction:Q: at least Q of them treated, or at least Q in control; absolute:K: at least K \
                treated, or none). Probabilities of each condition come from re-running the experiment's design R \
                times with fresh salts (Aronow & Samii 2017); units below --floor for a condition are left out of \
                its contrasts and counted. Intervals use Aronow & Samii's conservative variance (--interval as), or \
                the dependence-robust (network HAC) standard error, robust_se (--interval robust): A–S is valid \
                but can be several times too wide under cluster designs; the robust one tracks the spread but \
                can undercover in small samples. The tree splits units on their own arm and motif \
                vector (honest halves, positivity gate), with Hájek leaf means.
                """)
        @Argument(help: "The experiment.") var name: String
        @Option(help: "The graph.") var graph: String
        @Option(help: "The outcome metric (mean or proportion).") var metric: String
        @Option(help: "Re-runs of the design for exposure probabilities.") var replicates: Int = 200
        @Option(help: "full, fraction:Q or absolute:K (default: full for cluster designs, fraction:0.75 for user splits).") var exposure: String?
        @Option(parsing: .unconditional, help: "The positivity floor.", transform: ValueParsing.decimal) var floor: Double = 0.05
        @Option(help: "The treated arm (default: the second arm).") var arm: String?
        @Option(help: "as (Aronow–Samii's conservative variance) or robust (the dependence-robust standard error) for the intervals.")
        var interval: String = "as"
        @Flag(help: "Skip the heterogeneous-spillover tree.") var noTree = false
        @Option(help: "Also write a self-contained HTML page with charts to FILE.") var html: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            var options = SpilloverReport.Options(graph: graph, metric: metric)
            options.replicates = replicates
            options.floor = floor
            options.arm = arm
            options.tree = !noTree
            if let exposure {
                do { options.mapping = try ExposureMapping(parsing: exposure) } catch { throw ConsoleError("--exposure: \(error.description)") }
            }
            guard interval == "as" || interval == "robust" else { throw ConsoleError("--interval must be as or robust") }
            let r = try SpilloverReport.run(name, options: options, in: context.store())
            return try SpilloverPresenter(result: r, robust: interval == "robust").output(html: html)
        }

    }
}
