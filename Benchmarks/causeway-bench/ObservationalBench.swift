import Foundation
import Observational
import Stats
import Uplift

/// `causeway-bench observational-coverage [REPS [UNITS]]` (issue 20): the confounded design with
/// nonlinear nuisances (`ConfoundedDesign`, τ = 1), REPS replications of UNITS units: each
/// estimator's mean, bias, RMSE, 95% interval coverage and mean SE over the spread.
/// `causeway-bench observational-speed DIR [UNITS]`: aipw and dml on UNITS (1,000,000) × 20
/// covariates with 5 folds and XGBoost nuisances of 100 rounds, and match on 100,000 units (20,000
/// treated) × 10; writes the data to DIR for the Python yardsticks.
enum ObservationalBench {
    static func coverage(replications: Int, units: Int) throws {
        let boosted = NuisanceModel.xgboost(XGBoostParameters(rounds: 100, maxDepth: 4, learningRate: 0.1, threads: 2, seed: 0))
        let estimators: [(String, (StudyData, [Double]) throws -> Observational.Estimate?)] = [
            ("difference in means", { d, _ in
                let t = d.treatment.indices.filter { d.treatment[$0] == 1 }, c = d.treatment.indices.filter { d.treatment[$0] == 0 }
                func ms(_ r: [Int]) -> (Double, Double) {
                    let m = r.reduce(0) { $0 + d.outcome[$1] } / Double(r.count)
                    return (m, r.reduce(0) { $0 + (d.outcome[$1] - m) * (d.outcome[$1] - m) } / Double(r.count - 1))
                }
                let (m1, v1) = ms(t), (m0, v0) = ms(c)
                return Observational.Estimate(method: "naive", estimand: .ate, value: m1 - m0, standardError: (v1 / Double(t.count) + v0 / Double(c.count)).squareRoot(), units: d.count)
            }),
            ("ols (linear in x)", { d, _ in try RegressionAdjustment().estimate(d).estimate }),
            ("ipw (logistic, linear in x)", { d, _ in try InverseProbabilityWeighting().estimate(d, propensity: Propensity(d)).estimate }),
            ("ipw (true propensity)", { d, e in try InverseProbabilityWeighting().estimate(d, propensity: Propensity(scores: e)).estimate }),
            ("aipw (xgboost, 5 folds)", { d, _ in try AugmentedIPW(propensityModel: boosted, outcomeModel: boosted).estimate(d) }),
            ("dml (xgboost, 5 folds)", { d, _ in try DoubleML(outcomeModel: boosted, treatmentModel: boosted).estimate(d) }),
        ]
        var values = [[Double]](repeating: [], count: estimators.count), ses = values
        var covered = [Int](repeating: 0, count: estimators.count)
        var times = [Double](repeating: 0, count: estimators.count)
        let design = ConfoundedDesign(effect: 1)
        for r in 0..<replications {
            let (data, e) = design.sample(units, seed: 90_000 + UInt64(r))
            for (k, (_, run)) in estimators.enumerated() {
                var result: Observational.Estimate?
                times[k] += try seconds { result = try run(data, e) }
                guard let result else { continue }
                values[k].append(result.value)
                ses[k].append(result.standardError)
                if result.lower <= 1 && result.upper >= 1 { covered[k] += 1 }
            }
        }
        print("estimator\treplications\tunits\tmean\tbias\trmse\tcoverage_95\tmean_se_over_sd\tseconds_per_fit")
        for (k, (name, _)) in estimators.enumerated() {
            let n = Double(values[k].count)
            let mean = values[k].reduce(0, +) / n
            let sd = (values[k].reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
            let rmse = (values[k].reduce(0) { $0 + ($1 - 1) * ($1 - 1) } / n).squareRoot()
            let meanSE = ses[k].reduce(0, +) / n
            print(String(format: "%@\t%d\t%d\t%.4f\t%+.4f\t%.4f\t%.3f\t%.3f\t%.3f", name, values[k].count, units, mean, mean - 1, rmse,
                         Double(covered[k]) / n, meanSE / sd, times[k] / n))
        }
    }
}

extension ObservationalBench {
    /// A design with 20 covariates for the speed runs: the first five as `ConfoundedDesign`, the rest
    /// noise that enters the outcome weakly. Written as CSV (t, y, x1…x20) for the yardsticks.
    /// With `treated`, exactly that many units are treated: those with the largest logit plus
    /// logistic noise (confounded as before).
    static func wideData(units n: Int, covariates p: Int, seed: UInt64, treated: Int? = nil) -> StudyData {
        var g = SplitMix64(seed: seed)
        var columns = [[Double]](repeating: [Double](repeating: 0, count: n), count: p)
        var t = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<p { columns[j][i] = g.normal() }
            let x = { (j: Int) in columns[j][i] }
            let logit = -0.3 + 0.8 * sin(Double.pi * x(0) / 2) + 0.6 * (x(1) * x(1) - 1) + 0.4 * x(2)
            let u = g.uniform()
            t[i] = treated == nil ? (u < 1 / (1 + exp(-logit)) ? 1 : 0) : logit + log(u / (1 - u))
            var mean = 2 * sin(Double.pi * x(0) / 2) + (x(1) * x(1) - 1) + 0.5 * x(2) * x(3) + 0.5 * x(4)
            for j in 5..<p { mean += 0.05 * x(j) }
            y[i] = mean + g.normal()
        }
        if let treated {
            let cutoff = t.sorted(by: >)[treated - 1]
            t = t.map { $0 >= cutoff ? 1 : 0 }
        }
        for i in 0..<n { y[i] += t[i] }
        return try! StudyData(covariates: ColumnMatrix(rows: n, columns: columns), names: (1...p).map { "x\($0)" }, treatment: t, outcome: y)
    }

