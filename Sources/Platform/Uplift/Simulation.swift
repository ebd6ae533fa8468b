import Foundation
import Postgres
import Randomization
import Uplift

/// `simulate units`: an experiment with known effects, stored like real data (features, assignments,
/// outcomes) plus each unit's true effect per arm, so models can be scored against the truth (PEHE).
public enum Simulation {
    public struct Result: Sendable {
        public let experiment: String
        public let units: Int
        public let arms: [String]
        public let randomized: Bool
        public let outcome: String
        public let meanEffect: [Double]
        public let armCosts: [Double]
    }

    /// Creates experiment `name` (running, phase 1), feature set `name` (x1…x5), assignments, outcomes
    /// of metric `outcome` and true effects, in one transaction. Simulated units bypass the universal
    /// holdout: they are not real users.
    public static func run(setup: SyntheticData.Setup, units n: Int, name: String, seed: UInt64, levels: Int = 3,
                           outcome: String = "y", in store: Store) throws -> Result {
        guard n >= 10 else { throw PlatformError("simulate at least 10 units") }
        guard n <= 50_000_000 else { throw PlatformError("simulate at most 50,000,000 units") }
        guard (1...8).contains(levels) else { throw PlatformError("\(.arms) takes 1 to 8 voucher levels") }
        store.progress.begin("generating units")
        let sample = SyntheticData.generate(setup, n: n, seed: seed, levels: levels)
        let counts = sample.arms.indices.map { a in sample.arm.lazy.filter { $0 == a }.count }
        if let empty = counts.firstIndex(of: 0) { throw PlatformError("arm \(sample.arms[empty]) got no units; simulate more units") }
        let share = 100.0 / Double(sample.arms.count)
        var definition = ExperimentCatalog.Definition(name: name, arms: sample.arms.map { Arm(name: $0, weight: share) })
        definition.seed = "simulate:\(name):\(seed)"
        definition.parameters.observational = setup.randomized ? nil : true
        definition.parameters.armCosts = sample.faceValue.isEmpty ? nil : sample.faceValue
        let unitNames = (0..<n).map { "\(name)-\($0 + 1)" }
        try store.connection.transaction { c in
            let experiment = try ExperimentCatalog.create(definition, in: Store(connection: c))
            if try FeatureStore.find(name, on: c) != nil { throw PlatformError("feature set \"\(name)\" already exists") }
            _ = try ExperimentCatalog.start(name, in: Store(connection: c))
            try FeatureStore.ensure(name, columns: (1...5).map { "x\($0)" }, on: c)
            try FeatureStore.write(name, units: unitNames, matrix: sample.features, on: c, progress: store.progress)
            try Upkeep.prepareBatch(on: c)
            try c.copyIn("COPY causeway_assigned (unit, experiment_id, phase, arm, held_out) FROM STDIN") { writer in
                store.progress.watch(writer, "sending assignments", rows: unitNames.count)
                for (i, unit) in unitNames.enumerated() { try writer.writeRow(unit, experiment.id, Int32(1), sample.arms[sample.arm[i]], false) }
            }
            try Upkeep.addAssignments(on: c)
            if let metric = try Metrics.find(outcome, on: c) {
                guard metric.kind != .ratio else { throw PlatformError("metric \"\(outcome)\" is a ratio metric") }
            } else {
                try c.execute("INSERT INTO metrics (name, kind) VALUES (\(outcome), 'mean')")
            }
            try Upkeep.prepareBatch(on: c)
            try c.copyIn("COPY causeway_outcome_batch (unit, metric, value) FROM STDIN") { writer in
                store.progress.watch(writer, "sending outcomes", rows: n)
                for (i, unit) in unitNames.enumerated() { try writer.writeRow(unit, outcome, sample.outcome[i]) }
            }
            try Upkeep.addOutcomes(on: c)
            try c.copyIn("COPY true_effects (unit, experiment_id, arm, tau) FROM STDIN") { writer in
                store.progress.watch(writer, "sending true effects", rows: n * sample.tau.count)
                for (i, unit) in unitNames.enumerated() {
                    for k in sample.tau.indices { try writer.writeRow(unit, experiment.id, sample.arms[k + 1], sample.tau[k][i]) }
                }
            }
            store.progress.begin("analyzing tables")
            for table in ["assignments", "outcomes", "true_effects"] { try c.execute("ANALYZE \(identifier: table)") }
        }
        return Result(experiment: name, units: n, arms: sample.arms, randomized: setup.randomized, outcome: outcome,
                      meanEffect: sample.tau.map { $0.reduce(0, +) / Double(n) }, armCosts: sample.faceValue)
    }
}
