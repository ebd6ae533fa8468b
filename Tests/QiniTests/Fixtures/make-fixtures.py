"""Reference values for QiniTests, computed once with the reference libraries and committed.

    python3 -m venv /tmp/qv && /tmp/qv/bin/pip install scikit-uplift==0.5.1 causalml==0.18.0
    /tmp/qv/bin/python Tests/QiniTests/Fixtures/make-fixtures.py > Tests/QiniTests/Fixtures/qini-cases.json

scikit-uplift 0.5.1 for the default definitions; CausalML 0.18.0 for the named variants. CausalML
ranks with pandas' unstable quicksort, so each CausalML case records the row order its sort
produced ("causalml_order") and the test feeds the rows in that order.
"""
import json
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
import importlib.metadata as md
from sklift.metrics import (perfect_qini_curve, perfect_uplift_curve, qini_auc_score, qini_curve,
                            response_rate_by_percentile, uplift_at_k, uplift_auc_score, uplift_by_percentile,
                            uplift_curve, weighted_average_uplift)
from causalml.metrics import auuc_score, get_cumgain, get_qini, qini_score


def num(v):
    return None if np.isnan(v) else float(v)


def floats(a):
    return [None if (isinstance(v, float) and np.isnan(v)) else float(v) for v in np.asarray(a, dtype=float)]


def sklift_case(name, y, t, s):
    y, t, s = np.asarray(y), np.asarray(t), np.asarray(s, dtype=float)
    case = {"name": name, "y": floats(y), "t": [int(v) for v in t], "score": floats(s)}
    for key, fn in (("qini_curve", qini_curve), ("uplift_curve", uplift_curve)):
        x, v = fn(y, s, t)
        case[key] = {"x": floats(x), "y": floats(v)}
    x, v = perfect_qini_curve(y, t)
    case["perfect_qini_curve"] = {"x": floats(x), "y": floats(v)}
    x, v = perfect_qini_curve(y, t, negative_effect=False)
    case["perfect_qini_curve_no_negative"] = {"x": floats(x), "y": floats(v)}
    x, v = perfect_uplift_curve(y, t)
    case["perfect_uplift_curve"] = {"x": floats(x), "y": floats(v)}
    case["qini_auc_score"] = float(qini_auc_score(y, s, t))
    case["qini_auc_score_no_negative"] = float(qini_auc_score(y, s, t, negative_effect=False))
    case["uplift_auc_score"] = float(uplift_auc_score(y, s, t))
    if len(y) >= 20:
        case["uplift_at_k"] = []
        for strategy in ("overall", "by_group"):
            for k in (0.1, 0.3, 0.55, 7):
                case["uplift_at_k"].append({"strategy": strategy, "k": k, "value": num(uplift_at_k(y, s, t, strategy, k=k))})
        case["response_rate_by_percentile"] = []
        for strategy in ("overall", "by_group"):
            for group in ("treatment", "control"):
                for bins in (10, 7):
                    r, var, n = response_rate_by_percentile(y, s, t, group=group, strategy=strategy, bins=bins)
                    case["response_rate_by_percentile"].append({"strategy": strategy, "group": group, "bins": bins,
                                                                "rate": floats(r), "variance": floats(var),
                                                                "size": [int(v) for v in n]})
        case["weighted_average_uplift"] = [{"strategy": st, "bins": b, "value": num(weighted_average_uplift(y, s, t, strategy=st, bins=b))}
                                           for st in ("overall", "by_group") for b in (10, 7)]
        table = uplift_by_percentile(y, s, t, bins=10)
        case["uplift_by_percentile"] = {"labels": [str(i) for i in table.index], "uplift": floats(table["uplift"])}
    return case


def causalml_case(name, y, t, scores):
    df = pd.DataFrame({"y": y, "w": t, **{f"s{k}": v for k, v in enumerate(scores)}})
    out = {"name": name, "y": floats(y), "t": [int(v) for v in t], "scores": [floats(v) for v in scores]}
    out["causalml_order"] = [[int(i) for i in df.sort_values(f"s{k}", ascending=False).index] for k in range(len(scores))]
    out["get_qini"] = [floats(get_qini(df)[f"s{k}"]) for k in range(len(scores))]
    out["get_cumgain"] = [floats(get_cumgain(df)[f"s{k}"]) for k in range(len(scores))]
    out["get_qini_normalized"] = [floats(get_qini(df, normalize=True)[f"s{k}"]) for k in range(len(scores))]
    out["qini_score"] = floats(qini_score(df))
    out["qini_score_raw"] = floats(qini_score(df, normalize=False))
    out["auuc_score"] = floats(auuc_score(df))
    out["auuc_score_raw"] = floats(auuc_score(df, normalize=False))
    return out


rng = np.random.default_rng(20261123)
cases = []
# Vector A of Tests/QiniTests/Fixtures/uplift-metrics.md (CausalML's own test input).
yA = [0, 0, 0, 0, 1, 0, 0, 1, 1, 1]
tA = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
s1 = [0, .1, .2, .3, .4, 0, .1, .2, .3, .4]
s2 = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
cases.append(sklift_case("vector-a-score-1", yA, tA, s1))
cases.append(sklift_case("vector-a-score-2", yA, tA, s2))
# scikit-uplift's own test input: all scores tied.
cases.append(sklift_case("sklift-tied", [0, 1, 0], [0, 1, 1], [0.5, 0.5, 0.5]))
# Random data: ties (scores on a 0.1 grid), and no ties.
for n, grid, label in ((300, True, "random-300-ties"), (2000, False, "random-2000")):
    x = rng.normal(size=n)
    t = (rng.random(n) < 0.45).astype(int)
    y = (rng.random(n) < 0.2 + 0.15 * t * (x > 0) - 0.05 * t * (x < -1)).astype(int)
    s = 0.1 * x + rng.normal(scale=0.1, size=n)
    if grid:
        s = np.round(s, 1)
    cases.append(sklift_case(label, y, t, s))
causal = [causalml_case("vector-a", yA, tA, [s1, s2])]
n = 500
x = rng.normal(size=n)
t = (rng.random(n) < 0.5).astype(int)
y = (rng.random(n) < 0.3 + 0.2 * t * (x > 0)).astype(int)
causal.append(causalml_case("random-500", y, t, [x + rng.normal(scale=0.5, size=n)]))
yc = 2 + x + 0.8 * t * (x > 0) + rng.normal(size=n)  # a continuous outcome
causal.append(causalml_case("random-500-continuous", yc, t, [x + rng.normal(scale=0.5, size=n)]))
json.dump({"generated_by": "Tests/QiniTests/Fixtures/make-fixtures.py",
           "versions": {"scikit-uplift": md.version("scikit-uplift"), "causalml": md.version("causalml"),
                        "numpy": np.__version__, "pandas": pd.__version__},
           "sklift": cases, "causalml": causal}, sys.stdout, separators=(",", ":"))
print()
