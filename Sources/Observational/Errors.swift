import Stats

/// Which check an observational study failed.
public enum ObservationalErrorCode: String, Sendable, Equatable {
    /// Rows, columns or lengths that do not fit together; a treatment that is not 0/1 for a binary method.
    case invalidData = "invalid_data"
    /// A covariate that is constant or a linear combination of others.
    case collinear
    /// The propensity model separates the arms perfectly, or its fit does not converge.
    case separation
    /// No unit left in one arm (after trimming, a caliper, or a subset).
    case noOverlap = "no_overlap"
    /// An option that does not apply (an estimand a method cannot give, a bad parameter).
    case invalidOption = "invalid_option"
    /// XGBoost failed.
    case learner
}

public typealias ObservationalError = CodedError<ObservationalErrorCode>
