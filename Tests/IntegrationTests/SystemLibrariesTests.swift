import CGLPK
import CXGBoost
import XCTest

/// tools/setup installs GLPK and XGBoost; these link against them and check the versions the design assumes.
final class SystemLibrariesTests: XCTestCase {
    func testGLPKIsVersion5() throws {
        let version = String(cString: glp_version())
        XCTAssertTrue(version.hasPrefix("5."), version)
    }

    func testXGBoostIsVersion1_7() {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        XGBoostVersion(&major, &minor, &patch)
        XCTAssertEqual(major, 1)
        XCTAssertEqual(minor, 7)
    }
}
