# Chapter 6: budget allocation: policies, the report against baselines, a policy experiment.
# A policy names the objective, the budget, the voucher levels with their expected costs and caps,
# segment budgets and exclusions; `policy check` validates it and says what it asks for.
policy check ../policies/voucher-conversions.toml
policy check ../policies/voucher-profit-segments.toml

# A voucher campaign with three levels (face values 5, 10, 15), a T-learner per level, its scores,
# and a dry run of the first policy: who gets which voucher within 2,000, the universal holdout and
# the sleeping dogs excluded, with the certificate (value, bound, gap) and the report: spend per
# segment and arm, and what the same budget buys by random targeting, by targeting the highest
# predicted response (the T-learner's response models), and by the best single voucher for
# everyone it affords. The units are simulated, so the true incremental conversions stand beside
# the predicted ones: the policy's prediction is optimistic (it picked the units its model likes
# best), yet its true gain is still several times the baselines'.
simulate units 20000 --setup vouchers --arms 3 --name spring-campaign --seed 3
model train spring-t --experiment spring-campaign --outcome y --learner t
model score spring-t
allocate ../policies/voucher-conversions.toml --model spring-t --dry-run --html allocation.html
\echo wrote .demo/allocation.html: value against spend for the policy and the baselines

# Then the run for real: the certificate, the report and every decision stored under a run id in
# one transaction, and read back.
allocate ../policies/voucher-conversions.toml --model spring-t
allocation show 1

# Policy evaluation: the same policy as an experiment. The scored units are split 50/50 between a
# random policy and the uplift policy, each with half the budget, behind the universal holdout;
# once the campaign's outcomes are imported, `report lift spring-eval --metric M` compares them.
allocate ../policies/voucher-conversions.toml --model spring-t --experiment spring-eval
experiment show spring-eval
