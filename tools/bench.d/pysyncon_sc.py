# The yardstick of tools/bench synthetic: pysyncon 1.7's Synth on the same panel (outcome-only
# predictors, identity V), the treated fit and the first PLACEBOS in-space placebos, timed.
#   python pysyncon_sc.py PANEL.csv START PLACEBOS
import sys
import time
import pandas as pd
from pysyncon import Dataprep, Synth

panel = pd.read_csv(sys.argv[1])
start, count = int(sys.argv[2]), int(sys.argv[3])
donors = sorted(u for u in panel.unit.unique() if u != "treated")
pre = list(range(0, start))


def fit(treated, pool):
    dataprep = Dataprep(foo=panel, predictors=[], predictors_op="mean", time_predictors_prior=pre,
                        special_predictors=[("value", [t], "mean") for t in pre], dependent="value",
                        unit_variable="unit", time_variable="period", treatment_identifier=treated,
                        controls_identifier=pool, time_optimize_ssr=pre)
    s = Synth()
    s.fit(dataprep=dataprep, custom_V=[1.0] * len(pre))
    return s


t0 = time.time()
fit("treated", donors)
t1 = time.time()
for d in donors[:count]:
    fit(d, [u for u in donors if u != d])
t2 = time.time()
per = (t2 - t1) / max(count, 1)
print(f"pysyncon 1.7: fit {t1 - t0:.2f} s; {count} placebos {t2 - t1:.2f} s ({per:.2f} s each, "
      f"so {len(donors)} placebos about {per * len(donors):.0f} s)")
