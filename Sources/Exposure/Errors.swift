/// Errors from building graphs or estimating exposure effects: which failure (`code`) and the words.
public struct ExposureError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// Edges, conditions, outcomes or probabilities that do not fit together or are not finite.
        case invalidData = "invalid_data"
        /// An exposure mapping, floor or tree setting outside its bounds.
        case invalidParameter = "invalid_parameter"
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
