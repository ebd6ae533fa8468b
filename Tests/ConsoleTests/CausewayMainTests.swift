import XCTest
@testable import Console

final class CausewayMainTests: XCTestCase {
    func testSplitsOptionsFromTheTrailingCommand() {
        XCTAssertEqual(CausewayOptions.split(["--db", "x", "--format", "json", "db", "status", "--help"]).command,
                       ["db", "status", "--help"])
        XCTAssertEqual(CausewayOptions.split(["-c", "db status", "--on-error-stop"]).command, [])
        XCTAssertEqual(CausewayOptions.split(["-f", "-", "--", "db", "migrate"]).options, ["-f", "-"])
        XCTAssertEqual(CausewayOptions.split(["--", "db", "migrate"]).command, ["db", "migrate"])
    }

    func testBadFlagIsOneLineAnd64() {
        let io = CapturedIO()
        XCTAssertEqual(CausewayMain.run(["--bogus"], io: io), 64)
        XCTAssertEqual(io.stderr.filter { $0 == "\n" }.count, 1, io.stderr)
        XCTAssertTrue(io.stderr.contains("--bogus"))
        let io2 = CapturedIO()
        XCTAssertEqual(CausewayMain.run(["--format", "xml", "-c", "\\echo x"], io: io2), 64)
        XCTAssertEqual(CausewayMain.run(["-c"], io: CapturedIO()), 64)
    }

    func testQuotedWordsSurviveTheTokenizer() throws {
        for word in ["plain", "with space", "it's", "x'); DROP TABLE experiments; --", "#hash", "back\\slash", ""] {
            XCTAssertEqual(try Tokenizer.words(CausewayMain.quoteWord(word)), [word])
        }
    }

    func testMissingScriptFileFails() {
        let io = CapturedIO()
        XCTAssertEqual(CausewayMain.run(["-f", "/nonexistent/script.cw"], io: io), 1)
        XCTAssertTrue(io.stderr.contains("/nonexistent/script.cw"), io.stderr)
    }
}
