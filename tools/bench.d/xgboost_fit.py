"""The T-learner benchmark's two fits in XGBoost's own Python package, on the files causeway-bench
uplift-fit wrote (same data, same parameters): tools/bench uplift runs it."""
import sys
import time

import numpy as np
import xgboost as xgb

directory, units = sys.argv[1], int(sys.argv[2])
x = np.fromfile(f"{directory}/x.f32", dtype="<f4").reshape(units, 12)
w = np.fromfile(f"{directory}/w.u8", dtype=np.uint8)
y = np.fromfile(f"{directory}/y.f32", dtype="<f4")
params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.3, "subsample": 1.0,
          "colsample_bytree": 1.0, "min_child_weight": 1.0, "lambda": 1.0, "nthread": 2, "seed": 0, "verbosity": 0}
for round in (1, 2, 3):
    total = 0.0
    for arm in (0, 1):
        rows = w == arm
        xa, ya = np.ascontiguousarray(x[rows]), y[rows]
        start = time.perf_counter()
        dtrain = xgb.DMatrix(xa, label=ya, missing=np.nan, nthread=2)
        xgb.train(params, dtrain, num_boost_round=100)
        total += time.perf_counter() - start
    print(f"T-learner fit, 2 XGBoost models (Python xgboost {xgb.__version__}), round {round}\t{units}\t{total:.3f}\t{units / total:.0f}")
