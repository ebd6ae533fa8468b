/// Errors from building or solving an allocation: which failure (`code`), GLPK's own return code
/// or solution status when GLPK failed, and the words for it.
public struct AllocationError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// The problem's data do not fit together (lengths, NaN values, negative costs or budgets).
        case invalidProblem = "invalid_problem"
        /// No allocation satisfies the rows.
        case infeasible
        /// Too large for the exact solver.
        case tooLarge = "too_large"
        /// GLPK returned an error code (`glpkCode`) or no optimal status (`glpkStatus`).
        case solverFailed = "solver_failed"
    }

    public let code: Code
    /// `glp_simplex` or `glp_intopt`'s return code, when nonzero.
    public let glpkCode: Int32?
    /// `glp_get_status` or `glp_mip_status`, when not optimal.
    public let glpkStatus: Int32?
    public let description: String

    public init(_ code: Code, _ description: String, glpkCode: Int32? = nil, glpkStatus: Int32? = nil) {
        self.code = code
        self.description = description
        self.glpkCode = glpkCode
        self.glpkStatus = glpkStatus
    }

    /// Invalid problem data, the common case.
    public init(_ description: String) { self.init(.invalidProblem, description) }
}
