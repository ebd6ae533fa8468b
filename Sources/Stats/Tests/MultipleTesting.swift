/// Adjusted p-values across several metrics.
public enum MultipleTesting: String, Sendable, CaseIterable {
    /// No adjustment.
    case none
    /// Holm's step-down method: controls the family-wise error rate.
    case holm
    /// Benjamini–Hochberg: controls the false discovery rate.
    case benjaminiHochberg = "bh"

    /// Adjusted p-values in the input order (NaN stays NaN and is left out of the family).
    public func adjust(_ pValues: [Double]) -> [Double] {
        let indexed = pValues.enumerated().filter { !$0.element.isNaN }
        let m = Double(indexed.count)
        var adjusted = pValues
        switch self {
        case .none:
            return pValues
        case .holm:
            let sorted = indexed.sorted { $0.element < $1.element }
            var running = 0.0
            for (rank, item) in sorted.enumerated() {
                running = max(running, min(1, (m - Double(rank)) * item.element))
                adjusted[item.offset] = running
            }
        case .benjaminiHochberg:
            let sorted = indexed.sorted { $0.element > $1.element }
            var running = 1.0
            for (reverseRank, item) in sorted.enumerated() {
                let rank = m - Double(reverseRank)
                running = min(running, m / rank * item.element)
                adjusted[item.offset] = min(1, running)
            }
        }
        return adjusted
    }
}
