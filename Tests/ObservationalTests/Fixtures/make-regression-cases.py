#!/usr/bin/env python3
"""Reference regressions on lalonde.txt by statsmodels, written to regression-cases.json.

    python3 -m venv /tmp/obsvenv && /tmp/obsvenv/bin/pip install numpy==1.26.4 pandas==2.2.3 statsmodels==0.14.4 scipy==1.13.1
    /tmp/obsvenv/bin/python make-regression-cases.py > regression-cases.json

- OLS of re78 on t and the covariates: every coefficient, and the treatment's standard error
  classical and HC0-HC3 (statsmodels' `cov_type`).
- Logit of t on the covariates (statsmodels' Newton fit): the coefficients.
"""
import json
import pandas as pd
import statsmodels.api as sm

d = pd.read_csv("lalonde.txt", sep="\t")
covariates = ["age", "educ", "black", "hisp", "married", "nodegree", "re74", "re75"]
X = sm.add_constant(d[["t"] + covariates])
out = {"covariates": covariates, "ols": {}, "logit": {}}
fit = sm.OLS(d["re78"], X).fit()
out["ols"]["coefficients"] = [float(v) for v in fit.params]
out["ols"]["se"] = {"classical": float(fit.bse["t"])}
for kind in ["HC0", "HC1", "HC2", "HC3"]:
    out["ols"]["se"][kind.lower()] = float(sm.OLS(d["re78"], X).fit(cov_type=kind).bse["t"])
logit = sm.Logit(d["t"], sm.add_constant(d[covariates])).fit(disp=0, tol=1e-12, maxiter=100)
out["logit"]["coefficients"] = [float(v) for v in logit.params]
print(json.dumps(out, indent=1))
