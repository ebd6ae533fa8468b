import Allocation
import Foundation
import Postgres

extension AllocationRun {
    /// The largest uplift or cost a scores file may give: sums over billions of units and products
    /// with any value per conversion stay finite.
    static let maximumMagnitude = 1e15

    /// Long-format scores: `unit,arm,uplift[,cost][,response]`, one row per unit and arm.
    public static func scores(csv path: String) throws -> Scores {
        let file = try CSVReader(path: path, required: ["unit", "arm", "uplift"])
        let u = file.column("unit")!, a = file.column("arm")!, v = file.column("uplift")! // never nil: required
        let c = file.column("cost"), r = file.column("response")
        var unitIndex: [String: Int] = [:], armIndex: [String: Int] = [:]
        var units: [String] = [], arms: [String] = []
        var entries: [(unit: Int32, arm: Int32, line: Int32, uplift: Double, cost: Double, response: Double)] = []
        while try file.next() {
            guard !file.isEmpty(u), !file.isEmpty(a) else { throw PlatformError(.invalidFile, "\(path):\(file.line): unit and arm must not be empty") }
            let unit = try file.unit(u), arm = try file.string(a)
            let uplift = try file.number(v)
            // Values whose sums and products overflow a double would leave the certificate infinite.
            guard abs(uplift) <= maximumMagnitude else {
                throw file.error(v, "is \(file.excerpt(v)); allocations take values within ±1e15")
            }
            var cost = Double.nan, response = Double.nan
            if let c, !file.isEmpty(c) {
                guard let value = DecimalNumber.parse(file.bytes(c)), value >= 0 else {
                    throw file.error(c, "is \"\(file.excerpt(c))\"; costs must be numbers at least 0")
                }
                guard value <= maximumMagnitude else {
                    throw file.error(c, "is \(file.excerpt(c)); allocations take values within ±1e15")
                }
                cost = value
            }
            if let r { response = try file.number(r) }
            let i = unitIndex[unit] ?? { units.append(unit); unitIndex[unit] = units.count - 1; return units.count - 1 }()
            let k = armIndex[arm] ?? { arms.append(arm); armIndex[arm] = arms.count - 1; return arms.count - 1 }()
            entries.append((Int32(i), Int32(k), Int32(truncatingIfNeeded: file.line), uplift, cost, response))
        }
        var uplift = [[Double]](repeating: [Double](repeating: .nan, count: units.count), count: arms.count)
        var cost = uplift, response = uplift
        // A unit and arm listed twice: its uplift (always finite) is already set, found without a set of pairs.
        for e in entries {
            let (i, k) = (Int(e.unit), Int(e.arm))
            guard uplift[k][i].isNaN else {
                throw PlatformError(.invalidFile, "\(path):\(e.line): unit \"\(units[i])\", arm \"\(arms[k])\" is listed twice")
            }
            uplift[k][i] = e.uplift; cost[k][i] = e.cost; response[k][i] = e.response
        }
        for k in arms.indices {
            if let i = uplift[k].firstIndex(where: { $0.isNaN }) {
                throw PlatformError("\(path): unit \"\(units[i])\" has no uplift for arm \"\(arms[k])\"")
            }
        }
        return Scores(units: units, arms: arms, uplift: uplift, cost: cost, response: r == nil ? nil : response, trueUplift: nil)
    }

    /// The scores a model wrote with `model score`, read by binary COPY; with the true effects when
    /// the model learned from simulated units.
    public static func scores(model name: String, on c: Connection) throws -> Scores {
        let (model, _) = try ModelRegistry.load(name, on: c)
        let (id, experiment) = try c.query("SELECT id, experiment_id FROM models WHERE name = \(name)").decodeOne((Int32, Int64).self)
        let arms = Array(model.arms.dropFirst())
        let position = armIndex(arms)
        var index: [String: Int] = [:], units: [String] = []
        var uplift = [[Double]](repeating: [], count: arms.count)
        var response = uplift, anyResponse = false
        func unit(_ text: String) -> Int {
            if let i = index[text] { return i }
            units.append(text); index[text] = units.count - 1
            for a in arms.indices { uplift[a].append(.nan); response[a].append(.nan) }
            return units.count - 1
        }
        try c.copyOutBinaryRows("COPY (SELECT unit, arm, uplift, response FROM scores WHERE model_id = \(id)) TO STDOUT (FORMAT binary)") { row in
            var i = -1, k = -1
            try row.forEachField { field in
                switch field.index {
                case 0: i = unit(try field.string())
                case 1: k = position[try field.string()] ?? -1
                case 2: if k >= 0 { uplift[k][i] = try field.double() }
                default: if k >= 0, field.bytes != nil { response[k][i] = try field.double(); anyResponse = true }
                }
            }
        }
        guard !units.isEmpty else { throw PlatformError("model \"\(name)\" has no scores yet; run model score \(name)") }
        var truth = [[Double]](repeating: [Double](repeating: .nan, count: units.count), count: arms.count), anyTruth = false
        try c.copyOutBinaryRows("COPY (SELECT unit, arm, tau FROM true_effects WHERE experiment_id = \(experiment)) TO STDOUT (FORMAT binary)") { row in
            var i: Int? = nil, k: Int? = nil
            try row.forEachField { field in
                switch field.index {
                case 0: i = index[try field.string()]
                case 1: k = position[try field.string()]
                default: if let i, let k { truth[k][i] = try field.double(); anyTruth = true }
                }
            }
        }
        let complete = anyTruth && !truth.contains { $0.contains { $0.isNaN } }
        return Scores(units: units, arms: arms, uplift: uplift, cost: uplift.map { $0.map { _ in .nan } },
                      response: anyResponse ? response : nil, trueUplift: complete ? truth : nil)
    }
}
