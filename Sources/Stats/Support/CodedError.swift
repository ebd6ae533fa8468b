/// A module's error: which rule or check failed (`code`, the module's own enum) and the words for
/// it. Modules whose errors carry nothing more name it for themselves
/// (`public typealias QiniError = CodedError<QiniErrorCode>`).
public struct CodedError<Code: Sendable & Equatable>: Error, CustomStringConvertible, Sendable, Equatable {
    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
