import Stats
import Foundation

/// Which meta-learner turns outcome models into uplift.
public enum MetaLearnerKind: String, Sendable, Codable, CaseIterable {
    /// One model on features plus arm indicators; uplift = f(x, arm) − f(x, control).
    case s
    /// One outcome model per arm; uplift = μ_arm(x) − μ_control(x).
    case t
    /// Künzel et al.: imputed effects regressed per group and combined with the propensity.
    case x
    /// Doubly robust: cross-fitted AIPW pseudo-outcomes regressed on the features.
    case dr
}

/// Units to learn from: features, outcome and arm (0 is control, 1…K the treatments).
public struct TrainingSet: Sendable {
    public var features: FeatureMatrix
    public var outcome: [Float]
    public var arm: [Int]

    public init(features: FeatureMatrix, outcome: [Float], arm: [Int]) {
        precondition(features.rows == outcome.count && outcome.count == arm.count)
        self.features = features
        self.outcome = outcome
        self.arm = arm
    }

    public func subset(_ rows: [Int]) -> TrainingSet {
        TrainingSet(features: features.rows(rows), outcome: rows.map { outcome[$0] }, arm: rows.map { arm[$0] })
    }
}

/// Where treatment probabilities come from.
public enum PropensitySource: Sendable, Equatable, Codable {
    /// A randomized design: each arm's share of units.
    case design(shares: [Double])
    /// Observational data: a logistic model per arm against control, clipped to [clip, 1 − clip].
    case estimated(clip: Double)
}

/// A fitted uplift model: its description (what the registry stores as JSON) and its component learners.
public struct UpliftModel: Sendable {
    public struct Description: Sendable, Codable, Equatable {
        public var kind: MetaLearnerKind
        public var base: BaseLearner
        public var outcome: Objective
        /// Arms including control (index 0).
        public var arms: Int
        public var features: Int
        public var propensity: PropensitySource
        /// Per treatment arm, the isotonic map applied to raw uplift (nil without calibration).
        public var calibration: [Isotonic]?
        /// Per treatment arm, how many training propensities were clipped.
        public var clipped: [Int]
        public var folds: Int
        public var seed: UInt64
    }

    public var description: Description
    /// Named components: `s`, `mu/K`, `tau0/K`, `tau1/K`, `dr/K`, `e/K`.
    public var components: [String: any Learner]
    /// While fitting: called after each base learner is fitted (a progress hook).
    private var fitted: (@Sendable () -> Void)?

    // MARK: Fitting

    public static func fit(_ data: TrainingSet, kind: MetaLearnerKind, base: BaseLearner, outcome: Objective, arms: Int,
                           propensity: PropensitySource, calibrate: Bool = false, folds: Int = 3,
                           seed: UInt64 = 0, fitted: (@Sendable () -> Void)? = nil) throws(UpliftError) -> UpliftModel {
        guard arms >= 2 else { throw UpliftError("uplift needs a control and at least one treatment arm") }
        try validate(data, arms: arms, outcome: outcome)
        var training = data
        var calibrationRows: [Int] = []
        if calibrate {
            // A fifth of the units, chosen by a seeded shuffle, is kept back to calibrate on.
            var order = Array(0..<data.features.rows)
            var g = SplitMix64(seed: seed ^ 0xCA11_B8A7E)
            order.shuffle(using: &g)
            let cut = data.features.rows / 5
            calibrationRows = Array(order[..<cut]).sorted()
            training = data.subset(Array(order[cut...]).sorted())
            try validate(training, arms: arms, outcome: outcome)
        }
        var model = UpliftModel(description: Description(kind: kind, base: base, outcome: outcome, arms: arms,
                                                         features: data.features.columns, propensity: propensity,
                                                         calibration: nil, clipped: Array(repeating: 0, count: arms - 1),
                                                         folds: folds, seed: seed),
                                components: [:])
        model.fitted = fitted
        try model.fitComponents(training)
        if calibrate {
            let held = data.subset(calibrationRows)
            var maps: [Isotonic] = []
            let raw = try model.predictRaw(held.features)
            // The pseudo-outcomes' outcome models, fitted on the training units: the T- and
            // X-learners keep exactly those (same data, same learner, same seed), so they are
            // reused; the others fit μ0 once for every arm and μ_arm per arm.
            var outcomeModels: [Int: any Learner] = [:]
            for a in 0..<arms { outcomeModels[a] = model.components["mu/\(a)"] }
            if outcomeModels[0] == nil { outcomeModels[0] = try model.fitOutcome(training, arm: 0) }
            for a in 1..<arms {
                let pair = held.arm.indices.filter { held.arm[$0] == 0 || held.arm[$0] == a }
                let pseudo = try model.pseudoOutcomes(nuisanceFrom: training, on: held.subset(pair), arm: a, outcomeModels: outcomeModels)
                maps.append(Isotonic.fit(x: pair.map { Double(raw[a - 1][$0]) }, y: pseudo))
            }
            model.description.calibration = maps
        }
        model.fitted = nil
        return model
    }

