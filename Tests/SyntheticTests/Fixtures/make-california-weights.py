# Reference for SyntheticControlTests.testCaliforniaOutcomeOnlyFit: California against the other
# 38 states on cigarette sales per capita in each year 1970-1988 (the outcome-only specification of
# Abadie, Diamond & Hainmueller 2010's Proposition 99 study), V the identity and predictors scaled
# by their standard deviation across units as pysyncon's Synth.fit does with custom_V; and the same
# quadratic program solved by SLSQP at ftol 1e-15, the exact optimum. california_prop99.csv is the
# cigarette-sales panel CausalPy 0.9.0 ships (causalpy/data/california_prop99.csv). Reproduce with
#   python3 -m venv /tmp/ps && /tmp/ps/bin/pip install pysyncon==1.7.0 pandas==2.2.3 numpy==1.26.4 scipy==1.13.1
#   /tmp/ps/bin/python make-california-weights.py > california-weights.json
import json
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from pysyncon import Dataprep, Synth

wide = pd.read_csv("california_prop99.csv")
df = wide.melt(id_vars="Year", var_name="state", value_name="packs")
years = list(range(1970, 1989))
treated = "California"
controls = [s for s in wide.columns[1:] if s != treated]
dataprep = Dataprep(
    foo=df, predictors=[], predictors_op="mean", time_predictors_prior=years,
    special_predictors=[("packs", [y], "mean") for y in years],
    dependent="packs", unit_variable="state", time_variable="Year",
    treatment_identifier=treated, controls_identifier=controls, time_optimize_ssr=years)
synth = Synth()
synth.fit(dataprep=dataprep, custom_V=[1.0] * len(years))
names = list(synth.W_names if synth.W_names is not None else controls)
units = [treated] + names
X = np.array([[df[(df.state == u) & (df.Year == y)].packs.iloc[0] for y in years] for u in units]).T
Xs = X / X.std(axis=1, ddof=1)[:, None]
x1, X0 = Xs[:, 0], Xs[:, 1:]
P, q = X0.T @ X0, X0.T @ x1
tight = minimize(lambda w: 0.5 * w @ P @ w - q @ w, np.ones(len(names)) / len(names), jac=lambda w: P @ w - q,
                 method="SLSQP", bounds=[(0, 1)] * len(names),
                 constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}], options={"ftol": 1e-15, "maxiter": 10000})
loss = lambda w: float((x1 - X0 @ w) @ (x1 - X0 @ w))
post = list(range(1989, 2001))
y1 = np.array([df[(df.state == treated) & (df.Year == y)].packs.iloc[0] for y in post])
Y0 = np.array([[df[(df.state == u) & (df.Year == y)].packs.iloc[0] for u in names] for y in post])
print(json.dumps({"treated": treated, "years": years, "controls": names,
                  "pysyncon_weights": [float(w) for w in synth.W], "pysyncon_loss": loss(np.array(synth.W)),
                  "tight_weights": [float(w) for w in tight.x], "tight_loss": loss(tight.x),
                  "tight_att": float((y1 - Y0 @ tight.x).mean())}, indent=1))
