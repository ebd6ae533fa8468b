import Foundation
import XCTest
import _TestSupport

/// The console on a real pseudo-terminal (util-linux `script`): prompts, continuation and history.
final class TerminalTests: XCTestCase {
    func testPromptContinuationAndHistory() throws {
        let history = FileManager.default.temporaryDirectory.appendingPathComponent("cw-history-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: history) }
        var environment = ProcessInfo.processInfo.environment
        environment["CAUSEWAY_HISTORY"] = history.path
        let binary = try CausewayBinary.url().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\(binary) --db postgresql://nobody@127.0.0.1:1/none", "/dev/null"]
        process.environment = environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data("\\echo hi there\ndb \\\nstatus --bogus\n\\q\n".utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .replacingOccurrences(of: "\r", with: "")
        process.waitUntilExit()

        XCTAssertTrue(text.contains("causeway=> \\echo hi there\nhi there\n"), text)
        XCTAssertTrue(text.contains("causeway=> db \\\ncauseway-> status --bogus\nERROR: Unknown option '--bogus'\n"), text)
        XCTAssertEqual(process.terminationStatus, 0, "as psql, an interactive session that ends normally exits 0")
        let saved = try String(contentsOf: history, encoding: .utf8)
        XCTAssertTrue(saved.contains("hi"), saved)
        XCTAssertTrue(saved.contains("status"), saved)
    }
}
