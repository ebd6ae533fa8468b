import Foundation

/// How a number is rounded for people. JSON and CSV never round.
public enum Rounding: Sendable, Equatable {
    /// To this many decimal places (0.1234567 → 0.123457 with 6).
    case decimals(Int)
    /// To this many significant digits (1234.567 → 1234.57 with 6).
    case significant(Int)

    public func apply(_ value: Double) -> Double {
        guard value.isFinite else { return value }
        switch self {
        case .decimals(let places):
            let scale = pow(10, Double(places))
            return (value * scale).rounded() / scale
        case .significant(let digits):
            return Double(String(format: "%.\(digits)g", value)) ?? value
        }
    }
}

/// The console's one number formatter: every figure a person reads goes through it.
enum NumberFormat {
    /// The shortest text that reads back as the same double; whole numbers without a decimal point.
    static func shortest(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Rounded, then in shortest form.
    static func rounded(_ value: Double, _ rounding: Rounding) -> String { shortest(rounding.apply(value)) }

    /// A p-value in prose: four decimals, or two significant digits in scientific form below 0.0001.
    static func pValue(_ p: Double) -> String { p < 0.0001 ? String(format: "%.2e", p) : String(format: "%.4f", p) }

    /// Fixed decimals for prose: `0.1234`.
    static func fixed(_ value: Double, _ places: Int) -> String { String(format: "%.\(places)f", value) }

    /// A duality gap or tolerance: `1.23e-05`.
    static func scientific(_ value: Double) -> String { String(format: "%.2e", value) }

    /// A percentage with one decimal: `48.3`.
    static func percent(_ share: Double) -> String { shortest((share * 1000).rounded() / 10) }
}

/// A number in shortest form, for prose.
func fmt(_ value: Double) -> String { NumberFormat.shortest(value) }

/// A table number people read to six significant digits; JSON and CSV keep it whole.
func sixDigits(_ value: Double) -> ConsoleValue { .number(value, .significant(6)) }

/// `0.7647`, or `1.20e-07` when tiny.
func formatP(_ p: Double) -> String { NumberFormat.pValue(p) }

/// A p-value cell: four significant digits for people, whole in JSON and CSV; null when missing.
func pval(_ value: Double?) -> ConsoleValue {
    guard let value, value.isFinite else { return .null }
    return .number(value, .significant(4))
}
