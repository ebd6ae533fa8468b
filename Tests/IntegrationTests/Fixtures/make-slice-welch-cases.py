# Reference values for `report lift --by country` (LiftEnginesTests): per country, scipy's Welch test
# of treatment against control on the units of that country. The arms are GrowthBook's hash (FNV-1a
# 32, hash version 2, seed "e", 50/50), computed here independently of Causeway. Reproduce with
#   python3 -m venv /tmp/sc && /tmp/sc/bin/pip install scipy==1.17.1 numpy==1.26.4
#   /tmp/sc/bin/python make-slice-welch-cases.py > slice-welch-cases.json
import json
import numpy as np
from scipy import stats


def fnv1a32(text):
    h = 0x811C9DC5
    data = text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def arm(unit):
    n = (fnv1a32(str(fnv1a32("e" + unit))) % 10000) / 10000
    return "control" if n < 0.5 else "treatment"


rng = np.random.default_rng(20261206)
countries = ["DE", "FR", "GB", "ES", "IT", "NL"]
effects = {"DE": 0.0, "FR": 0.5, "GB": 1.0, "ES": -0.5, "IT": 0.2, "NL": 2.0}
units = []
for i in range(3000):
    unit = f"u{i}"
    country = None if rng.random() < 0.04 else countries[min(5, int(rng.exponential(1.6)))]
    a = arm(unit)
    value = float(round(rng.gamma(2.0, 4.0) + (effects.get(country, 0.3) if a == "treatment" else 0.0), 3))
    units.append([unit, a, country, value])

slices = {}
for name in countries + [None]:
    control = np.array([u[3] for u in units if u[2] == name and u[1] == "control"])
    treatment = np.array([u[3] for u in units if u[2] == name and u[1] == "treatment"])
    r = stats.ttest_ind(treatment, control, equal_var=False)
    ci = r.confidence_interval(0.95)
    slices["(none)" if name is None else name] = {
        "n_control": len(control), "n_treatment": len(treatment), "difference": float(treatment.mean() - control.mean()),
        "statistic": float(r.statistic), "pvalue": float(r.pvalue), "df": float(r.df),
        "ci_low": float(ci.low), "ci_high": float(ci.high)}
print(json.dumps({"units": units, "slices": slices}, indent=0))
