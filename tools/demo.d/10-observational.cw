# Chapter 10: an observational study. The loyalty programme was opt-in, so no experiment ran: 3,000
# customers chose whether to join, more often when they had spent more, had been customers longer or
# lived in the north. tools/simulate-outcomes planted +5.0 of next-quarter spend for joining.
study create loyalty --data ../tools/demo.d/data/loyalty.csv --treatment joined --outcome spend_next_quarter --covariates region,tenure_years,past_spend,age --categorical region --unit customer
study show loyalty
# Propensity overlap first: who could have gone either way?
study estimate loyalty --method ipw
# Every method side by side. OLS and IPW are linear in past spend and miss its curve, so they
# overstate the effect (7.2, 7.3); matching narrows the gap; AIPW (a logistic propensity, XGBoost
# outcome models, cross-fitted) finds 4.98 and DML's partially linear model 4.65 — DoubleML 0.11
# gives 4.65 to 4.70 on this file too.
study report loyalty --benchmark tenure_years --html loyalty.html
# Balance after matching on the covariates (the Love plot is in the page).
study balance loyalty --method match --html loyalty-balance.html
# DoWhy's refuters on AIPW, with spend before the launch as an outcome joining cannot have moved.
study refute loyalty --method aipw --placebo-outcome spend_before_launch
# How strong would a hidden confounder have to be? Robustness values, bounds at 1–3× tenure, E-values.
study sensitivity loyalty --benchmark tenure_years --method ols,aipw --html loyalty-sensitivity.html
\format json
study estimate loyalty --method aipw --estimand att
\format aligned
