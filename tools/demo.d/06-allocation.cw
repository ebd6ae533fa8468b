# Chapter 6: budget allocation policies (the solver is built; `allocate` comes next).
# A policy names the objective, the budget, the voucher levels with their expected costs and caps,
# segment budgets and exclusions; `policy check` validates it and says what it asks for.
policy check ../policies/voucher-conversions.toml
policy check ../policies/voucher-profit-segments.toml