    static func validate(_ data: TrainingSet, arms: Int, outcome: Objective) throws(UpliftError) {
        if let bad = data.features.firstNonFinite() {
            throw UpliftError("feature \(bad.column + 1) of row \(bad.row + 1) is not a finite number")
        }
        if let bad = data.outcome.firstIndex(where: { !$0.isFinite }) { throw UpliftError("the outcome of row \(bad + 1) is not a finite number") }
        var counts = [Int](repeating: 0, count: arms), positives = [Int](repeating: 0, count: arms)
        for (i, a) in data.arm.enumerated() {
            guard (0..<arms).contains(a) else { throw UpliftError("row \(i + 1) has arm \(a), outside 0…\(arms - 1)") }
            counts[a] += 1
            if data.outcome[i] != 0 { positives[a] += 1 }
            if outcome == .binaryLogistic, data.outcome[i] != 0, data.outcome[i] != 1 {
                throw UpliftError("a binary outcome must be 0 or 1; row \(i + 1) has \(data.outcome[i])")
            }
        }
        if let empty = counts.firstIndex(where: { $0 < 2 }) { throw UpliftError("arm \(empty) has fewer than two rows") }
        if outcome == .binaryLogistic {
            for a in 0..<arms where positives[a] == 0 || positives[a] == counts[a] {
                throw UpliftError("the outcome has a single class (all \(positives[a] == 0 ? 0 : 1)) in arm \(a)")
            }
        }
    }

    private mutating func fitComponents(_ data: TrainingSet) throws(UpliftError) {
        let d = description
        switch d.kind {
        case .s:
            let x = data.features.appending(columns: d.arms - 1) { r, c in data.arm[r] == c + 1 ? 1 : 0 }
            components["s"] = try trained(d.base.make(d.outcome), x, labels: data.outcome)
        case .t:
            for a in 0..<d.arms { components["mu/\(a)"] = try fitOutcome(data, arm: a) }
        case .x:
            let mu0 = try fitOutcome(data, arm: 0)
            components["mu/0"] = mu0
            for a in 1..<d.arms {
                let mu = try fitOutcome(data, arm: a)
                components["mu/\(a)"] = mu
                let treated = data.subset(rows(data, arm: a)), control = data.subset(rows(data, arm: 0))
                // Imputed effects: D1 = Y − μ0(x) on the treated, D0 = μ_a(x) − Y on control.
                let d1 = zip(treated.outcome, try mu0.predict(treated.features)).map { $0 - $1 }
                let d0 = zip(try mu.predict(control.features), control.outcome).map { $0 - $1 }
                components["tau1/\(a)"] = try trained(d.base.make(.squaredError), treated.features, labels: d1)
                components["tau0/\(a)"] = try trained(d.base.make(.squaredError), control.features, labels: d0)
                try fitPropensity(data, arm: a)
            }
        case .dr:
            for a in 1..<d.arms {
                let pairRows = data.arm.indices.filter { data.arm[$0] == 0 || data.arm[$0] == a }
                let pair = data.subset(pairRows)
                var pseudo = [Double](repeating: 0, count: pair.arm.count)
                var order = Array(pair.arm.indices)
                var g = SplitMix64(seed: d.seed &+ UInt64(a))
                order.shuffle(using: &g)
                for k in 0..<d.folds {
                    let held = order.enumerated().filter { $0.offset % d.folds == k }.map(\.element).sorted()
                    let rest = order.enumerated().filter { $0.offset % d.folds != k }.map(\.element).sorted()
                    let values = try pseudoOutcomes(nuisanceFrom: pair.subset(rest), on: pair.subset(held), arm: a)
                    for (i, row) in held.enumerated() { pseudo[row] = values[i] }
                }
                components["dr/\(a)"] = try trained(d.base.make(.squaredError), pair.features, labels: pseudo.map(Float.init))
                try fitPropensity(data, arm: a)
            }
        }
    }

    private func rows(_ data: TrainingSet, arm: Int) -> [Int] { data.arm.indices.filter { data.arm[$0] == arm } }

    /// `learner` fitted (every base learner of a model is fitted here, so progress counts them all).
    private func trained<L: Learner>(_ learner: L, _ x: FeatureMatrix, labels: [Float]) throws(UpliftError) -> L {
        var learner = learner
        try learner.fit(x, labels: labels, weights: nil)
        fitted?()
        return learner
    }