    static func write(_ d: StudyData, to path: String) throws {
        var text = "t,y," + d.names.joined(separator: ",") + "\n"
        text.reserveCapacity(d.count * (d.names.count + 2) * 12)
        for i in 0..<d.count {
            text += "\(Int(d.treatment[i])),\(d.outcome[i])"
            for j in 0..<d.covariates.columns { text += ",\(d.covariates[i, j])" }
            text += "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func speed(directory: String, units: Int) throws {
        let boosted = NuisanceModel.xgboost(XGBoostParameters(rounds: 100, maxDepth: 4, learningRate: 0.1, threads: 2, seed: 0))
        let wide = wideData(units: units, covariates: 20, seed: 20261207)
        try write(wide, to: "\(directory)/observational-wide.csv")
        print("what\tunits\tcovariates\testimate\tse\tseconds")
        var e: Observational.Estimate!
        var time = try seconds { e = try AugmentedIPW(propensityModel: boosted, outcomeModel: boosted).estimate(wide) }
        print(String(format: "causeway aipw (5 folds, xgboost 100 rounds, depth 4)\t%d\t20\t%.4f\t%.4f\t%.1f", units, e.value, e.standardError, time))
        time = try seconds { e = try DoubleML(outcomeModel: boosted, treatmentModel: boosted).estimate(wide) }
        print(String(format: "causeway dml (5 folds, xgboost 100 rounds, depth 4)\t%d\t20\t%.4f\t%.4f\t%.1f", units, e.value, e.standardError, time))
        let matchData = wideData(units: 100_000, covariates: 10, seed: 20261208, treated: 20_000)
        try write(matchData, to: "\(directory)/observational-match.csv")
        var r: NearestNeighbourMatching.Result!
        time = try seconds { r = try NearestNeighbourMatching(estimand: .att).estimate(matchData) }
        print(String(format: "causeway match ATT (1 match, inverse variance, %d treated)\t100000\t10\t%.4f\t%.4f\t%.1f", matchData.treatedCount, r.estimate.value, r.estimate.standardError, time))
        time = try seconds { r = try NearestNeighbourMatching(estimand: .ate).estimate(matchData) }
        print(String(format: "causeway match ATE (1 match, inverse variance)\t100000\t10\t%.4f\t%.4f\t%.1f", r.estimate.value, r.estimate.standardError, time))
    }
}
