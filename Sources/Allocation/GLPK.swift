import CGLPK

/// One owned GLPK problem: columns with bounds and objective, rows as sparse ≤ / ≥ constraints,
/// solved by the simplex method or branch-and-cut. Terminal output is off.
final class GLPKProblem {
    let handle: OpaquePointer

    init(maximize: Bool) {
        _ = glp_term_out(GLP_OFF)
        handle = glp_create_prob()
        glp_set_obj_dir(handle, maximize ? GLP_MAX : GLP_MIN)
    }

    deinit { glp_delete_prob(handle) }

    /// Adds a column; returns its 1-based index. `upper` nil means no upper bound; `lower` nil, none.
    @discardableResult
    func addColumn(lower: Double?, upper: Double?, objective: Double, binary: Bool = false) -> Int32 {
        let j = glp_add_cols(handle, 1)
        switch (lower, upper) {
        case (nil, nil): glp_set_col_bnds(handle, j, GLP_FR, 0, 0)
        case let (l?, nil): glp_set_col_bnds(handle, j, GLP_LO, l, 0)
        case let (nil, u?): glp_set_col_bnds(handle, j, GLP_UP, 0, u)
        case let (l?, u?): glp_set_col_bnds(handle, j, l == u ? GLP_FX : GLP_DB, l, u)
        }
        glp_set_obj_coef(handle, j, objective)
        if binary { glp_set_col_kind(handle, j, GLP_BV) }
        return j
    }

    func setBounds(_ j: Int32, lower: Double, upper: Double) {
        glp_set_col_bnds(handle, j, lower == upper ? GLP_FX : GLP_DB, lower, upper)
    }

    /// Adds the row Σ values·x over `columns` (1-based) with the given bounds.
    func addRow(columns: [Int32], values: [Double], lower: Double? = nil, upper: Double? = nil) {
        let i = glp_add_rows(handle, 1)
        switch (lower, upper) {
        case (nil, nil): glp_set_row_bnds(handle, i, GLP_FR, 0, 0)
        case let (l?, nil): glp_set_row_bnds(handle, i, GLP_LO, l, 0)
        case let (nil, u?): glp_set_row_bnds(handle, i, GLP_UP, 0, u)
        case let (l?, u?): glp_set_row_bnds(handle, i, GLP_DB, l, u)
        }
        var ind: [Int32] = [0] + columns, val: [Double] = [0] + values // GLPK arrays are 1-based
        glp_set_mat_row(handle, i, Int32(columns.count), &ind, &val)
    }

    /// The simplex method (dual, falling back to primal); the objective at the optimum.
    func simplex() throws(AllocationError) -> Double {
        var parm = glp_smcp()
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        parm.meth = GLP_DUALP
        parm.r_test = GLP_RT_FLIP
        let code = glp_simplex(handle, &parm)
        guard code == 0 else { throw AllocationError(.solverFailed, "GLPK's simplex failed (code \(code))", glpkCode: code) }
        let status = glp_get_status(handle)
        guard status == GLP_OPT else { throw status == GLP_NOFEAS ? AllocationError(.infeasible, "the problem is infeasible", glpkStatus: status)
                : AllocationError(.solverFailed, "GLPK found no optimum (status \(status))", glpkStatus: status) }
        return glp_get_obj_val(handle)
    }

    func column(_ j: Int32) -> Double { glp_get_col_prim(handle, j) }

    /// Branch-and-cut after the LP relaxation; the integer optimum.
    func integerOptimum() throws(AllocationError) -> Double {
        _ = try simplex()
        var parm = glp_iocp()
        glp_init_iocp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        parm.mip_gap = 0
        let code = glp_intopt(handle, &parm)
        guard code == 0 else { throw AllocationError(.solverFailed, "GLPK's branch-and-cut failed (code \(code))", glpkCode: code) }
        let status = glp_mip_status(handle)
        guard status == GLP_OPT else { throw AllocationError(.solverFailed, "GLPK found no integer optimum (status \(status))", glpkStatus: status) }
        return glp_mip_obj_val(handle)
    }

    func integerColumn(_ j: Int32) -> Double { glp_mip_col_val(handle, j) }
}
