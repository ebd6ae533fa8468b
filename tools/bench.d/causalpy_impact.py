#!/usr/bin/env python3
"""Yardstick for `tools/bench impact` (issue 21): CausalPy 0.9's Bayesian interrupted time series
on the file causeway-bench impact wrote (y, x1..x10; 365 periods, the start at 300): a regression
of y on the ten controls (CausalPy's `LinearRegression`, PyMC NUTS) with 10,000 posterior draws
(4 chains × 2,500, after 1,000 tuning steps each), timed end to end (model building, compiling and
sampling). CausalPy ships no local-level model with regressors; this is its nearest.

    python causalpy_impact.py impact-365.csv
"""
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import pandas as pd
import causalpy as cp

d = pd.read_csv(sys.argv[1])
t0 = time.time()
result = cp.InterruptedTimeSeries(
    d, treatment_time=300, formula="y ~ 1 + " + " + ".join(f"x{j}" for j in range(1, 11)),
    model=cp.pymc_models.LinearRegression(sample_kwargs={"draws": 2500, "tune": 1000, "chains": 4, "cores": 2,
                                                         "progressbar": False, "random_seed": 1}))
seconds = time.time() - t0
impact = result.post_impact.mean(dim=["chain", "draw"]).values.ravel()
print(f"CausalPy 0.9 InterruptedTimeSeries (LinearRegression, NUTS, 10,000 draws)\t1\t{seconds:.2f} s\taverage effect {impact.mean():.3f} (planted 5)")
