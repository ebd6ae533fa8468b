#!/usr/bin/env python3
"""Yardsticks for `tools/bench observational` (issue 20): DoubleML 0.11 and EconML 0.17 on the file
causeway-bench observational-speed wrote (t, y, x1..x20), with the same nuisances as Causeway's run:
XGBoost 1.7.4, 100 rounds, depth 4, learning rate 0.1, hist, 2 threads, 5 folds.

    python doubleml_econml.py observational-wide.csv

Prints one tab-separated line per estimator: name, units, estimate, se, seconds (reading the CSV
is timed apart).
"""
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb

path = sys.argv[1]
t0 = time.time()
d = pd.read_csv(path)
read = time.time() - t0
y = d["y"].to_numpy()
t = d["t"].to_numpy()
x = d[[c for c in d.columns if c.startswith("x")]].to_numpy()
n = len(y)
print(f"pandas read_csv\t{n}\t\t\t{read:.1f}")

def reg():
    return xgb.XGBRegressor(n_estimators=100, max_depth=4, learning_rate=0.1, tree_method="hist", n_jobs=2)

def clf():
    return xgb.XGBClassifier(n_estimators=100, max_depth=4, learning_rate=0.1, tree_method="hist", n_jobs=2)

import doubleml as dml

data = dml.DoubleMLData.from_arrays(x, y, t)
for name, make in [("DoubleML PLR (dml)", lambda: dml.DoubleMLPLR(data, reg(), reg(), n_folds=5)),
                   ("DoubleML IRM ATE (aipw)", lambda: dml.DoubleMLIRM(data, reg(), clf(), n_folds=5, score="ATE"))]:
    t0 = time.time()
    model = make()
    model.fit()
    print(f"{name}\t{n}\t{model.coef[0]:.4f}\t{model.se[0]:.4f}\t{time.time() - t0:.1f}")

from econml.dml import LinearDML
from econml.dr import LinearDRLearner

t0 = time.time()
est = LinearDML(model_y=reg(), model_t=clf(), discrete_treatment=True, cv=5)
est.fit(y, t, W=x)
lo, hi = est.ate_interval(alpha=0.05)
print(f"EconML LinearDML (dml)\t{n}\t{est.ate():.4f}\t{(hi - lo) / 3.919928:.4f}\t{time.time() - t0:.1f}")
t0 = time.time()
est = LinearDRLearner(model_propensity=clf(), model_regression=reg(), cv=5)
est.fit(y, t, W=x)
lo, hi = est.ate_interval(alpha=0.05)
print(f"EconML LinearDRLearner (aipw)\t{n}\t{est.ate():.4f}\t{(hi - lo) / 3.919928:.4f}\t{time.time() - t0:.1f}")
