import Foundation

/// The built `causeway` executable, run as a child process with chosen input and environment.
public enum CausewayBinary {
    /// `.build/<config>/causeway`, beside the test bundle.
    public static func url() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("causeway"),
            Bundle.main.bundleURL.appendingPathComponent("causeway"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("causeway"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestSupportError("the causeway binary was not built; run `swift build` before `swift test` (tools/test does)")
        }
        return found
    }

    /// What one run printed and how it ended.
    public struct Run {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `causeway` with `arguments`, feeding `input` on standard input.
    ///
    /// `environment` replaces the test's environment for the child when given; by default the
    /// child sees the test's environment (with `DATABASE_URL` from tools/test).
    public static func run(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil,
                           workingDirectory: URL? = nil) throws -> Run {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let stdinPipe = Pipe()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cw-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdinPipe
        try process.run()
        if let input { stdinPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try stdinPipe.fileHandleForWriting.close()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Run(status: process.terminationStatus,
                   stdout: try String(contentsOf: outURL, encoding: .utf8),
                   stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    /// The test's environment without any database setting, so the child uses the embedded default.
    public static func environmentWithoutDatabase() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        for key in environment.keys where key.hasPrefix("PG") { environment[key] = nil }
        return environment
    }
}
