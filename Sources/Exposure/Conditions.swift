/// How a unit's neighbourhood maps to an exposure level (Ugander, Karrer, Backstrom & Kleinberg 2013;
/// Aronow & Samii 2017).
public enum ExposureMapping: Sendable, Equatable, CustomStringConvertible {
    /// Exposed: every neighbour treated; unexposed: no neighbour treated.
    case full
    /// Exposed: at least a share q of the neighbours treated; unexposed: at least q of them in
    /// control (q > 0.5, so the two never meet).
    case fraction(Double)
    /// Exposed: at least k treated neighbours; unexposed: none (k = 1 is Aronow & Samii's example).
    case absolute(Int)

    public enum Level: Sendable, Equatable { case exposed, unexposed, neither }

    /// `full`, `fraction:Q` or `absolute:K`.
    public init(parsing text: String) throws(ExposureError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first {
        case "full" where parts.count == 1: self = .full
        case "fraction" where parts.count == 2:
            guard let q = Double(parts[1]), q > 0.5, q <= 1 else { throw ExposureError(.invalidParameter, "fraction:Q needs 0.5 < Q ≤ 1, got \(parts[1])") }
            self = .fraction(q)
        case "absolute" where parts.count == 2:
            guard let k = Int(parts[1]), k >= 1 else { throw ExposureError(.invalidParameter, "absolute:K needs a whole K ≥ 1, got \(parts[1])") }
            self = .absolute(k)
        default: throw ExposureError(.invalidParameter, "an exposure mapping is full, fraction:Q or absolute:K, not \"\(text)\"")
        }
    }

    public var description: String {
        switch self {
        case .full: "full"
        case .fraction(let q): "fraction:\(q)"
        case .absolute(let k): "absolute:\(k)"
        }
    }

    /// The level of a unit with `treated` of its `degree` neighbours treated. An isolated unit is unexposed.
    @inline(__always)
    public func level(treated t: Int, degree d: Int) -> Level {
        if t == 0 { return .unexposed }
        switch self {
        case .full: return t == d ? .exposed : .neither
        case .fraction(let q):
            let f = Double(t) / Double(d)
            return f >= q ? .exposed : 1 - f >= q ? .unexposed : .neither
        case .absolute(let k): return t >= k ? .exposed : .neither
        }
    }
}

/// The four exposure conditions: the unit's own arm (control or treated) by its neighbourhood's level.
public enum Condition: Int, Sendable, CaseIterable, CustomStringConvertible {
    case controlUnexposed = 0, controlExposed, treatedUnexposed, treatedExposed

    public var description: String {
        switch self {
        case .controlUnexposed: "control, no exposure"
        case .controlExposed: "control, exposed"
        case .treatedUnexposed: "treated, no exposure"
        case .treatedExposed: "treated, exposed"
        }
    }

    /// Whether the unit itself is treated, and whether its neighbourhood is exposed.
    public var treated: Bool { self == .treatedUnexposed || self == .treatedExposed }
    public var exposed: Bool { self == .controlExposed || self == .treatedExposed }

    /// Short name for tables and JSON.
    public var key: String {
        switch self {
        case .controlUnexposed: "c0"
        case .controlExposed: "c1"
        case .treatedUnexposed: "t0"
        case .treatedExposed: "t1"
        }
    }

    /// The condition code of every unit under an assignment (`arm[i]`: 1 treated, 0 control, −1 not
    /// in the experiment, whose neighbours still see it as untreated): 0–3, or −1 for none (outside
    /// the experiment, or a neighbourhood that is neither exposed nor unexposed).
    public static func codes(_ g: Graph, arm: [Int8], mapping: ExposureMapping) -> [Int8] {
        var codes = [Int8](repeating: -1, count: g.nodes)
        g.targets.withUnsafeBufferPointer { out in
            arm.withUnsafeBufferPointer { z in
                for i in 0..<g.nodes where z[i] >= 0 {
                    let a = g.offsets[i], b = g.offsets[i + 1]
                    var t = 0
                    for p in a..<b where z[Int(out[p])] > 0 { t += 1 }
                    switch mapping.level(treated: t, degree: b - a) {
                    case .exposed: codes[i] = z[i] > 0 ? 3 : 1
                    case .unexposed: codes[i] = z[i] > 0 ? 2 : 0
                    case .neither: break
                    }
                }
            }
        }
        return codes
    }
}
