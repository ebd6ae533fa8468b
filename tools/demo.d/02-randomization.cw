# Chapter 2: randomization.
# A universal holdout first: 5% of units never receive any treatment or campaign.
holdout set --percent 5
holdout check user-42

# Plan before launch: a 2% lift in revenue (mean 20, sd 2) at 80% power, with 500 users a day.
# Two-sided, the normal approximation (statsmodels' NormalIndPower); --sequential gives the units
# the always-valid intervals need, for a team that will look every day.
experiment plan --metric revenue --baseline-mean 20 --baseline-sd 2 --mde 0.02 --relative --units-per-day 500
experiment plan --metric revenue --baseline-mean 20 --baseline-sd 2 --mde 0.02 --relative --units-per-day 500 --sequential

# A user-level A/B test. Hashing is GrowthBook's (FNV-1a, hash version 2): the same unit lands in
# the same arm on every machine, forever.
experiment create checkout-button --arms control:50,treatment:50
experiment start checkout-button
assign checkout-button user-7
assign checkout-button user-7
assign checkout-button --units ../tools/demo.d/data/users.csv

# Weights can change while it runs; assigned units stay where they are (sticky), new ones follow
# the new weights. The SRM check compares each unit with the weights in force when it arrived.
experiment set checkout-button --arms control:20,treatment:80
assign checkout-button --units ../tools/demo.d/data/users.csv
experiment show checkout-button

# A switchback: regions × 30-minute windows aligned to UTC midnight, a 5-minute burn-in after each
# switch, and the Bojinov–Simchi-Levi–Zhao optimal design for carryover 2 (96 periods: two days).
experiment create surge-pricing --design switchback --arms control:50,treatment:50 \
    --regions north,south,east,west,central,harbour --window 30m --burn-in 5m --carryover 2 --periods 96 \
    --start 2026-11-23T08:00Z
experiment start surge-pricing
assign surge-pricing order-1 --at 2026-11-23T08:03Z --region north
assign surge-pricing order-2 --at 2026-11-23T10:40Z --region south
experiment show surge-pricing --windows 12

# A cluster test: couriers in the same geo cell share one draw.
import clusters ../tools/demo.d/data/courier-cells.csv --mapping city-cells
experiment create courier-bonus --design cluster --clusters city-cells --arms control:50,treatment:50
experiment start courier-bonus
assign courier-bonus courier-3
assign courier-bonus --units ../tools/demo.d/data/couriers.csv

# Mutually exclusive experiments share a layer and take disjoint ranges; overlaps are refused.
experiment create banner-a --arms control:50,treatment:50 --layer homepage --range 0:0.5
experiment create banner-b --arms control:50,treatment:50 --layer homepage --range 0.5:1
experiment list
holdout show
