# Reference values for Causeway's Stats tests, computed once with scipy (1.17.1 here):
#   python3 make-welch-cases.py > welch-cases.json
import json
import numpy as np
from scipy import stats

rng = np.random.default_rng(20261122)
cases = []
for name, (n1, m1, s1, n2, m2, s2) in {
    "equal sizes": (50, 10.0, 2.0, 50, 10.8, 2.0),
    "unequal variances": (30, 5.0, 1.0, 80, 5.4, 3.0),
    "small samples": (5, 1.0, 0.5, 7, 1.9, 1.5),
    "large": (5000, 100.0, 20.0, 5200, 100.6, 25.0),
    "proportions": (400, None, None, 380, None, None),
}.items():
    if m1 is None:
        control = (rng.random(n1) < 0.10).astype(float)
        treatment = (rng.random(n2) < 0.14).astype(float)
    else:
        control = rng.normal(m1, s1, n1).round(3)
        treatment = rng.normal(m2, s2, n2).round(3)
    result = stats.ttest_ind(treatment, control, equal_var=False)
    ci = result.confidence_interval(0.95)
    cases.append({
        "name": name, "control": control.tolist(), "treatment": treatment.tolist(),
        "statistic": float(result.statistic), "pvalue": float(result.pvalue), "df": float(result.df),
        "ci_low": float(ci.low), "ci_high": float(ci.high),
    })

distributions = {
    "t_ppf": [[df, p, float(stats.t.ppf(p, df))] for df in (1, 2.5, 7, 30, 148.3, 1e5) for p in (0.5, 0.9, 0.975, 0.995, 0.9999)],
    "t_two_sided": [[df, t, float(2 * stats.t.sf(abs(t), df))] for df in (1, 3, 12.7, 100) for t in (0, 0.5, 1.96, 4, 12)],
    "norm_ppf": [[p, float(stats.norm.ppf(p))] for p in (1e-10, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999999)],
}
pvalues = [0.01, 0.04, 0.03, 0.005, 0.2, 0.049]
bh = stats.false_discovery_control(pvalues, method="bh").tolist()
# Holm by its definition: sort ascending, multiply by (m - rank), running maximum, cap at 1.
order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
holm = [0.0] * len(pvalues)
running = 0.0
for rank, i in enumerate(order):
    running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
    holm[i] = running
print(json.dumps({"source": "make-welch-cases.py with scipy " + __import__("scipy").__version__,
                  "welch": cases, "distributions": distributions,
                  "multiple": {"p": pvalues, "bh": bh, "holm": holm}}, indent=1))
