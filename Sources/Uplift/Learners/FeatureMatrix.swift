/// A dense row-major matrix of `Float` features: one contiguous buffer, as XGBoost takes it.
public struct FeatureMatrix: Sendable, Equatable {
    public private(set) var values: [Float]
    public let rows: Int
    public let columns: Int

    public init(values: [Float], rows: Int, columns: Int) {
        precondition(values.count == rows * columns, "a \(rows)×\(columns) matrix needs \(rows * columns) values")
        self.values = values
        self.rows = rows
        self.columns = columns
    }

    public subscript(row: Int, column: Int) -> Float { values[row * columns + column] }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> FeatureMatrix {
        var out = [Float]()
        out.reserveCapacity(indices.count * columns)
        for i in indices { out.append(contentsOf: values[(i * columns)..<((i + 1) * columns)]) }
        return FeatureMatrix(values: out, rows: indices.count, columns: columns)
    }

    /// This matrix with extra columns appended to every row (for the S-learner's treatment indicators).
    public func appending(columns extra: Int, _ value: (_ row: Int, _ column: Int) -> Float) -> FeatureMatrix {
        var out = [Float]()
        out.reserveCapacity(rows * (columns + extra))
        for r in 0..<rows {
            out.append(contentsOf: values[(r * columns)..<((r + 1) * columns)])
            for c in 0..<extra { out.append(value(r, c)) }
        }
        return FeatureMatrix(values: out, rows: rows, columns: columns + extra)
    }

    /// The first row and column holding NaN or an infinity, if any.
    public func firstNonFinite() -> (row: Int, column: Int)? {
        for (i, v) in values.enumerated() where !v.isFinite { return (i / columns, i % columns) }
        return nil
    }
}

/// What a learner predicts.
public enum Objective: String, Sendable, Codable, CaseIterable {
    /// A probability in (0, 1), fitted by log loss.
    case binaryLogistic = "binary:logistic"
    /// A real value, fitted by squared error.
    case squaredError = "reg:squarederror"
}

/// A supervised learner: fit on features, labels and optional weights; predict.
public protocol Learner: Sendable {
    var objective: Objective { get }
    mutating func fit(_ x: FeatureMatrix, labels: [Float], weights: [Float]?) throws(UpliftError)
    func predict(_ x: FeatureMatrix) throws(UpliftError) -> [Float]
    /// The fitted model as bytes, for the registry.
    func serialized() throws(UpliftError) -> [UInt8]
}

/// How to build a fresh learner of one kind: meta-learners fit several.
public enum BaseLearner: Sendable, Equatable, Codable {
    case xgboost(XGBoostParameters)
    case linear(ridge: Double)

    public func make(_ objective: Objective) -> any Learner {
        switch self {
        case .xgboost(let p): XGBoostLearner(objective: objective, parameters: p)
        case .linear(let ridge): LinearLearner(objective: objective, ridge: ridge)
        }
    }

    public func load(_ objective: Objective, from bytes: [UInt8]) throws(UpliftError) -> any Learner {
        switch self {
        case .xgboost(let p): try XGBoostLearner(objective: objective, parameters: p, serialized: bytes)
        case .linear(let ridge): try LinearLearner(objective: objective, ridge: ridge, serialized: bytes)
        }
    }
}
