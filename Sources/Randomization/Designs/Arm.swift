/// An arm of an experiment: a name and a weight in percent (weights of an experiment sum to 100).
public struct Arm: Sendable, Equatable, Codable {
    public let name: String
    public let weight: Double

    public init(name: String, weight: Double) {
        self.name = name
        self.weight = weight
    }

    /// Parses `control:50,treatment:50`. Names are non-empty and unique; weights are finite,
    /// non-negative and sum to 100 (within 0.001).
    public static func parseList(_ text: String) throws(RandomizationError) -> [Arm] {
        var arms: [Arm] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let colon = item.lastIndex(of: ":") else {
                throw RandomizationError(.invalidArms, "arm \"\(item)\" needs a weight, as in control:50")
            }
            let name = String(item[..<colon]).trimmingSpaces()
            let weightText = String(item[item.index(after: colon)...]).trimmingSpaces()
            guard !name.isEmpty else { throw RandomizationError(.invalidArms, "an arm in \"\(text)\" has no name") }
            guard let weight = Double(weightText), weight.isFinite, weight >= 0 else {
                throw RandomizationError(.invalidArms, "arm \"\(name)\" has weight \"\(weightText)\"; weights are numbers ≥ 0")
            }
            guard !arms.contains(where: { $0.name == name }) else { throw RandomizationError(.invalidArms, "arm \"\(name)\" appears twice") }
            arms.append(Arm(name: name, weight: weight))
        }
        try validate(arms)
        return arms
    }

    /// The most arms an experiment may have.
    public static let maximumCount = 100

    /// Checks a list of arms: two to 100, weights summing to 100.
    public static func validate(_ arms: [Arm]) throws(RandomizationError) {
        guard arms.count >= 2 else { throw RandomizationError(.invalidArms, "an experiment needs at least two arms") }
        guard arms.count <= maximumCount else { throw RandomizationError(.invalidArms, "an experiment has at most \(maximumCount) arms") }
        let total = arms.reduce(0) { $0 + $1.weight }
        guard abs(total - 100) < 0.001 else {
            throw RandomizationError(.invalidArms, "arm weights sum to \(formatNumber(total)), not 100")
        }
    }

    /// The weights as fractions of 1, as GrowthBook's bucket ranges take them.
    public static func fractions(_ arms: [Arm]) -> [Double] { arms.map { $0.weight / 100 } }
}

func formatNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
}

extension String {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
