"""The yardstick of `tools/bench ingest`'s qini --scores: pandas reads the same CSV, then
scikit-uplift 0.5.1 computes the Qini curve and both AUC scores; timed end to end, as the console is."""
import resource
import sys
import time
import warnings

import pandas as pd
from sklift.metrics import qini_auc_score, qini_curve, uplift_auc_score

warnings.simplefilter("ignore")
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
read = time.perf_counter() - start
y, t, s = frame["outcome"].to_numpy(), frame["treatment"].to_numpy(), frame["score"].to_numpy()
qini_curve(y, s, t)
q = qini_auc_score(y, s, t)
u = uplift_auc_score(y, s, t)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"scikit-uplift 0.5.1 + pandas {pd.__version__} read_csv, {len(y)} rows (read {read:.2f} s; qini {q:.9f}, uplift {u:.9f})\t{seconds:.2f} s\tpeak {peak} KiB")
