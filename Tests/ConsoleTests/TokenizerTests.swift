import XCTest
import Console

final class TokenizerTests: XCTestCase {
    func testSplitsLikeAShell() throws {
        XCTAssertEqual(try Tokenizer.words("experiment create  checkout --arms control:50,treatment:50"),
                       ["experiment", "create", "checkout", "--arms", "control:50,treatment:50"])
        XCTAssertEqual(try Tokenizer.words(#"a 'b c' "d \"e\" \\f" g\ h"#), ["a", "b c", #"d "e" \f"#, "g h"])
        XCTAssertEqual(try Tokenizer.words(#"'x'"y"z"#), ["xyz"], "adjacent quoted parts form one word")
        XCTAssertEqual(try Tokenizer.words(#"'' """#), ["", ""], "empty quotes give empty words")
        XCTAssertEqual(try Tokenizer.words("   \t "), [])
    }

    func testCommentsStartAtAWord() throws {
        XCTAssertEqual(try Tokenizer.words("db status # the rest is ignored"), ["db", "status"])
        XCTAssertEqual(try Tokenizer.words("# whole line"), [])
        XCTAssertEqual(try Tokenizer.words("a#b '#c' \\#d"), ["a#b", "#c", "#d"])
    }

    func testHostileTextStaysOneLiteralWord() throws {
        XCTAssertEqual(try Tokenizer.words(#"assign "x'); DROP TABLE experiments; --" u1"#),
                       ["assign", "x'); DROP TABLE experiments; --", "u1"])
    }

    func testMetaCommandNameIsRaw() throws {
        XCTAssertEqual(try Tokenizer.words(#"\format json"#), [#"\format"#, "json"])
        XCTAssertEqual(try Tokenizer.words(#"  \echo 'hello world' x"#), [#"\echo"#, "hello world", "x"])
        XCTAssertEqual(try Tokenizer.words(#"\?"#), [#"\?"#])
    }

    func testUnterminatedQuoteFails() {
        XCTAssertThrowsError(try Tokenizer.words("a 'b")) { XCTAssertEqual("\($0)", "unterminated quoted string") }
        XCTAssertThrowsError(try Tokenizer.words(#"a "b\""#))
    }

    func testContinuationIsAnOddTrailingBackslash() {
        XCTAssertTrue(Tokenizer.continues(#"db \"#))
        XCTAssertFalse(Tokenizer.continues(#"db \\"#))
        XCTAssertTrue(Tokenizer.continues(#"db \\\"#))
        XCTAssertFalse(Tokenizer.continues("db"))
    }
}
