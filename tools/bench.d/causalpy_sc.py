#!/usr/bin/env python3
"""Yardstick for `tools/bench synthetic` (issue 21): CausalPy 0.9's Bayesian synthetic control
(`SyntheticControl` with `WeightedSumFitter`: Dirichlet donor weights, PyMC NUTS) on the panel
causeway-bench synthetic wrote (unit,period,value; one treated unit, the start at 3/4 of the
periods), the treated fit only (CausalPy has no in-space placebos), 2 chains × 500 draws after 500
tuning steps, timed end to end.

    python causalpy_sc.py panel.csv
"""
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import pandas as pd
import causalpy as cp

long = pd.read_csv(sys.argv[1])
wide = long.pivot(index="period", columns="unit", values="value")
wide.columns = [str(c) for c in wide.columns]
periods = len(wide)
start = periods * 3 // 4
donors = [c for c in wide.columns if c != "treated"]
t0 = time.time()
result = cp.SyntheticControl(
    wide, treatment_time=start, control_units=donors, treated_units=["treated"],
    model=cp.pymc_models.WeightedSumFitter(sample_kwargs={"draws": 500, "tune": 500, "chains": 2, "cores": 2,
                                                         "progressbar": False, "random_seed": 1}))
seconds = time.time() - t0
print(f"CausalPy 0.9 SyntheticControl (WeightedSumFitter, NUTS, 2 x 500 draws)\t{len(donors)} donors x {periods} periods\t{seconds:.1f} s (treated fit only)")
