# Chapter 9: a geo launch. A change that cannot be randomized per user (a launch in one city) is
# planned on the cities' history, then read against a weighted average of untreated cities that
# tracked it before (Abadie, Diamond & Hainmueller) and against a Bayesian structural time series
# (CausalImpact). tools/simulate-outcomes planted +8% in harbour-city from 2026-03-02.
import series ../tools/demo.d/data/city-orders.csv --metric city-orders
# Before the launch: what can a test of 8 weeks in one city detect, and which city is best? Each
# candidate is replayed in ten historical windows with effects injected and read by synthetic control.
geo plan --metric city-orders --treated-count 1 --duration 8 --effects 0.01,0.02,0.05 --until 2026-03-02
geo plan --metric city-orders --treated harbour-city --duration 8 --effects 0.01,0.02,0.05 --until 2026-03-02
# After it: donor weights from the exact quadratic program (w ≥ 0, Σw = 1) on the pre-launch weeks;
# the gap per week with a 95% conformal interval (Chernozhukov, Wüthrich & Zhu), the ATT, the
# pre-period RMSPE, and every other city treated in turn as a placebo: the p-value ranks
# harbour-city's post/pre RMSPE ratio among them. Leave-one-out refits without each donor that has
# weight; --placebo-start pretends the launch came in the pre-period (2025-10-06), where no gap should open.
report synthetic --metric city-orders --treated harbour-city --start 2026-03-02 --placebo-start 2025-10-06 --html synthetic.html
# Synthetic difference-in-differences (Arkhangelsky et al. 2021, as the authors' synthdid computes
# it): unit weights with an intercept and a ridge penalty, time weights on the pre-period weeks that
# resemble the post-period, and a placebo standard error from donors playing the treated city.
report synthetic --metric city-orders --treated harbour-city --start 2026-03-02 --method sdid --replications 100
# CausalImpact: a local level plus a spike-and-slab regression on the other cities, by Gibbs
# sampling (seeded), its posterior predictive as the counterfactual; the page has the three panels.
report impact --metric city-orders --treated harbour-city --start 2026-03-02 --html impact.html
\format json
report synthetic --metric city-orders --treated harbour-city --start 2026-03-02 --no-placebos
\format aligned

# Panels also come from outcomes with times: the switchback's basket values summed per region and
# day (UTC), 0 where a region had none.
series from-metric basket --metric basket-by-region --by region --period day
