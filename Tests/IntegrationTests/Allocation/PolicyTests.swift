import Foundation
import XCTest
import Allocation
@testable import Platform

final class PolicyTests: XCTestCase {
    var files: [URL] = []
    override func tearDown() { for f in files { try? FileManager.default.removeItem(at: f) } }

    func write(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString).toml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        files.append(url)
        return url.path
    }

    /// The repository's policies/ folder, from this file's path.
    var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("policies")
    }

    func testTheWorkedExamples() throws {
        let conversions = try Policy.load(path: examples.appendingPathComponent("voucher-conversions.toml").path)
        XCTAssertEqual(conversions.objective, .maxIncrementalConversions)
        XCTAssertEqual(conversions.arms.map(\.name), ["voucher5", "voucher10", "voucher15"])
        XCTAssertEqual(conversions.arms.map(\.cost), [2, 4.5, 7.5], "face value × redemption")
        XCTAssertEqual(conversions.arms.map(\.cap), [nil, 300, 100])
        let profit = try Policy.load(path: examples.appendingPathComponent("voucher-profit-segments.toml").path)
        XCTAssertEqual(profit.segments, [.init(attribute: "country", value: "FR", budget: 1500), .init(attribute: "country", value: "DE", budget: 2000)])
        XCTAssertEqual(profit.valuePerConversion, 40)
        XCTAssertEqual(profit.minIncrementalROI, 0.5)
        XCTAssertEqual(profit.excludeUnits, ["vip-0001", "vip-0002"])
        XCTAssertTrue(profit.explanation().contains("segment country = FR: budget 1500"))
    }

    func testBadPoliciesAreNamed() throws {
        let base = "name = \"p\"\nobjective = \"max_incremental_conversions\"\n"
        let arm = "\n[[arms]]\nname = \"a\"\ncost = 2\n"
        for (text, message) in [
            (base + "budget = -1\n" + arm, "budget is -1.0; it must be at least 0"),
            (base + "budget = 10\nbudgte = 3\n" + arm, "unknown key \"budgte\""),
            (base + "budget = 10\n", "[[arms]] is missing: name at least one arm"),
            (base + "budget = 10\n\n[[arms]]\nname = \"a\"\ncost = -2\n", "arm \"a\" costs -2.0; costs must be at least 0"),
            (base + "budget = 1\n" + arm, "the policy is infeasible: every arm costs more than the budget (1.0); the cheapest costs 2.0"),
            ("name = \"p\"\nobjective = \"max_incremental_profit\"\nbudget = 10\n" + arm, "max_incremental_profit needs value_per_conversion"),
            (base + "budget = 10\n" + arm + "\n[[arms]]\nname = \"a\"\ncost = 3\n", "arm \"a\" is listed twice"),
            (base + "budget = 10\n\n[[arms]]\nname = \"b\"\ncost = 3\nface_value = 10\n",
             "arm \"b\" gives cost and face_value or redemption; give cost, or face_value and redemption, not both"),
            (base + "budget = 10\nvalue_per_conversion = 1e300\n" + arm, "value_per_conversion is 1e+300; values above 1e15 overflow the allocation's sums"),
            (base + "budget = 10\n" + arm + "\n[[segments]]\nattribute = \"country\"\nvalue = \"FR\"\nbudget = 1\n"
                + "\n[[segments]]\nattribute = \"city\"\nvalue = \"Lyon\"\nbudget = 1\n",
             "segments must all use one attribute, so that every unit is in at most one segment"),
        ] {
            let path = try write(text)
            XCTAssertThrowsError(try Policy.load(path: path)) { error in
                XCTAssertTrue("\(error)".hasPrefix("\(path): \(message)"), "\(error)\nexpected: \(message)")
            }
        }
        let broken = try write(base + "budget = = 10\n")
        XCTAssertThrowsError(try Policy.load(path: broken)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(broken):3: "), "TOML syntax errors name the line: \(error)")
        }
    }
}
