import CXGBoost

/// XGBoost's training parameters as Causeway exposes them.
public struct XGBoostParameters: Sendable, Equatable, Codable {
    public var rounds = 100
    public var maxDepth = 6
    public var learningRate = 0.3
    public var subsample = 1.0
    public var columnSample = 1.0
    public var minChildWeight = 1.0
    public var lambda = 1.0
    public var treeMethod = "hist"
    public var threads = 2
    public var seed = 0

    public init(rounds: Int = 100, maxDepth: Int = 6, learningRate: Double = 0.3, subsample: Double = 1.0, threads: Int = 2, seed: Int = 0) {
        self.rounds = rounds
        self.maxDepth = maxDepth
        self.learningRate = learningRate
        self.subsample = subsample
        self.threads = threads
        self.seed = seed
    }

    /// XGBoost's parameter names and values, in a fixed order.
    var pairs: [(String, String)] {
        [("tree_method", treeMethod), ("max_depth", "\(maxDepth)"), ("eta", "\(learningRate)"), ("subsample", "\(subsample)"),
         ("colsample_bytree", "\(columnSample)"), ("min_child_weight", "\(minChildWeight)"), ("lambda", "\(lambda)"),
         ("nthread", "\(threads)"), ("seed", "\(seed)"), ("verbosity", "0")]
    }
}

/// Turns a nonzero XGBoost return code into an error with XGBoost's own message.
@inline(__always)
func check(_ code: Int32, _ what: String) throws(UpliftError) {
    guard code != 0 else { return }
    let message = XGBGetLastError().map { String(cString: $0) } ?? "unknown error"
    throw UpliftError(.xgboost, "XGBoost \(what) failed: \(message)", xgboostCode: code)
}

/// One owned DMatrix handle, freed with its owner.
final class DMatrix {
    let handle: DMatrixHandle

    init(_ x: FeatureMatrix, labels: [Float]? = nil, weights: [Float]? = nil, threads: Int) throws(UpliftError) {
        var out: DMatrixHandle?
        let code = x.values.withUnsafeBufferPointer {
            XGDMatrixCreateFromMat_omp($0.baseAddress, bst_ulong(x.rows), bst_ulong(x.columns), Float.nan, &out, Int32(threads))
        }
        try check(code, "creating a matrix")
        guard let out else { throw UpliftError("XGBoost returned no matrix") }
        handle = out
        if let labels { try set("label", labels) }
        if let weights { try set("weight", weights) }
    }

    private func set(_ field: String, _ values: [Float]) throws(UpliftError) {
        let code = values.withUnsafeBufferPointer { XGDMatrixSetFloatInfo(handle, field, $0.baseAddress, bst_ulong(values.count)) }
        try check(code, "setting \(field)")
    }

    deinit { XGDMatrixFree(handle) }
}

/// One owned Booster handle, freed with its owner.
final class Booster {
    let handle: BoosterHandle

    init(training: DMatrix?) throws(UpliftError) {
        var out: BoosterHandle?
        var code: Int32
        if let training {
            var matrices: [DMatrixHandle?] = [training.handle]
            code = XGBoosterCreate(&matrices, 1, &out)
        } else {
            code = XGBoosterCreate(nil, 0, &out)
        }
        try check(code, "creating a booster")
        guard let out else { throw UpliftError("XGBoost returned no booster") }
        handle = out
    }

    func set(_ name: String, _ value: String) throws(UpliftError) {
        try check(XGBoosterSetParam(handle, name, value), "setting \(name)")
    }

    deinit { XGBoosterFree(handle) }
}

/// Gradient-boosted trees through XGBoost's C API (`Float` at the boundary).
///
/// Not thread-safe for concurrent use of one instance; each meta-learner component owns its own.
public struct XGBoostLearner: Learner, @unchecked Sendable {
    public let objective: Objective
    public let parameters: XGBoostParameters
    private var booster: Booster?

    public init(objective: Objective, parameters: XGBoostParameters = .init()) {
        self.objective = objective
        self.parameters = parameters
    }

    /// A learner restored from `serialized()` bytes (XGBoost's UBJSON model format).
    public init(objective: Objective, parameters: XGBoostParameters, serialized bytes: [UInt8]) throws(UpliftError) {
        self.objective = objective
        self.parameters = parameters
        let booster = try Booster(training: nil)
        let code = bytes.withUnsafeBytes { XGBoosterLoadModelFromBuffer(booster.handle, $0.baseAddress, bst_ulong(bytes.count)) }
        try check(code, "loading a model")
        try booster.set("nthread", "\(parameters.threads)")
        self.booster = booster
    }

    public mutating func fit(_ x: FeatureMatrix, labels: [Float], weights: [Float]?) throws(UpliftError) {
        guard x.rows == labels.count, weights.map({ $0.count == x.rows }) ?? true else {
            throw UpliftError("features, labels and weights differ in length")
        }
        guard x.rows > 0 else { throw UpliftError("no rows to fit") }
        let data = try DMatrix(x, labels: labels, weights: weights, threads: parameters.threads)
        let booster = try Booster(training: data)
        try booster.set("objective", objective.rawValue)
        for (name, value) in parameters.pairs { try booster.set(name, value) }
        for round in 0..<parameters.rounds {
            try check(XGBoosterUpdateOneIter(booster.handle, Int32(round), data.handle), "boosting round \(round)")
        }
        self.booster = booster
    }

    /// Predicts in place from the dense buffer (no DMatrix copy), with the model's thread count.
    public func predict(_ x: FeatureMatrix) throws(UpliftError) -> [Float] {
        guard let booster else { throw UpliftError("predict before fit") }
        guard x.rows > 0 else { return [] }
        var shape: UnsafePointer<bst_ulong>?
        var dimension: bst_ulong = 0
        var result: UnsafePointer<Float>?
        let config = #"{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false, "missing": NaN, "#
            + #""cache_id": 0, "nthread": \#(parameters.threads)}"#
        let code = x.values.withUnsafeBufferPointer { buffer -> Int32 in
            let address = UInt(bitPattern: buffer.baseAddress)
            let interface = #"{"data": [\#(address), true], "shape": [\#(x.rows), \#(x.columns)], "typestr": "<f4", "version": 3}"#
            return XGBoosterPredictFromDense(booster.handle, interface, config, nil, &shape, &dimension, &result)
        }
        try check(code, "predicting")
        guard let result else { throw UpliftError("XGBoost returned no predictions") }
        return Array(UnsafeBufferPointer(start: result, count: x.rows))
    }

    public func serialized() throws(UpliftError) -> [UInt8] {
        guard let booster else { throw UpliftError("serialize before fit") }
        var length: bst_ulong = 0
        var bytes: UnsafePointer<CChar>?
        try check(XGBoosterSaveModelToBuffer(booster.handle, #"{"format": "ubj"}"#, &length, &bytes), "saving a model")
        guard let bytes else { throw UpliftError("XGBoost returned no model bytes") }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: Int(length)) { Array(UnsafeBufferPointer(start: $0, count: Int(length))) }
    }
}
