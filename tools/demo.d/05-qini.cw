# Chapter 5: judging uplift models with Qini curves.
# Each model is judged on its own held-out units (never the ones it trained on): scikit-uplift's
# normalised Qini and uplift AUC scores (0 is random, 1 is perfect), uplift among the top 10/20/30 %,
# CausalML's qini_score and auuc_score, 95% bootstrap intervals, and the decile table, in which the
# sleeping dogs show up as negative uplift at the bottom.
qini voucher-t --bootstrap 200
qini voucher-x --bootstrap 200 --html qini.html

# Scores made elsewhere: a CSV with outcome, treatment and one column per model
# (the published test vector of CausalML and scikit-uplift).
qini --scores ../tools/demo.d/data/vector-a.csv
