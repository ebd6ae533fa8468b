import Foundation
import XCTest
@testable import Platform

/// The two-core reader of large plain-number files: the same numbers as the careful reader, and nil
/// (so the careful reader runs and names the problem) for anything else.
final class ParallelNumericCSVTests: XCTestCase {
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cw-par-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testReadsColumnsInFileOrderAcrossParts() throws {
        var text = "a,b,c\n"
        for i in 0..<5000 { text += "\(i),\(Double(i) / 7),-\(i)e-3\(i % 3 == 0 ? "\r" : "")\n" }
        text += "5000,1,2" // no final line break
        let path = try file(text)
        for parts in [1, 2, 3, 7] {
            let columns = try XCTUnwrap(ParallelNumericCSV.read(path: path, dataStart: 6, fields: 3, wanted: [2, 0], parts: parts))
            XCTAssertEqual(columns[1].count, 5001)
            XCTAssertEqual(columns[1], (0...5000).map(Double.init), "parts \(parts)")
            XCTAssertEqual(columns[0][1234], -1.234, "parts \(parts)")
            XCTAssertEqual(columns[0][5000], 2)
        }
    }

    func testAnythingUnusualFallsBack() throws {
        let bad = ["a,b\n1,2\n3,\"4\"\n", "a,b\n1,2\n3,x\n", "a,b\n1,2\n3\n", "a,b\n1,2\n\n3,4\n", "a,b\n1,2\n3,4,5\n", "a,b\n1,2\n3,NaN\n", "a,b\n1,1e400\n"]
        for text in bad {
            XCTAssertNil(ParallelNumericCSV.read(path: try file(text), dataStart: 4, fields: 2, wanted: [0, 1]), text)
        }
    }

    /// A large scores file with one bad value near its end: the careful reader's error, file and line.
    func testQiniScoresBadValueInALargeFileIsNamed() throws {
        var text = "outcome,treatment,score\n"
        text.reserveCapacity(20 << 20)
        let rows = 800_000
        for i in 0..<rows { text += "\(i % 5 == 0 || (i % 2 == 1 && i % 7 == 0) ? 1 : 0),\(i % 2),0.\(100_000 + (i * 7919) % 899_999)\(i % 97)\n" }
        let good = try file(text)
        let result = try QiniReport.scoresFile(good, options: .init())
        XCTAssertEqual(result.evaluations.first?.units, rows)
        // The same file through the careful reader only (a quote in the header's column name forces it).
        let careful = try file(text.replacingOccurrences(of: "outcome,treatment,score", with: "outcome,treatment,\"score\""))
        let slow = try QiniReport.scoresFile(careful, options: .init())
        XCTAssertEqual(slow.evaluations.first?.qiniAUCScore, result.evaluations.first?.qiniAUCScore)
        XCTAssertEqual(slow.evaluations.first?.causalmlQiniScore, result.evaluations.first?.causalmlQiniScore)
        let broken = try file(text + "1,0,oops\n")
        XCTAssertThrowsError(try QiniReport.scoresFile(broken, options: .init())) { error in
            XCTAssertEqual("\(error)", "\(broken):\(rows + 2): field \"score\" is \"oops\", not a finite number")
        }
    }
}
