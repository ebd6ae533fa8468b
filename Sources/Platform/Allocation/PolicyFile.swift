import Allocation
import Foundation
import TOMLKit

/// Reading a budget allocation policy (Allocation's `Policy`) from `policies/*.toml`.
///
/// ```toml
/// name = "spring-vouchers"
/// objective = "max_incremental_conversions"   # or "max_incremental_profit"
/// budget = 50000
/// value_per_conversion = 40                    # needed for profit and for min_incremental_roi
/// min_incremental_roi = 0.0                    # (value − cost) / cost of an option, at least this
/// exclude_negative_uplift = true               # sleeping dogs get nothing (the default)
/// exclude_units = ["u-17"]                     # never treated, besides the universal holdout
///
/// [[arms]]
/// name = "voucher5"
/// cost = 5            # or: face_value = 10 and redemption = 0.3 (expected cost 3)
/// cap = 20000         # optional: at most this many units (inventory)
///
/// [[segments]]
/// attribute = "country"   # a unit attribute (import units)
/// value = "FR"
/// budget = 8000
/// ```
extension Policy {
    static let topKeys: Set<String> = ["name", "objective", "budget", "value_per_conversion", "min_incremental_roi",
                                       "exclude_negative_uplift", "exclude_units", "arms", "segments"]
    static let armKeys: Set<String> = ["name", "cost", "face_value", "redemption", "cap"]
    static let segmentKeys: Set<String> = ["attribute", "value", "budget"]

    /// Reads and checks a policy file; errors name the file and the key (and the line, for TOML syntax).
    public static func load(path: String) throws -> Policy {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PlatformError(.io, "\(path): cannot read the file")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw PlatformError(.invalidFile, "\(path):\(error.source.begin.line): \(error.description)")
        }
        return try parse(table, file: path)
    }

    static func parse(_ t: TOMLTable, file: String) throws -> Policy {
        let read = PolicyReader(file: file)
        for key in t.keys where !topKeys.contains(key) {
            throw read.fail("unknown key \"\(key)\" (known: \(topKeys.sorted().joined(separator: ", ")))")
        }
        guard let name = t["name"]?.string, !name.isEmpty else { throw read.fail("name must be a non-empty string") }
        guard let objectiveText = t["objective"]?.string else { throw read.fail("objective must be max_incremental_conversions or max_incremental_profit") }
        guard let objective = Objective(rawValue: objectiveText) else {
            throw read.fail("objective \"\(objectiveText)\" is not max_incremental_conversions or max_incremental_profit")
        }
        guard let budget = try read.number(t, "budget", in: "") else { throw read.fail("budget is missing") }
        guard budget.isFinite, budget >= 0 else { throw read.fail("budget is \(budget); it must be at least 0") }
        let valuePerConversion = try read.number(t, "value_per_conversion", in: "")
        if let v = valuePerConversion, !(v.isFinite && v > 0) { throw read.fail("value_per_conversion is \(v); it must be positive") }
        if let v = valuePerConversion, v > 1e15 { throw read.fail("value_per_conversion is \(v); values above 1e15 overflow the allocation's sums") }
        let minROI = try read.number(t, "min_incremental_roi", in: "")
        if let r = minROI, !r.isFinite { throw read.fail("min_incremental_roi must be a finite number") }
        if objective == .maxIncrementalProfit, valuePerConversion == nil { throw read.fail("max_incremental_profit needs value_per_conversion") }
        if minROI != nil, valuePerConversion == nil { throw read.fail("min_incremental_roi needs value_per_conversion") }
        var exclude = true
        if let e = t["exclude_negative_uplift"] {
            guard let b = e.bool else { throw read.fail("exclude_negative_uplift must be true or false") }
            exclude = b
        }
        var units: [String] = []
        if let list = t["exclude_units"] {
            guard let array = list.array else { throw read.fail("exclude_units must be a list of unit ids") }
            for item in array {
                guard let s = item.string else { throw read.fail("exclude_units must be a list of unit ids") }
                units.append(s)
            }
        }
        let policy = Policy(name: name, objective: objective, budget: budget, valuePerConversion: valuePerConversion, minIncrementalROI: minROI,
                            excludeNegativeUplift: exclude, excludeUnits: units, arms: try read.arms(t["arms"]),
                            segments: try read.segments(t["segments"]))
        if let reason = policy.nothingAffordable { throw read.fail("the policy is infeasible: \(reason)") }
        return policy
    }

    /// The policy in sentences, for `policy check`.
    public func explanation() -> [String] {
        let n = Experiment.number
        var lines = ["policy \(name): \(objective == .maxIncrementalConversions ? "maximise incremental conversions" : "maximise incremental profit") within a budget of \(n(budget))"]
        if let v = valuePerConversion { lines.append("an incremental conversion is worth \(n(v))") }
        for arm in arms {
            lines.append("arm \(arm.name): expected cost \(n(arm.cost)) per unit (\(arm.costSource))" + (arm.cap.map { ", at most \($0) units" } ?? ""))
        }
        for s in segments { lines.append("segment \(s.attribute) = \(s.value): budget \(n(s.budget))") }
        let segmentTotal = segments.reduce(0) { $0 + $1.budget }
        if !segments.isEmpty, segmentTotal > budget {
            lines.append("note: the segment budgets add up to \(n(segmentTotal)), more than the global budget: the global budget binds first")
        }
        if let r = minIncrementalROI { lines.append("an option needs an incremental ROI, (value − cost) / cost, of at least \(n(r))") }
        lines.append("excluded: the universal holdout" + (excludeNegativeUplift ? ", units whose predicted uplift is negative for every arm (sleeping dogs)" : "")
                     + (excludeUnits.isEmpty ? "" : ", \(excludeUnits.count) listed units"))
        if objective == .maxIncrementalProfit { lines.append("an option is worth uplift × \(n(valuePerConversion ?? 0)) − cost; options worth nothing or less are never given") }
        return lines
    }
}

