import Foundation
import Stats

/// What an estimate averages over: every unit, the treated, or the untreated.
public enum Estimand: String, Sendable, CaseIterable, Codable {
    case ate, att, atc
}

/// The data of an observational study: one row per unit, a treatment (0/1, or continuous for the
/// methods that allow it), an outcome and numeric covariates (categoricals already one-hot).
public struct StudyData: Sendable {
    public let covariates: ColumnMatrix
    public let names: [String]
    public let treatment: [Double]
    public let outcome: [Double]

    public init(covariates: ColumnMatrix, names: [String], treatment: [Double], outcome: [Double]) throws(ObservationalError) {
        guard names.count == covariates.columns else {
            throw ObservationalError(.invalidData, "\(names.count) covariate names for \(covariates.columns) columns")
        }
        guard treatment.count == covariates.rows, outcome.count == covariates.rows else {
            throw ObservationalError(.invalidData, "treatment, outcome and covariates differ in length")
        }
        for (j, name) in names.enumerated() where !covariates.column(j).allSatisfy(\.isFinite) {
            throw ObservationalError(.invalidData, "covariate \(name) has a value that is not a finite number")
        }
        guard treatment.allSatisfy(\.isFinite) else { throw ObservationalError(.invalidData, "the treatment has a value that is not a finite number") }
        guard outcome.allSatisfy(\.isFinite) else { throw ObservationalError(.invalidData, "the outcome has a value that is not a finite number") }
        self.covariates = covariates
        self.names = names
        self.treatment = treatment
        self.outcome = outcome
    }

    public var count: Int { treatment.count }

    /// Whether every treatment value is 0 or 1.
    public var isBinary: Bool { treatment.allSatisfy { $0 == 0 || $0 == 1 } }

    public var treatedCount: Int { treatment.reduce(0) { $0 + ($1 == 1 ? 1 : 0) } }

    /// Throws unless the treatment is 0/1 with both arms present: the check of every binary method.
    public func requireBinary(for method: String) throws(ObservationalError) {
        guard isBinary else {
            throw ObservationalError(.invalidData, "method \(method) needs a treatment of 0 or 1; this one takes other values (use dml or ols)")
        }
        let t = treatedCount
        guard t > 0, t < count else { throw ObservationalError(.noOverlap, "every unit is in one arm; method \(method) needs both") }
    }

    /// The same study on the rows at `indices`.
    public func subset(_ indices: [Int]) -> StudyData {
        try! StudyData(covariates: covariates.selecting(rows: indices), names: names,
                       treatment: indices.map { treatment[$0] }, outcome: indices.map { outcome[$0] })
    }

    /// The same study with another treatment, outcome or an extra covariate.
    public func replacing(treatment: [Double]? = nil, outcome: [Double]? = nil, addingCovariate extra: (name: String, values: [Double])? = nil) -> StudyData {
        var x = covariates, names = names
        if let extra {
            x = ColumnMatrix(rows: x.rows, columns: x.columns + 1, values: x.values + extra.values)
            names.append(extra.name)
        }
        return try! StudyData(covariates: x, names: names, treatment: treatment ?? self.treatment, outcome: outcome ?? self.outcome)
    }
}

/// One method's answer: the estimate, its standard error, a 95% interval and a two-sided p-value
/// (normal, or Student's t when `degreesOfFreedom` is set), and how many units it used.
public struct Estimate: Sendable, Equatable, Codable {
    public let method: String
    public let estimand: Estimand
    public let value: Double
    public let standardError: Double
    public let degreesOfFreedom: Int?
    public let units: Int
    /// Method-specific facts worth printing (e.g. "classical SE 0.0233", "trimmed 12 units").
    public let notes: [String]

    public init(method: String, estimand: Estimand, value: Double, standardError: Double, degreesOfFreedom: Int? = nil, units: Int, notes: [String] = []) {
        self.method = method
        self.estimand = estimand
        self.value = value
        self.standardError = standardError
        self.degreesOfFreedom = degreesOfFreedom
        self.units = units
        self.notes = notes
    }

    public var statistic: Double { value / standardError }

    private var critical: Double {
        if let dof = degreesOfFreedom { return StudentT(degreesOfFreedom: Double(dof)).quantile(0.975) }
        return Normal.quantile(0.975)
    }

    public var lower: Double { value - critical * standardError }
    public var upper: Double { value + critical * standardError }

    public var pValue: Double {
        if let dof = degreesOfFreedom { return StudentT(degreesOfFreedom: Double(dof)).twoSidedP(statistic) }
        return erfc(abs(statistic) / 2.0.squareRoot())
    }
}
