import Foundation

/// Where the console writes: standard output for results, standard error for errors and notes.
public protocol ConsoleIO: AnyObject {
    func out(_ text: String)
    func err(_ text: String)
}

/// The process's standard output and error. Write failures (a closed pipe) are ignored.
public final class StandardIO: ConsoleIO {
    public init() {}
    public func out(_ text: String) { try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8)) }
    public func err(_ text: String) { try? FileHandle.standardError.write(contentsOf: Data(text.utf8)) }
}

/// Collects output in memory, for tests.
public final class CapturedIO: ConsoleIO {
    public private(set) var stdout = ""
    public private(set) var stderr = ""
    public init() {}
    public func out(_ text: String) { stdout += text }
    public func err(_ text: String) { stderr += text }
}
