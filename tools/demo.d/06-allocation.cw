# Chapter 6: budget allocation: policies and a dry run.
# A policy names the objective, the budget, the voucher levels with their expected costs and caps,
# segment budgets and exclusions; `policy check` validates it and says what it asks for.
policy check ../policies/voucher-conversions.toml
policy check ../policies/voucher-profit-segments.toml

# A voucher campaign with three levels (face values 5, 10, 15), a T-learner per level, its scores,
# and a dry run of the first policy: who gets which voucher within 2,000, the universal holdout and
# the sleeping dogs excluded, with the certificate (value, bound, gap). Then the run for real: the
# certificate and every decision stored under a run id in one transaction.
simulate units 20000 --setup vouchers --arms 3 --name spring-campaign --seed 3
model train spring-t --experiment spring-campaign --outcome y --learner t
model score spring-t
allocate ../policies/voucher-conversions.toml --model spring-t --dry-run
allocate ../policies/voucher-conversions.toml --model spring-t
allocation show 1
