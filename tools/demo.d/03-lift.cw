# Chapter 3: lift reports.
# Outcomes with known effects (tools/simulate-outcomes: revenue +0.40, conversion 10% → 12%),
# and a pre-period revenue metric for CUPED.
import outcomes ../tools/demo.d/data/revenue.csv --metric revenue
import outcomes ../tools/demo.d/data/revenue_pre.csv --metric revenue_pre
import outcomes ../tools/demo.d/data/converted.csv --metric converted --kind proportion
metric create revenue_per_conversion --kind ratio --numerator revenue --denominator converted
metric list

# Welch intervals for absolute lift, the delta method for relative lift and ratio metrics,
# Holm's correction across metrics, and the SRM verdict. Each import and assignment keeps the
# arms' sums up to date in its own transaction, so the report reads a few dozen rows at any size
# (10 million units: a few milliseconds, docs/benchmarks.md); Swift never sees a row.
\timing on
report lift checkout-button --metric revenue --metric converted --metric revenue_per_conversion
\timing off

# Rows changed outside Causeway (psql, a user's script) are not followed by the kept sums:
# --verify recomputes the experiment's sums from its rows and says whether they agree, and
# db rebuild-sums recomputes every kept sum from the rows.
report lift checkout-button --metric revenue --verify
db rebuild-sums

# CUPED with the pre-period metric: the same effect, a narrower interval.
report lift checkout-button --metric revenue --cuped revenue_pre

# The next test on revenue, planned from this one's data: CUPED's pre-period metric cuts the
# variance, and so the units needed.
experiment plan --metric revenue --experiment checkout-button --mde 0.01 --relative --units-per-day 500
experiment plan --metric revenue --experiment checkout-button --cuped revenue_pre --mde 0.01 --relative --units-per-day 500

# A daily readout: sequential intervals (GrowthBook's, Waudby-Smith et al. 2023) stay valid however
# often the team looks, so this can run every morning and stop the test the day it turns up.
report lift checkout-button --metric revenue --metric converted --sequential

# GrowthBook's Bayesian engine: chance to win and the expected loss (risk) of each decision, with a
# flat prior or a Gaussian prior on the relative lift. The page plots each arm's posterior.
report lift checkout-button --metric revenue --metric converted --engine bayesian
report lift checkout-button --metric revenue --engine bayesian --prior-mean 0 --prior-sd 0.05 --html bayesian.html

# Long-tailed revenue, capped at the experiment's 99th percentile before analysis (GrowthBook's
# percentile capping), then uncapped again.
metric set revenue --cap-percentile 0.99
report lift checkout-button --metric revenue --cuped revenue_pre
metric set revenue --no-cap

# A breakdown by country, from unit attributes: each slice with its lift, interval and SRM check,
# Holm across all slices. Exploratory: the test was powered for the whole, not for each country.
import units ../tools/demo.d/data/user-attributes.csv
report lift checkout-button --metric revenue --by country

# The cluster test: couriers share their geo cell's arm, so the cell is the unit of variance
# (cluster-robust CR1 errors, t with G − 1 degrees of freedom). True effect: +1.5 deliveries.
import outcomes ../tools/demo.d/data/deliveries.csv --metric deliveries
report lift courier-bonus --metric deliveries

# The switchback: basket values by region and time; the first 5 minutes after each switch are
# dropped. It ran the optimal design for carryover 2, so the Horvitz–Thompson estimator of Bojinov,
# Simchi-Levi & Zhao estimates the effect of treatment held for three windows, with its conservative
# variance. True lag-2 effect: +2.0. (Without --carryover, the report regresses window means on the
# arm with region and time-of-day fixed effects, errors clustered by region-day.)
import outcomes ../tools/demo.d/data/baskets.csv --metric basket
report lift surge-pricing --metric basket --html switchback.html

# The universal holdout: the measurement group against the 5% holdout, overall and per day.
report holdout --metric revenue --by day

# Reports as self-contained HTML pages with SVG charts (open them in a browser).
report lift checkout-button --metric revenue --metric converted --metric revenue_per_conversion --html lift.html
report holdout --metric revenue --html holdout.html

# For scripts, JSON carries every number whole (a double's shortest round-trip form); only aligned
# output and HTML round for people. Compare the treatment row with the table above.
\format json
report lift checkout-button --metric revenue
\format aligned
