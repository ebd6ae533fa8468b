/// A use case refused its input: a one-line message naming what is wrong (and the file, line and
/// field for files). Nothing was written.
public struct PlatformError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
