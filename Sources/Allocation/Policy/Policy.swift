/// A budget allocation policy: what to maximise, under which budgets and caps, for whom.
///
/// Front ends read it from a file (`policies/*.toml`, read by Platform); this type holds the model
/// and what follows from it: the value of each option (`Policy+Values.swift`) and the allocation
/// problem it poses on predicted uplift.
public struct Policy: Sendable, Equatable {
    public enum Objective: String, Sendable, CaseIterable {
        case maxIncrementalConversions = "max_incremental_conversions"
        case maxIncrementalProfit = "max_incremental_profit"
    }

    public struct Arm: Sendable, Equatable {
        public var name: String
        /// Expected cost per unit given this arm.
        public var cost: Double
        /// How the cost was given, for the explanation.
        public var costSource: String
        /// At most this many units get the arm (inventory).
        public var cap: Int?

        public init(name: String, cost: Double, costSource: String, cap: Int? = nil) {
            self.name = name
            self.cost = cost
            self.costSource = costSource
            self.cap = cap
        }
    }

    /// A budget for the units whose `attribute` has `value`; a unit is in at most one segment.
    public struct Segment: Sendable, Equatable {
        public var attribute: String
        public var value: String
        public var budget: Double

        public init(attribute: String, value: String, budget: Double) {
            self.attribute = attribute
            self.value = value
            self.budget = budget
        }
    }

    public var name: String
    public var objective: Objective
    public var budget: Double
    public var valuePerConversion: Double?
    /// An option needs (value − cost) / cost of at least this.
    public var minIncrementalROI: Double?
    /// Sleeping dogs (negative uplift for every arm) get nothing.
    public var excludeNegativeUplift: Bool
    public var excludeUnits: [String]
    public var arms: [Arm]
    public var segments: [Segment]

    public init(name: String, objective: Objective, budget: Double, valuePerConversion: Double? = nil, minIncrementalROI: Double? = nil,
                excludeNegativeUplift: Bool = true, excludeUnits: [String] = [], arms: [Arm], segments: [Segment] = []) {
        self.name = name
        self.objective = objective
        self.budget = budget
        self.valuePerConversion = valuePerConversion
        self.minIncrementalROI = minIncrementalROI
        self.excludeNegativeUplift = excludeNegativeUplift
        self.excludeUnits = excludeUnits
        self.arms = arms
        self.segments = segments
    }

    /// Why nothing at all could be allocated, if that is so.
    public var nothingAffordable: String? {
        let cheapest = arms.map(\.cost).min() ?? 0
        if cheapest > budget { return "every arm costs more than the budget (\(budget)); the cheapest costs \(cheapest)" }
        if arms.allSatisfy({ $0.cap == 0 }) { return "every arm has a cap of 0" }
        return nil
    }

    /// The policy with every budget and cap halved (caps rounded down): what each half of a policy
    /// experiment gets.
    public func halved() -> Policy {
        var half = self
        half.budget = budget / 2
        half.segments = segments.map { Segment(attribute: $0.attribute, value: $0.value, budget: $0.budget / 2) }
        half.arms = arms.map { var a = $0; a.cap = $0.cap.map { $0 / 2 }; return a }
        return half
    }
}
