"""The naive allocation LP (units × arms, one budget) in HiGHS's interior point method (Python
highspy), on the arrays causeway-bench allocate-glpk wrote: tools/bench allocate runs it."""
import sys
import time

import highspy
import numpy as np

directory = sys.argv[1]
value = np.fromfile(f"{directory}/value.f64", dtype="<f8")
cost = np.fromfile(f"{directory}/cost.f64", dtype="<f8")
arms = 4
units = len(value) // arms
budget = float(np.fromfile(f"{directory}/budget.f64", dtype="<f8")[0])

start = time.perf_counter()
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("solver", "ipm")
lp = highspy.HighsLp()
n = units * arms
lp.num_col_ = n
lp.num_row_ = units + 1
lp.col_cost_ = value
lp.col_lower_ = np.zeros(n)
lp.col_upper_ = np.ones(n)
lp.row_lower_ = np.full(units + 1, -highspy.kHighsInf)
lp.row_upper_ = np.concatenate([np.ones(units), [budget]])
# Column j = unit i, arm k: a 1 in row i (one arm per unit) and its cost in the budget row.
lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
lp.a_matrix_.start_ = np.arange(0, 2 * n + 1, 2, dtype=np.int32)
index = np.empty(2 * n, dtype=np.int32)
index[0::2] = np.repeat(np.arange(units, dtype=np.int32), arms)
index[1::2] = units
lp.a_matrix_.index_ = index
values = np.empty(2 * n)
values[0::2] = 1.0
values[1::2] = cost
lp.a_matrix_.value_ = values
lp.sense_ = highspy.ObjSense.kMaximize
h.passModel(lp)
h.run()
seconds = time.perf_counter() - start
print(f"HiGHS {h.version()} interior point, full LP, one budget: {h.getInfo().objective_function_value:.6f}\t{units}\t{seconds:.3f}\t{units / seconds:.0f}")
