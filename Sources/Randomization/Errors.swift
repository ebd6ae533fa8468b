/// A design or input the randomization rules refuse: which rule (`code`) and the words for it.
public struct RandomizationError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// An arm list or weights that are not acceptable.
        case invalidArms = "invalid_arms"
        /// Coverage, a layer range or a holdout share outside its bounds.
        case outOfRange = "out_of_range"
        /// Switchback windows, burn-in, carryover or periods that do not fit together.
        case invalidSchedule = "invalid_schedule"
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
