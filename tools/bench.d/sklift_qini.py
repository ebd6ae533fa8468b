"""scikit-uplift 0.5.1 on the rows causeway-bench qini wrote: the Qini curve and both AUC scores,
timed like the Swift side (tools/bench qini runs it)."""
import sys
import time
import warnings

import numpy as np
from sklift.metrics import qini_auc_score, qini_curve, uplift_auc_score

warnings.simplefilter("ignore")
directory = sys.argv[1]
y = np.fromfile(f"{directory}/y.f64", dtype="<f8")
t = np.fromfile(f"{directory}/t.u8", dtype=np.uint8).astype(np.int64)
for label, name in (("double scores", "s.f64"), ("Float scores", "f.f64")):
    s = np.fromfile(f"{directory}/{name}", dtype="<f8")
    for round in (1, 2, 3):
        start = time.perf_counter()
        qini_curve(y, s, t)
        q = qini_auc_score(y, s, t)
        u = uplift_auc_score(y, s, t)
        seconds = time.perf_counter() - start
        print(f"Qini curve + both AUC scores, {label} (scikit-uplift 0.5.1), round {round}: {q:.9f} {u:.9f}\t{len(y)}\t{seconds:.3f}\t{len(y) / seconds:.0f}")
