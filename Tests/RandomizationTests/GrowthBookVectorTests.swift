import Foundation
import XCTest
import Randomization

/// GrowthBook's cross-SDK cases (Fixtures/README.md names the source) and Causeway's UTF-16 cases.
final class GrowthBookVectorTests: XCTestCase {
    private func fixture(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: "json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    private func ranges(_ value: Any?) throws -> [[Double]] {
        try XCTUnwrap(value as? [[NSNumber]]).map { $0.map(\.doubleValue) }
    }

    func testHash() throws {
        let cases = try XCTUnwrap(try fixture("growthbook-cases")["hash"] as? [[Any]])
        XCTAssertEqual(cases.count, 15)
        for c in cases {
            let seed = c[0] as! String, value = c[1] as! String, version = (c[2] as! NSNumber).intValue
            let result = GrowthBookHash.hash(seed: seed, value: value, version: version)
            if let expected = c[3] as? NSNumber {
                XCTAssertEqual(try XCTUnwrap(result), expected.doubleValue, accuracy: 1e-12, "\(c)")
                if let hashVersion = HashVersion(rawValue: version) {
                    XCTAssertEqual(UnitHasher(seed: seed, version: hashVersion).hash(value), expected.doubleValue, accuracy: 1e-12, "\(c)")
                }
            } else {
                XCTAssertNil(result, "\(c)")
            }
        }
    }

    func testBucketRanges() throws {
        let cases = try XCTUnwrap(try fixture("growthbook-cases")["getBucketRange"] as? [[Any]])
        XCTAssertEqual(cases.count, 13)
        for c in cases {
            let args = c[1] as! [Any]
            let count = (args[0] as! NSNumber).intValue
            let coverage = (args[1] as! NSNumber).doubleValue
            let weights = (args[2] as? [NSNumber])?.map(\.doubleValue)
            let expected = try ranges(c[2])
            let actual = BucketRanges(count: count, coverage: coverage, weights: weights).ranges
            XCTAssertEqual(actual.count, expected.count, "\(c[0])")
            for (a, e) in zip(actual, expected) {
                XCTAssertEqual(a.lower, e[0], accuracy: 1e-9, "\(c[0])")
                XCTAssertEqual(a.upper, e[1], accuracy: 1e-9, "\(c[0])")
            }
        }
    }

    func testChooseVariation() throws {
        let cases = try XCTUnwrap(try fixture("growthbook-cases")["chooseVariation"] as? [[Any]])
        XCTAssertEqual(cases.count, 13)
        for c in cases {
            let n = (c[1] as! NSNumber).doubleValue
            let bounds = try ranges(c[2])
            let expected = (c[3] as! NSNumber).intValue
            let literal = BucketRanges(ranges: bounds.map { .init($0[0], $0[1]) })
            XCTAssertEqual(literal.choose(n) ?? -1, expected, "\(c[0])")
        }
    }

    func testInNamespace() throws {
        let cases = try XCTUnwrap(try fixture("growthbook-cases")["inNamespace"] as? [[Any]])
        XCTAssertEqual(cases.count, 16)
        for c in cases {
            let unit = c[1] as! String
            let ns = c[2] as! [Any]
            let namespace = Namespace(id: ns[0] as! String, start: (ns[1] as! NSNumber).doubleValue, end: (ns[2] as! NSNumber).doubleValue)
            XCTAssertEqual(namespace.contains(unit), c[3] as! Bool, "\(c[0])")
        }
    }

    func testEqualWeights() throws {
        let cases = try XCTUnwrap(try fixture("growthbook-cases")["getEqualWeights"] as? [[Any]])
        XCTAssertEqual(cases.count, 6)
        for c in cases {
            let expected = (c[1] as! [NSNumber]).map(\.doubleValue)
            let actual = BucketRanges.equalWeights((c[0] as! NSNumber).intValue)
            XCTAssertEqual(actual.count, expected.count)
            for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: 1e-7) }
        }
    }

    /// Non-ASCII ids hash over UTF-16 code units, as the JavaScript SDK does.
    func testNonASCIIMatchesUTF16Reference() throws {
        let cases = try XCTUnwrap(try fixture("utf16-cases")["cases"] as? [[Any]])
        XCTAssertEqual(cases.count, 18)
        for c in cases {
            let seed = c[0] as! String, value = c[1] as! String, version = (c[2] as! NSNumber).intValue
            let expected = (c[3] as! NSNumber).doubleValue
            XCTAssertEqual(GrowthBookHash.fnv1a32(seed + value), (c[4] as! NSNumber).uint32Value, "\(c)")
            XCTAssertEqual(try XCTUnwrap(GrowthBookHash.hash(seed: seed, value: value, version: version)), expected, accuracy: 1e-12, "\(c)")
            XCTAssertEqual(UnitHasher(seed: seed, version: HashVersion(rawValue: version)!).hash(value), expected, accuracy: 1e-12, "\(c)")
        }
        // Precomposed é and e + combining accent are different ids.
        XCTAssertNotEqual(GrowthBookHash.fnv1a32("\u{e9}"), GrowthBookHash.fnv1a32("e\u{301}"))
    }
}

