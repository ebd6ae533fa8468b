# Reference values for Causeway's sequential, Bayesian and planning tests, from GrowthBook's
# statistics engine and statsmodels' power functions. Reproduce in a fresh virtual environment:
#   python3 -m venv /tmp/gb && /tmp/gb/bin/pip install gbstats==0.8.0 statsmodels==0.15.0 scipy==1.17.1 numpy==1.26.4
#   /tmp/gb/bin/python make-growthbook-cases.py > growthbook-cases.json
import json
import numpy as np
from gbstats.models.statistics import (
    SampleMeanStatistic, ProportionStatistic, RatioStatistic, RegressionAdjustedStatistic)
from gbstats.frequentist.tests import SequentialTwoSidedTTest, SequentialConfig
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from statsmodels.stats.power import NormalIndPower
from scipy.optimize import brentq

rng = np.random.default_rng(20261206)


def sums(y, x=None):
    d = {"n": len(y), "sum_y": float(y.sum()), "sum_y2": float((y * y).sum())}
    if x is not None:
        d.update(sum_x=float(x.sum()), sum_x2=float((x * x).sum()), sum_xy=float((x * y).sum()))
    return d


def statistic(kind, s):
    if kind == "mean":
        return SampleMeanStatistic(n=s["n"], sum=s["sum_y"], sum_squares=s["sum_y2"])
    if kind == "proportion":
        return ProportionStatistic(n=s["n"], sum=s["sum_y"])
    if kind == "ratio":
        return RatioStatistic(n=s["n"],
                              m_statistic=SampleMeanStatistic(n=s["n"], sum=s["sum_y"], sum_squares=s["sum_y2"]),
                              d_statistic=SampleMeanStatistic(n=s["n"], sum=s["sum_x"], sum_squares=s["sum_x2"]),
                              m_d_sum_of_products=s["sum_xy"])
    if kind == "cuped":
        return RegressionAdjustedStatistic(n=s["n"],
                                           post_statistic=SampleMeanStatistic(n=s["n"], sum=s["sum_y"], sum_squares=s["sum_y2"]),
                                           pre_statistic=SampleMeanStatistic(n=s["n"], sum=s["sum_x"], sum_squares=s["sum_x2"]),
                                           post_pre_sum_of_products=s["sum_xy"], theta=0)
    raise ValueError(kind)


def arms(kind, n_a, n_b, lift):
    if kind == "proportion":
        a = (rng.random(n_a) < 0.10).astype(float)
        b = (rng.random(n_b) < 0.10 * (1 + lift)).astype(float)
        return sums(a), sums(b)
    if kind == "mean":
        a = rng.gamma(2.0, 5.0, n_a).round(2)
        b = (rng.gamma(2.0, 5.0, n_b) * (1 + lift)).round(2)
        return sums(a), sums(b)
    if kind == "ratio":
        da = rng.poisson(4, n_a) + 1.0
        db = rng.poisson(4, n_b) + 1.0
        return sums(rng.gamma(2.0, 1.0, n_a) * da, da), sums(rng.gamma(2.0, 1.0, n_b) * (1 + lift) * db, db)
    xa = rng.gamma(2.0, 5.0, n_a).round(2)
    xb = rng.gamma(2.0, 5.0, n_b).round(2)
    ya = (0.8 * xa + rng.normal(2, 3, n_a)).round(2)
    yb = (0.8 * xb + rng.normal(2, 3, n_b) + 10 * lift).round(2)
    return sums(ya, xa), sums(yb, xb)


sequential, bayesian = [], []
for kind in ["mean", "proportion", "ratio", "cuped"]:
    for (n_a, n_b, lift) in [(1000, 1000, 0.0), (4000, 3900, 0.03), (250, 300, 0.10), (60000, 60500, 0.01)]:
        a, b = arms(kind, n_a, n_b, lift)
        for relative in [False, True]:
            difference = "relative" if relative else "absolute"
            for tuning in [5000, 500]:
                for alpha in [0.05, 0.1]:
                    t = SequentialTwoSidedTTest(statistic(kind, a), statistic(kind, b),
                                                SequentialConfig(difference_type=difference, alpha=alpha,
                                                                 sequential_tuning_parameter=tuning))
                    r = t.compute_result()
                    sequential.append({"kind": kind, "control": a, "treatment": b, "relative": relative,
                                       "alpha": alpha, "tuning": tuning, "estimate": r.expected,
                                       "ci": r.ci, "p_value": r.p_value})
            for prior in [None, (0.0, 0.3), (0.05, 0.1)]:
                for inverse in [False, True]:
                    config = EffectBayesianConfig(difference_type=difference, inverse=inverse,
                                                  prior_effect=GaussianPrior(mean=prior[0], variance=prior[1] ** 2, proper=True)
                                                  if prior else GaussianPrior())
                    r = EffectBayesianABTest(statistic(kind, a), statistic(kind, b), config).compute_result()
                    bayesian.append({"kind": kind, "control": a, "treatment": b, "relative": relative,
                                     "prior_mean": prior[0] if prior else None, "prior_sd": prior[1] if prior else None,
                                     "inverse": inverse, "chance_to_win": r.chance_to_win, "risk": r.risk,
                                     "ci": r.ci, "mean": r.uplift.mean, "sd": r.uplift.stddev})

power = NormalIndPower()
planning = []
for es in [0.02, 0.05, 0.1, 0.3]:
    for alpha in [0.05, 0.01, 0.025]:
        for target in [0.8, 0.9]:
            for ratio in [1.0, 0.5, 3.0]:
                nobs1 = power.solve_power(effect_size=es, nobs1=None, alpha=alpha, power=target, ratio=ratio,
                                          alternative="two-sided")
                planning.append({"effect_size": es, "alpha": alpha, "power": target, "ratio": ratio, "nobs1": float(nobs1)})
mde = []
for nobs1 in [500, 5000, 100000]:
    for alpha in [0.05, 0.01]:
        for target in [0.8, 0.95]:
            for ratio in [1.0, 2.0]:
                # solve_power's own root for the effect size stops early (power 0.94996 for 0.95 at
                # 100,000 units), so the effect is also solved tightly on statsmodels' power function.
                loose = power.solve_power(effect_size=None, nobs1=nobs1, alpha=alpha, power=target, ratio=ratio,
                                          alternative="two-sided")
                tight = brentq(lambda es: power.power(effect_size=es, nobs1=nobs1, alpha=alpha, ratio=ratio,
                                                      alternative="two-sided") - target, 1e-6, 10, xtol=1e-16, rtol=1e-15)
                mde.append({"nobs1": nobs1, "alpha": alpha, "power": target, "ratio": ratio,
                            "effect_size": float(tight), "solve_power": float(loose)})

print(json.dumps({"sequential": sequential, "bayesian": bayesian, "planning": planning, "mde": mde}, indent=1))
