# Chapter 4: uplift models.
# A voucher campaign with known effects: 20,000 customers with features x1…x5, a randomized 50/50
# voucher, and a purchase outcome with a logistic response. "Sleeping dogs" (x1 > 0.8) are put off
# by the voucher; "sure things" (x2 > 1.2) buy anyway; the rest are persuadable. Every unit's true
# effect is stored, so models are scored against the truth (PEHE).
simulate units 20000 --setup binary --name voucher-test --seed 7

# A T-learner (one XGBoost model per arm) and an X-learner (Künzel et al.). 30% of the units are
# held out by a hash of the model's name; they are never trained on.
model train voucher-t --experiment voucher-test --outcome y --learner t
model train voucher-x --experiment voucher-test --outcome y --learner x --calibrate

# The registry: parameters, held-out metrics (PEHE against the truth, and the PEHE of predicting
# the mean effect for everyone, the constant to beat), serialized boosters in PostgreSQL.
model list
model show voucher-x

# Per-unit uplift for every customer, written to the scores table with COPY.
model score voucher-x

# Observational data (Nie & Wager's setup D, treatment confounded by x1 and x2): propensities are
# estimated by logistic regression and clipped, and the doubly robust learner cross-fits.
simulate units 20000 --setup D --name setup-d --seed 1
model train setup-d-dr --experiment setup-d --outcome y --learner dr
