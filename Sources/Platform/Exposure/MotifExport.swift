import Exposure
import Foundation
import Postgres

/// `graph motifs NAME --experiment E [--out FILE.csv]`: each ego's motif census under the
/// experiment's assignment.
public enum MotifExport {
    public struct Result: Sendable {
        public let graph: String
        public let experiment: String
        public let control: String
        public let treated: String
        /// Egos written: units of the experiment's contrast on the graph.
        public let egos: Int
        public let meanDegree: Double
        /// Over the egos: closed and open triads by treated alters (0, 1, 2).
        public let closed: [Int64]
        public let open: [Int64]
        /// Per own arm (control, treated): the mean normalised vector.
        public let meanVector: [[Double]]
        public let rowsWritten: Int?
    }

    public static func run(graph: String, experiment name: String, arm: String?, out path: String?, in store: Store) throws -> Result {
        try store.connection.transaction { c in
            let on = try ExperimentOnGraph.load(try Experiment.load(name, on: c), graph: graph, arm: arm, on: c)
            let g = on.graph
            let census = MotifCensus.census(g, treated: on.arm.map { $0 > 0 })
            let egos = (0..<g.nodes).filter { on.arm[$0] >= 0 }
            var closed = [Int64](repeating: 0, count: 3), open = closed
            var vectors = [[Double]](repeating: [Double](repeating: 0, count: MotifCensus.vectorNames.count), count: 2)
            var perArm = [0.0, 0.0]
            var degree = 0.0
            for i in egos {
                for t in 0..<3 { closed[t] += census.closed[t][i]; open[t] += census.open[t][i] }
                let v = census.vector(i), a = Int(on.arm[i])
                for k in v.indices { vectors[a][k] += v[k] }
                perArm[a] += 1
                degree += Double(census.degree[i])
            }
            for a in 0..<2 where perArm[a] > 0 { vectors[a] = vectors[a].map { $0 / perArm[a] } }
            let armName = [on.experiment.arms[0].name, on.experiment.arms[on.treatedArm].name]
            var written: Int?
            if let path {
                var text = "unit,arm,degree,treated_neighbours,control_neighbours,closed_0,closed_1,closed_2,open_0,open_1,open_2,"
                    + MotifCensus.exposureNames.map { "x_\($0)" }.joined(separator: ",") + "\n"
                for i in egos {
                    let d = Int(census.degree[i]), t = Int(census.treatedNeighbours[i])
                    var fields = [CSV.field(on.loaded.units[i]), CSV.field(armName[Int(on.arm[i])]), String(d), String(t), String(d - t)]
                    fields += census.closed.map { String($0[i]) } + census.open.map { String($0[i]) }
                    fields += census.exposureVector(i, ownArmTreated: on.arm[i] > 0).map { String(format: "%.6g", $0) }
                    text += fields.joined(separator: ",") + "\n"
                }
                try CSV.write(text, to: path)
                written = egos.count
            }
            return Result(graph: graph, experiment: name, control: armName[0], treated: armName[1], egos: egos.count,
                          meanDegree: egos.isEmpty ? 0 : degree / Double(egos.count), closed: closed, open: open,
                          meanVector: vectors, rowsWritten: written)
        }
    }
}
