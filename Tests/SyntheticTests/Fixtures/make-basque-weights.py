# Reference donor weights for SimplexWeightsTests: the Basque Country against the other Spanish
# regions on GDP per capita of each year 1960-1969 (outcome-only predictors), with V the identity
# and predictors scaled by their standard deviation across units, as pysyncon's Synth.fit does with
# custom_V. basque.csv is the data of Abadie & Gardeazabal (2003) as distributed with pysyncon
# (data/basque.csv), copied from the project's shared data. Reproduce with
#   python3 -m venv /tmp/ps && /tmp/ps/bin/pip install pysyncon==1.7.0 pandas==1.5.3 numpy==1.26.4 scipy==1.17.1
#   /tmp/ps/bin/python make-basque-weights.py > basque-weights.json
import json
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from pysyncon import Dataprep, Synth

df = pd.read_csv("basque.csv")
years = list(range(1960, 1970))
treated = "Basque Country (Pais Vasco)"
controls = [r for r in df.regionname.unique() if r not in (treated, "Spain (Espana)")]
dataprep = Dataprep(
    foo=df, predictors=[], predictors_op="mean", time_predictors_prior=years,
    special_predictors=[("gdpcap", [y], "mean") for y in years],
    dependent="gdpcap", unit_variable="regionname", time_variable="year",
    treatment_identifier=treated, controls_identifier=controls, time_optimize_ssr=years)
synth = Synth()
synth.fit(dataprep=dataprep, custom_V=[1.0] * len(years))
names = list(synth.W_names if synth.W_names is not None else controls)

# pysyncon's SLSQP stops at its default tolerance (loss 0.030209 here); the same problem solved by
# SLSQP with ftol 1e-15 reaches the optimum (0.030179), the exact reference.
units = [treated] + names
X = np.array([[df[(df.regionname == u) & (df.year == y)].gdpcap.iloc[0] for y in years] for u in units]).T
Xs = X / X.std(axis=1, ddof=1)[:, None]
x1, X0 = Xs[:, 0], Xs[:, 1:]
P, q = X0.T @ X0, X0.T @ x1
tight = minimize(lambda w: 0.5 * w @ P @ w - q @ w, np.ones(len(names)) / len(names), jac=lambda w: P @ w - q,
                 method="SLSQP", bounds=[(0, 1)] * len(names),
                 constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}], options={"ftol": 1e-15, "maxiter": 10000})
loss = lambda w: float((x1 - X0 @ w) @ (x1 - X0 @ w))
print(json.dumps({"treated": treated, "years": years, "controls": names,
                  "pysyncon_weights": [float(w) for w in synth.W], "pysyncon_loss": loss(np.array(synth.W)),
                  "tight_weights": [float(w) for w in tight.x], "tight_loss": loss(tight.x)}, indent=1))
