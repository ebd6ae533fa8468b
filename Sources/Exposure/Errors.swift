import Stats

/// Errors from building graphs or estimating exposure effects: which failure (`code`) and the words.
public typealias ExposureError = CodedError<ExposureErrorCode>

public enum ExposureErrorCode: String, Sendable {
    /// Edges, conditions, outcomes or probabilities that do not fit together or are not finite.
    case invalidData = "invalid_data"
    /// An exposure mapping, floor or tree setting outside its bounds.
    case invalidParameter = "invalid_parameter"
}
