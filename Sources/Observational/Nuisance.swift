import Foundation
import Stats
import Uplift

/// How a nuisance function (a propensity, an outcome regression) is learned: logistic or linear
/// regression, or XGBoost (logistic loss for a 0/1 target, squared error otherwise).
public enum NuisanceModel: Sendable, Equatable {
    case linear
    case xgboost(XGBoostParameters)

    public var name: String {
        switch self {
        case .linear: "linear"
        case .xgboost: "xgboost"
        }
    }

    /// Fits on the rows `train` of `x` and predicts every row of `x` at `predict`.
    func fitPredict(target: [Double], binary: Bool, x: ColumnMatrix, names: [String], train: [Int], predict: [Int]) throws(ObservationalError) -> [Double] {
        switch self {
        case .linear:
            let xt = x.selecting(rows: train), yt = train.map { target[$0] }
            let xp = x.selecting(rows: predict).withIntercept()
            if binary {
                let fit = try LogisticRegression(y: yt, x: xt, names: names)
                return xp.times(fit.coefficients).map { 1 / (1 + exp(-$0)) }
            }
            let fit = try LinearRegression(y: yt, x: xt, names: names, leverages: false)
            return xp.times(fit.coefficients)
        case .xgboost(let parameters):
            var learner = XGBoostLearner(objective: binary ? .binaryLogistic : .squaredError, parameters: parameters)
            do {
                try learner.fit(features(x, rows: train), labels: train.map { Float(target[$0]) }, weights: nil)
                return try learner.predict(features(x, rows: predict)).map(Double.init)
            } catch {
                throw ObservationalError(.learner, "XGBoost failed: \(error.description)")
            }
        }
    }

    private func features(_ x: ColumnMatrix, rows: [Int]) -> FeatureMatrix {
        var values = [Float](repeating: 0, count: rows.count * x.columns)
        for j in 0..<x.columns {
            let base = j * x.rows
            for (r, i) in rows.enumerated() { values[r * x.columns + j] = Float(x.values[base + i]) }
        }
        return FeatureMatrix(values: values, rows: rows.count, columns: x.columns)
    }
}

/// K folds of about equal size in a seeded random order: fold[i] is unit i's fold.
public func crossFitFolds(count n: Int, folds k: Int, seed: UInt64) -> [Int] {
    var order = Array(0..<n)
    var rng = SplitMix64(seed: seed)
    for i in stride(from: n - 1, to: 0, by: -1) {
        let j = Int(rng.next() % UInt64(i + 1))
        order.swapAt(i, j)
    }
    var fold = [Int](repeating: 0, count: n)
    for (position, i) in order.enumerated() { fold[i] = position % k }
    return fold
}

/// Out-of-fold predictions of `target` for every unit: each fold predicted by a model fitted on the
/// other folds' units that pass `include` (e.g. only the treated, for μ₁).
func crossFitted(_ model: NuisanceModel, target: [Double], binary: Bool, data: StudyData, fold: [Int], folds k: Int,
                 include: (Int) -> Bool = { _ in true }) throws(ObservationalError) -> [Double] {
    var out = [Double](repeating: 0, count: data.count)
    for f in 0..<k {
        let train = (0..<data.count).filter { fold[$0] != f && include($0) }
        let held = (0..<data.count).filter { fold[$0] == f }
        guard !held.isEmpty else { continue }
        guard train.count > data.covariates.columns + 1 else {
            throw ObservationalError(.noOverlap, "a cross-fitting fold has too few units to fit a nuisance model (\(train.count))")
        }
        if binary {
            let positives = train.reduce(0) { $0 + (target[$1] == 1 ? 1 : 0) }
            guard positives > 0, positives < train.count else {
                throw ObservationalError(.noOverlap, "a cross-fitting fold has units of one arm only")
            }
        }
        let predicted = try model.fitPredict(target: target, binary: binary, x: data.covariates, names: data.names, train: train, predict: held)
        for (i, v) in zip(held, predicted) { out[i] = v }
    }
    return out
}
