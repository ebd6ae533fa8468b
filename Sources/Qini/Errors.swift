import Stats

/// Errors from evaluating uplift scores: which failure (`code`) and the words for it.
public typealias QiniError = CodedError<QiniErrorCode>

public enum QiniErrorCode: String, Sendable {
    /// Columns of different lengths, non-finite values, arms out of range.
    case invalidData = "invalid_data"
    /// No treated or no control units, too few to bootstrap.
    case insufficientData = "insufficient_data"
    /// A parameter (k, bins, replicates, costs) outside its bounds.
    case invalidParameter = "invalid_parameter"
}