    func fitOutcome(_ data: TrainingSet, arm: Int) throws(UpliftError) -> any Learner {
        let part = data.subset(rows(data, arm: arm))
        return try trained(description.base.make(description.outcome), part.features, labels: part.outcome)
    }

    /// P(arm | x) fitted on the control and `arm` rows of `data` (logistic), with those rows' features.
    private func propensityModel(_ data: TrainingSet, arm: Int) throws(UpliftError) -> (learner: LinearLearner, features: FeatureMatrix) {
        let pair = data.subset(data.arm.indices.filter { data.arm[$0] == 0 || data.arm[$0] == arm })
        return (try trained(LinearLearner(objective: .binaryLogistic), pair.features, labels: pair.arm.map { $0 == arm ? 1 : 0 }), pair.features)
    }

    /// Fits `e/arm` when propensities are estimated (design propensities need nothing).
    private mutating func fitPropensity(_ data: TrainingSet, arm: Int) throws(UpliftError) {
        guard case .estimated(let clip) = description.propensity else { return }
        let (learner, features) = try propensityModel(data, arm: arm)
        components["e/\(arm)"] = learner
        description.clipped[arm - 1] = try learner.predict(features).filter { Double($0) < clip || Double($0) > 1 - clip }.count
    }

    /// P(arm | x, arm ∈ {control, arm}) for each row.
    func propensity(_ x: FeatureMatrix, arm: Int, learner: (any Learner)? = nil) throws(UpliftError) -> [Double] {
        switch description.propensity {
        case .design(let shares):
            let e = shares[arm] / (shares[arm] + shares[0])
            return Array(repeating: e, count: x.rows)
        case .estimated(let clip):
            guard let model = learner ?? components["e/\(arm)"] else { throw UpliftError(.invalidModel, "the model has no propensity for arm \(arm)") }
            return try model.predict(x).map { min(max(Double($0), clip), 1 - clip) }
        }
    }

    /// AIPW pseudo-outcomes for control-vs-`arm` rows of `target`, with μ0, μ_arm (and e when
    /// estimated) fitted on `source`:  μ1 − μ0 + W(Y − μ1)/e − (1 − W)(Y − μ0)/(1 − e).
    /// `outcomeModels[k]`, when given, is μk already fitted on `source`.
    func pseudoOutcomes(nuisanceFrom source: TrainingSet, on target: TrainingSet, arm: Int,
                        outcomeModels: [Int: any Learner] = [:]) throws(UpliftError) -> [Double] {
        func outcomeModel(_ k: Int) throws(UpliftError) -> any Learner {
            if let kept = outcomeModels[k] { return kept }
            return try fitOutcome(source, arm: k)
        }
        let mu0 = try outcomeModel(0), mu1 = try outcomeModel(arm)
        var eLearner: (any Learner)? = nil
        if case .estimated = description.propensity { eLearner = try propensityModel(source, arm: arm).learner }
        let m0 = try mu0.predict(target.features), m1 = try mu1.predict(target.features)
        let e = try propensity(target.features, arm: arm, learner: eLearner)
        return target.arm.indices.map { i in
            let y = Double(target.outcome[i]), w = target.arm[i] == arm ? 1.0 : 0.0
            let a = Double(m1[i]), b = Double(m0[i])
            return a - b + w * (y - a) / e[i] - (1 - w) * (y - b) / (1 - e[i])
        }
    }

    // MARK: Prediction

    /// Uplift of each treatment arm against control: `result[arm − 1][row]`, calibrated when the model was.
    public func predict(_ x: FeatureMatrix) throws(UpliftError) -> [[Float]] {
        calibrated(try predictRaw(x))
    }

    private func calibrated(_ raw: [[Float]]) -> [[Float]] {
        guard let maps = description.calibration else { return raw }
        return raw.enumerated().map { k, values in values.map { Float(maps[k](Double($0))) } }
    }

    /// Uplift and response together; the T-learner's response models give both in one pass.
    public func predictWithResponse(_ x: FeatureMatrix) throws(UpliftError) -> (uplift: [[Float]], response: [[Float]]?) {
        guard description.kind == .t else { return (try predict(x), try predictResponse(x)) }
        let response = try predictResponse(x) ?? []
        let base = try predictControl(x)
        return (calibrated(response.map { zip($0, base).map { $0 - $1 } }), response)
    }

