import Platform

/// Errors in the console's words: a use case's parameters become the flags that set them.
enum ErrorText {
    static func describe(_ error: any Error) -> String {
        if let e = error as? PlatformError { return e.message.render(flag) }
        return String(describing: error)
    }

    /// The console flag for a use case's parameter: its name after two dashes.
    static func flag(_ parameter: PlatformError.Parameter) -> String { "--" + parameter.name }
}
