import Postgres
import Randomization
import Stats

extension LiftReport {
    /// Switchbacks: outcome rows (with `ts` and `region`) are grouped by region and window in SQL,
    /// split at the burn-in; Swift drops the burn-in of every window whose arm switched, takes each
    /// window's mean and regresses it on the arm with region and time-of-day fixed effects,
    /// clustering by region-day. Each non-control arm is compared with control on their windows.
    static func switchback(_ e: Experiment, options: Options, in store: Store) throws -> Result {
        guard options.cuped == nil else { throw PlatformError("\(.cuped) applies to user splits") }
        let c = store.connection
        let design = try e.switchbackDesign()
        let regions = e.parameters.regions ?? []
        var rows: [Row] = []
        var timelines: [Timeline] = []
        var pending: [(index: Int, p: Double)] = []
        var loaded: [String: Metrics.Metric] = [:]
        for name in options.metrics {
            guard let metric = try Metrics.find(name, on: c) else { throw PlatformError("metric \"\(name)\" does not exist") }
            loaded[name] = metric
            guard metric.kind != .ratio else { throw PlatformError("ratio metrics in switchbacks are not built yet") }
            guard metric.cap == nil else {
                throw PlatformError("metric \"\(name)\" is capped, and capping applies to a unit's total: a switchback's values are window means of outcome rows; report an uncapped metric")
            }
            let (windows, observed) = try windowMeans(name, of: e, design: design, regions: regions, on: c)
            let lastPeriod = design.periods ?? observed.compactMap { $0.keys.max() }.max() ?? 0
            timelines.append(Timeline(metric: name, regions: regions, start: design.start, windowSeconds: design.windowSeconds,
                                      windows: regions.enumerated().map { r, region in
                                          (1...max(lastPeriod, 1)).map { ($0, design.armIndex(region: region, period: $0), observed[r][$0]) }
                                      }))
            let control = windows.filter { $0.arm == 0 }.map(\.window)
            let controlMean = control.isEmpty ? .nan : control.reduce(0) { $0 + $1.value } / Double(control.count)
            rows.append(Row(metric: metric, arm: e.arms[0].name, units: control.count, mean: controlMean))
            // The optimal design's windows and blocks do not depend on the arm compared: built once per metric.
            let blocked = horvitzThompsonRegions(design, regions: regions, observed: observed, last: lastPeriod)
            for index in 1..<e.arms.count {
                let mine = windows.filter { $0.arm == index }.map(\.window)
                let mean = mine.isEmpty ? .nan : mine.reduce(0) { $0 + $1.value } / Double(mine.count)
                let effect: Effect?
                if design.carryover != nil {
                    effect = mine.isEmpty || control.isEmpty ? nil : blocked.flatMap {
                        SwitchbackHorvitzThompson.estimate($0, treated: index, control: 0, probabilities: Arm.fractions(design.arms),
                                                           confidence: options.confidence)
                    }
                } else {
                    effect = SwitchbackRegression.estimate(control + mine, confidence: options.confidence)
                }
                if let effect { pending.append((rows.count, effect.pValue)) }
                rows.append(Row(metric: metric, arm: e.arms[index].name, units: mine.count, mean: mean, absolute: effect))
            }
        }
        correct(&rows, pending: pending, options: options, guardrails: loaded)
        let method: String
        if let m = design.carryover {
            method = "Horvitz–Thompson estimator of Bojinov, Simchi-Levi & Zhao for the optimal design (carryover \(m)): "
                + "effect of an arm held for \(m + 1) windows, window means centred per region, conservative variance, "
                + "normal interval; "
                + "burn-in after each switch excluded; units = windows"
        } else {
            method = "regression of window means on the arm with region and time-of-day fixed effects, CR1 errors by region-day; "
                + "burn-in after each switch excluded; units = windows"
        }
        return Result(experiment: e, rows: rows, sampleRatio: nil, unassignedUnits: [], correction: options.correction,
                      cuped: nil, method: method, timelines: timelines)
    }