    /// Predicted outcome under each treatment arm, `result[arm − 1][row]` (for a binary outcome,
    /// the conversion probability if treated), from the outcome models the S-, T- and X-learners
    /// keep; nil for DR, whose outcome models are cross-fitted and not kept.
    public func predictResponse(_ x: FeatureMatrix) throws(UpliftError) -> [[Float]]? {
        guard x.columns == description.features else {
            throw UpliftError("the model takes \(description.features) features; the data have \(x.columns)")
        }
        if let bad = x.firstNonFinite() { throw UpliftError("feature \(bad.column + 1) of row \(bad.row + 1) is not a finite number") }
        let d = description
        switch d.kind {
        case .s:
            guard let s = components["s"] else { throw UpliftError(.invalidModel, "the model has no component s") }
            var out: [[Float]] = []
            for a in 1..<d.arms { out.append(try s.predict(x.appending(columns: d.arms - 1) { _, c in c + 1 == a ? 1 : 0 })) }
            return out
        case .t, .x:
            var out: [[Float]] = []
            for a in 1..<d.arms {
                guard let mu = components["mu/\(a)"] else { throw UpliftError(.invalidModel, "the model has no component mu/\(a)") }
                out.append(try mu.predict(x))
            }
            return out
        case .dr:
            return nil
        }
    }

    /// μ0's predictions (T-learner).
    private func predictControl(_ x: FeatureMatrix) throws(UpliftError) -> [Float] {
        guard let mu0 = components["mu/0"] else { throw UpliftError(.invalidModel, "the model has no component mu/0") }
        return try mu0.predict(x)
    }

    func predictRaw(_ x: FeatureMatrix) throws(UpliftError) -> [[Float]] {
        guard x.columns == description.features else {
            throw UpliftError("the model takes \(description.features) features; the data have \(x.columns)")
        }
        if let bad = x.firstNonFinite() { throw UpliftError("feature \(bad.column + 1) of row \(bad.row + 1) is not a finite number") }
        let d = description
        func component(_ name: String) throws(UpliftError) -> any Learner {
            guard let c = components[name] else { throw UpliftError(.invalidModel, "the model has no component \(name)") }
            return c
        }
        switch d.kind {
        case .s:
            let s = try component("s")
            let base = try s.predict(x.appending(columns: d.arms - 1) { _, _ in 0 })
            var out: [[Float]] = []
            for a in 1..<d.arms {
                let treated = try s.predict(x.appending(columns: d.arms - 1) { _, c in c + 1 == a ? 1 : 0 })
                out.append(zip(treated, base).map { $0 - $1 })
            }
            return out
        case .t:
            let base = try component("mu/0").predict(x)
            var out: [[Float]] = []
            for a in 1..<d.arms { out.append(zip(try component("mu/\(a)").predict(x), base).map { $0 - $1 }) }
            return out
        case .x:
            var out: [[Float]] = []
            for a in 1..<d.arms {
                let t1 = try component("tau1/\(a)").predict(x), t0 = try component("tau0/\(a)").predict(x)
                let e = try propensity(x, arm: a)
                out.append((0..<x.rows).map { Float(e[$0] * Double(t0[$0]) + (1 - e[$0]) * Double(t1[$0])) })
            }
            return out
        case .dr:
            var out: [[Float]] = []
            for a in 1..<d.arms { out.append(try component("dr/\(a)").predict(x)) }
            return out
        }
    }

    // MARK: Serialization

    /// The description as JSON and every component as bytes, in name order.
    public func serialized() throws(UpliftError) -> (description: Data, components: [(name: String, bytes: [UInt8])]) {
        let json: Data
        do { json = try JSONEncoder().encode(description) } catch { throw UpliftError(.invalidModel, "cannot encode the model: \(error)") }
        var parts: [(String, [UInt8])] = []
        for name in components.keys.sorted() { parts.append((name, try components[name]!.serialized())) }
        return (json, parts)
    }

    /// Restores a model from `serialized()` output.
    public init(description json: Data, components parts: [(name: String, bytes: [UInt8])]) throws(UpliftError) {
        do { description = try JSONDecoder().decode(Description.self, from: json) } catch { throw UpliftError(.invalidModel, "cannot read the model: \(error)") }
        components = [:]
        for (name, bytes) in parts {
            let objective: Objective = name.hasPrefix("mu/") || name == "s" ? description.outcome
                : name.hasPrefix("e/") ? .binaryLogistic : .squaredError
            components[name] = name.hasPrefix("e/")
                ? try LinearLearner(objective: .binaryLogistic, ridge: 1e-3, serialized: bytes)
                : try description.base.load(objective, from: bytes)
        }
    }

    init(description: Description, components: [String: any Learner]) {
        self.description = description
        self.components = components
    }
}

