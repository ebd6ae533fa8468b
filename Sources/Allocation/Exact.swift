import Dispatch

/// The whole problem handed to GLPK: one variable per (unit, arm) option, at most one option per
/// unit, every coupling row. For small instances (`allocate --exact`) and to check the decomposition.
public enum ExactSolver {
    public static let maximumOptions = 20_000

    static func build(_ p: AllocationProblem, integer: Bool, limit: Int = maximumOptions) throws(AllocationError) -> (GLPKProblem, [(unit: Int, arm: Int, column: Int32)]) {
        let K = p.arms
        var options: [(unit: Int, arm: Int, column: Int32)] = []
        let lp = GLPKProblem(maximize: true)
        for i in 0..<p.units {
            for k in 0..<K where p.value[i * K + k] > -Double.infinity {
                options.append((i, k, lp.addColumn(lower: 0, upper: 1, objective: p.value[i * K + k], binary: integer)))
            }
        }
        guard options.count <= limit else {
            throw AllocationError(.tooLarge, "the exact solver handles up to \(maximumOptions) unit-arm options; this policy has \(options.count)")
        }
        var byUnit = [[Int32]](repeating: [], count: p.units)
        for o in options { byUnit[o.unit].append(o.column) }
        for columns in byUnit where !columns.isEmpty { lp.addRow(columns: columns, values: Array(repeating: 1, count: columns.count), upper: 1) }
        for row in p.rows {
            var columns: [Int32] = [], values: [Double] = []
            for o in options {
                let a = p.use(row, unit: o.unit, arm: o.arm)
                if a != 0 { columns.append(o.column); values.append(a) }
            }
            if !columns.isEmpty { lp.addRow(columns: columns, values: values, upper: p.limit(row)) }
        }
        return (lp, options)
    }

    /// The LP relaxation's optimum (GLPK's dual simplex on the full LP). `limit` caps the number of
    /// options; the benchmark lifts it to time GLPK on the naive formulation.
    public static func lpOptimum(_ p: AllocationProblem, limit: Int = maximumOptions) throws(AllocationError) -> Double {
        guard p.units > 0 else { return 0 }
        let (lp, options) = try build(p, integer: false, limit: limit)
        return options.isEmpty ? 0 : try lp.simplex()
    }

    /// The integer optimum and an allocation reaching it.
    public static func solve(_ p: AllocationProblem) throws(AllocationError) -> Allocation {
        let started = DispatchTime.now().uptimeNanoseconds
        var choice = [Int32](repeating: -1, count: p.units)
        guard p.units > 0 else {
            return Allocation(choice: choice, certificate: Certificate(method: "GLPK MIP", primal: 0, lpOptimum: 0, dualBound: 0, iterations: 0,
                                                                       seconds: 0, multipliers: []))
        }
        let lpValue = try lpOptimum(p)
        let (mip, options) = try build(p, integer: true)
        var value = 0.0
        if !options.isEmpty {
            value = try mip.integerOptimum()
            for o in options where mip.integerColumn(o.column) > 0.5 { choice[o.unit] = Int32(o.arm) }
        }
        return Allocation(choice: choice, certificate: Certificate(
            method: "GLPK branch-and-cut on the full problem (exact)", primal: value, lpOptimum: lpValue, dualBound: value, iterations: 0,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, multipliers: []))
    }
}