/// Reads the parts of a policy file; every error names the file.
private struct PolicyReader {
    let file: String

    func fail(_ message: String) -> PlatformError { PlatformError(.invalidFile, "\(file): \(message)") }

    func number(_ table: TOMLTable, _ key: String, in context: String) throws -> Double? {
        guard let value = table[key] else { return nil }
        if let d = value.double { return d }
        if let i = value.int { return Double(i) }
        throw fail("\(context)\(key) must be a number")
    }

    /// `[[arms]]`: a name, a cost (or face value and redemption) and an optional cap each.
    func arms(_ value: TOMLValueConvertible?) throws -> [Policy.Arm] {
        guard let armList = value?.array, !armList.isEmpty else { throw fail("[[arms]] is missing: name at least one arm") }
        var arms: [Policy.Arm] = []
        for (index, item) in armList.enumerated() {
            let context = "arms[\(index + 1)]."
            guard let a = item.table else { throw fail("each [[arms]] entry must be a table") }
            for key in a.keys where !Policy.armKeys.contains(key) {
                throw fail("unknown key \"\(context)\(key)\" (known: \(Policy.armKeys.sorted().joined(separator: ", ")))")
            }
            guard let armName = a["name"]?.string, !armName.isEmpty else { throw fail("\(context)name must be a non-empty string") }
            guard !arms.contains(where: { $0.name == armName }) else { throw fail("arm \"\(armName)\" is listed twice") }
            let cost: Double, source: String
            if let c = try number(a, "cost", in: context) {
                guard a["face_value"] == nil, a["redemption"] == nil else { throw fail("arm \"\(armName)\" gives cost and face_value or redemption; give cost, or face_value and redemption, not both") }
                cost = c
                source = "cost \(Experiment.number(c))"
            } else if let face = try number(a, "face_value", in: context), let redemption = try number(a, "redemption", in: context) {
                guard (0...1).contains(redemption) else { throw fail("\(context)redemption is \(redemption); it must be between 0 and 1") }
                guard face >= 0 else { throw fail("\(context)face_value is \(face); it must be at least 0") }
                cost = face * redemption
                source = "face value \(Experiment.number(face)) × redemption \(Experiment.number(redemption))"
            } else {
                throw fail("arm \"\(armName)\" needs cost, or face_value and redemption")
            }
            guard cost.isFinite, cost >= 0 else { throw fail("arm \"\(armName)\" costs \(cost); costs must be at least 0") }
            var cap: Int? = nil
            if let c = a["cap"] {
                guard let i = c.int, i >= 0 else { throw fail("\(context)cap must be a whole number at least 0") }
                cap = i
            }
            arms.append(Policy.Arm(name: armName, cost: cost, costSource: source, cap: cap))
        }
        return arms
    }

    /// `[[segments]]`: budgets per value of one unit attribute.
    func segments(_ value: TOMLValueConvertible?) throws -> [Policy.Segment] {
        guard let list = value else { return [] }
        guard let array = list.array else { throw fail("[[segments]] must be an array of tables") }
        var segments: [Policy.Segment] = []
        for (index, item) in array.enumerated() {
            let context = "segments[\(index + 1)]."
            guard let s = item.table else { throw fail("each [[segments]] entry must be a table") }
            for key in s.keys where !Policy.segmentKeys.contains(key) { throw fail("unknown key \"\(context)\(key)\"") }
            guard let attribute = s["attribute"]?.string, !attribute.isEmpty else { throw fail("\(context)attribute must be a non-empty string") }
            guard let value = s["value"]?.string ?? s["value"]?.int.map(String.init) else { throw fail("\(context)value must be a string") }
            guard let b = try number(s, "budget", in: context), b.isFinite, b >= 0 else { throw fail("\(context)budget must be a number at least 0") }
            guard !segments.contains(where: { $0.attribute == attribute && $0.value == value }) else {
                throw fail("segment \(attribute) = \(value) is listed twice")
            }
            segments.append(Policy.Segment(attribute: attribute, value: value, budget: b))
        }
        if Set(segments.map(\.attribute)).count > 1 {
            throw fail("segments must all use one attribute, so that every unit is in at most one segment")
        }
        return segments
    }
}
