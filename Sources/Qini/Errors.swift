/// Errors from evaluating uplift scores: which failure (`code`) and the words for it.
public struct QiniError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// Columns of different lengths, non-finite values, arms out of range.
        case invalidData = "invalid_data"
        /// No treated or no control units, too few to bootstrap.
        case insufficientData = "insufficient_data"
        /// A parameter (k, bins, replicates, costs) outside its bounds.
        case invalidParameter = "invalid_parameter"
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
