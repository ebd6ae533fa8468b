import Foundation
import XCTest
@testable import Platform
import Postgres
import Randomization

/// What long commands report to the console's progress bar, against a real store.
final class WorkProgressTests: ExperimentTestCase {
    private final class Heard: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [WorkProgress.Snapshot] = []
        func append(_ s: WorkProgress.Snapshot) { lock.withLock { items.append(s) } }
        var all: [WorkProgress.Snapshot] { lock.withLock { items } }
        /// The phases in the order they began.
        var phases: [String] { all.reduce(into: []) { if $0.last != $1.phase { $0.append($1.phase) } } }
    }

    /// An import counts the bytes of its file read and sent (every 256 KiB of COPY and at the end) up to the file's size.
    func testAnImportCountsItsBytesUpToTheFileSize() throws {
        let heard = Heard()
        store.progress = WorkProgress { heard.append($0) }
        let rows = 40_000
        let text = "unit,value\n" + (0..<rows).map { "u\($0),\($0 % 7)" }.joined(separator: "\n") + "\n"
        let path = try csv(text)
        try Metrics.importOutcomes(path: path, metric: "revenue", kind: nil, in: store)
        let phase = "reading and sending rows", size = text.utf8.count
        let sending = heard.all.filter { $0.phase == phase }
        let waiting = "PostgreSQL is finishing"
        XCTAssertEqual(sending.first, WorkProgress.Snapshot(phase: phase, done: 0, total: size, afterwards: waiting))
        XCTAssertEqual(sending.last, WorkProgress.Snapshot(phase: phase, done: size, total: size, afterwards: waiting))
        XCTAssertGreaterThan(sending.count, 2, "40,000 rows are more than one 256 KiB batch: the count moves before the end")
        XCTAssertEqual(sending.map(\.done), sending.map(\.done).sorted(), "the count only grows")
    }

    /// `simulate units` names each phase, and each COPY reaches its total.
    func testSimulationPhases() throws {
        let heard = Heard()
        store.progress = WorkProgress { heard.append($0) }
        _ = try Simulation.run(setup: .binary, units: 3000, name: "sim", seed: 1, in: store)
        XCTAssertEqual(heard.phases, ["generating units", "sending features", "storing features", "sending assignments", "sending outcomes",
                                      "sending true effects", "analyzing tables"])
        for phase in ["sending features", "sending assignments", "sending outcomes", "sending true effects"] {
            let last = heard.all.last { $0.phase == phase }
            XCTAssertEqual(last?.done, 3000, phase)
            XCTAssertEqual(last?.total, 3000, phase)
        }
    }

    /// `report spillover`: each re-run of the design is a step, for the probabilities and for the tree.
    func testSpilloverCountsEveryReRunOfTheDesign() throws {
        let edges = FileManager.default.temporaryDirectory.appendingPathComponent("cw-\(UUID().uuidString)-edges.csv")
        let units = FileManager.default.temporaryDirectory.appendingPathComponent("cw-\(UUID().uuidString)-units.csv")
        files += [edges, units]
        _ = try GraphSimulation.writeGraph(nodes: 600, k: 6, rewire: 0.1, seed: 3, prefix: "g", edgesPath: edges.path, unitsPath: units.path)
        _ = try UnitImport.run(path: units.path, in: store)
        _ = try GraphStore.importCSV(path: edges.path, name: "social", directed: false, in: store)
        _ = try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        _ = try ExperimentCatalog.start("e", in: store)
        _ = try Assigner.assignBulk("e", unitsFile: units.path, in: store)
        try GraphSimulation.plantOutcomes(experiment: "e", graph: "social", metric: "y", base: 10, direct: 0.5, spillover: 1,
                                          noise: 1, seed: 2, in: store)
        let heard = Heard()
        store.progress = WorkProgress { heard.append($0) }
        var options = SpilloverReport.Options(graph: "social", metric: "y")
        options.replicates = 200
        _ = try SpilloverReport.run("e", options: options, in: store)
        XCTAssertEqual(heard.phases, ["re-running the design", "variance: dependent pairs", "spillover tree"])
        for phase in ["re-running the design", "spillover tree"] {
            let last = heard.all.last { $0.phase == phase }
            XCTAssertEqual(last?.done, last?.total, phase)
            XCTAssertEqual(last?.total, 200, phase)
        }
    }

    /// A silent store (scripts, tests) reports to nobody, and the import is the same.
    func testSilentIsTheDefault() throws {
        XCTAssertNil(store.progress.step)
        try Metrics.importOutcomes(path: try csv("unit,value\nu1,1\n"), metric: "m", kind: nil, in: store)
        XCTAssertEqual(try count("SELECT count(*) FROM outcomes"), 1)
    }
}