    /// A switchback metric's windows: each observed window's mean after the burn-in (dropped only
    /// where the arm switched) with its arm, region, time-of-day slot and region-day cluster, and
    /// per region the mean of every observed period. Grouped by region and window in SQL.
    static func windowMeans(_ name: String, of e: Experiment, design: SwitchbackDesign, regions: [String], on c: Connection) throws
        -> (windows: [(arm: Int, window: SwitchbackRegression.Window)], observed: [[Int: Double]]) {
        let parts = try c.query("""
            WITH o AS (SELECT region, extract(epoch FROM ts)::float8 - \(design.start) AS t, value FROM outcomes
                       WHERE metric = \(name) AND ts IS NOT NULL AND region = ANY(\(regions)) AND ts >= to_timestamp(\(Double(design.start))))
            SELECT region, floor(t / \(Double(design.windowSeconds)))::bigint AS w,
                   t - floor(t / \(Double(design.windowSeconds))) * \(Double(design.windowSeconds)) < \(Double(design.burnInSeconds)) AS early,
                   count(*)::float8, sum(value)
            FROM o GROUP BY 1, 2, 3
            """).decode((String, Int64, Bool, Double, Double).self)
        guard !parts.isEmpty else {
            throw PlatformError("metric \"\(name)\" has no outcomes with ts and a region of \(e.name) since its first period")
        }
        struct Cell { var count = 0.0, sum = 0.0 }
        var cells: [String: [Int64: (early: Cell, late: Cell)]] = [:]
        for (region, w, early, count, sum) in parts {
            var entry = cells[region]?[w] ?? (Cell(), Cell())
            if early { entry.early.count += count; entry.early.sum += sum } else { entry.late.count += count; entry.late.sum += sum }
            cells[region, default: [:]][w] = entry
        }
        var windows: [(arm: Int, window: SwitchbackRegression.Window)] = []
        var observed: [[Int: Double]] = Array(repeating: [:], count: regions.count) // period → window mean
        for (r, region) in regions.enumerated() {
            for (w, entry) in cells[region] ?? [:] {
                let period = Int(w) + 1
                if let limit = design.periods, period > limit { continue }
                let arm = design.armIndex(region: region, period: period)
                let switched = period == 1 || design.armIndex(region: region, period: period - 1) != arm
                let count = entry.late.count + (switched ? 0 : entry.early.count)
                let sum = entry.late.sum + (switched ? 0 : entry.early.sum)
                guard count > 0 else { continue }
                observed[r][period] = sum / count
                let start = design.start + w * design.windowSeconds
                let slot = Int(((start % 86_400) + 86_400) % 86_400 / design.windowSeconds)
                let day = Int(SwitchbackDesign.floorDiv(start, 86_400))
                windows.append((arm, .init(value: sum / count, treated: arm != 0, region: r, slot: slot,
                                          cluster: r * 10_000_000 + day)))
            }
        }
        return (windows, observed)
    }

    /// The optimal design's data for the Horvitz–Thompson estimator: each region's randomization
    /// blocks with their draws, and every observed window after the first m periods with the blocks
    /// its last m + 1 windows touch; window means centred per region. Nil without a carryover order
    /// or with no period after the first m.
    static func horvitzThompsonRegions(_ design: SwitchbackDesign, regions: [String], observed: [[Int: Double]],
                                       last: Int) -> [SwitchbackHorvitzThompson.Region]? {
        guard let m = design.carryover, last > m else { return nil }
        let points = design.randomizationPoints(upTo: last)
        let ordinal = Dictionary(uniqueKeysWithValues: points.enumerated().map { ($0.element, $0.offset) })
        func block(_ period: Int) -> Int { ordinal[design.randomizationPeriod(for: period)]! } // never nil: points cover 1…last
        let data = regions.enumerated().map { r, region in
            SwitchbackHorvitzThompson.Region(
                blockArms: points.map { design.armIndex(region: region, period: $0) },
                periods: ((m + 1)...last).compactMap { t in
                    observed[r][t].map { .init(value: $0, blocks: block(t - m)...block(t)) }
                })
        }
        return SwitchbackHorvitzThompson.centred(data)
    }
}
