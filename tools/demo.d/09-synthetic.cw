# Chapter 9: a geo launch read by synthetic control. A change that cannot be randomized per user
# (a launch in one city) is compared with a weighted average of untreated cities that tracked it
# before the launch (Abadie, Diamond & Hainmueller). tools/simulate-outcomes planted +8% in
# harbour-city from 2026-02-23.
import series ../tools/demo.d/data/city-orders.csv --metric city-orders
# Donor weights from the exact quadratic program (w ≥ 0, Σw = 1) on the pre-launch weeks; the gap per
# week, the ATT, the pre-period RMSPE, and every other city treated in turn as a placebo: the p-value
# ranks harbour-city's post/pre RMSPE ratio among them.
# Leave-one-out refits without each donor that has weight; --placebo-start pretends the launch came
# in the pre-period (2025-10-06), where no gap should open.
report synthetic --metric city-orders --treated harbour-city --start 2026-02-23 --placebo-start 2025-10-06 --html synthetic.html
# Synthetic difference-in-differences (Arkhangelsky et al. 2021, as the authors' synthdid computes
# it): unit weights with an intercept and a ridge penalty, time weights on the pre-period weeks that
# resemble the post-period, and a placebo standard error from donors playing the treated city.
report synthetic --metric city-orders --treated harbour-city --start 2026-02-23 --method sdid --replications 100
\format json
report synthetic --metric city-orders --treated harbour-city --start 2026-02-23 --no-placebos
\format aligned

# Panels also come from outcomes with times: the switchback's basket values summed per region and
# day (UTC), 0 where a region had none.
series from-metric basket --metric basket-by-region --by region --period day
