# Chapter 7: network exposure. On a social graph, treating one user changes what their friends
# do, and an ordinary A/B test is biased. A generated small-world graph (Watts–Strogatz: 20,000
# users, 10 friends each, 10% of links rewired); edges naming unknown units would be counted.
simulate graph 20000 --edges social-edges.csv --units social-units.csv --k 10 --rewire 0.1 --seed 11
import units social-units.csv
graph import social social-edges.csv
graph list

# Graph cluster randomization: Louvain communities (or 3-net balls) become the clusters of a
# cluster design, so most friends share an arm.
graph clusters social --method 3net --mapping social-3net
graph clusters social --method louvain
experiment create referral-boost --design cluster --clusters social --arms control:50,treatment:50
experiment start referral-boost
assign referral-boost --units social-units.csv

# Outcomes with a planted direct effect (+0.5 sessions) and a spillover (+1.0 when every friend is
# treated): launching to everyone would add 1.5. The lift report compares arms and ignores the graph.
simulate spillover referral-boost --graph social --metric sessions --direct 0.5 --spillover 1.0 --seed 4
report lift referral-boost --metric sessions

# Each ego's motifs under the assignment: treated friends, closed and open triads by treated alters.
graph motifs social --experiment referral-boost --out motifs.csv

# The spillover report: exposure conditions (own arm × neighbourhood), their probabilities from
# 200 re-runs of the design with fresh salts, Hájek means and the total effect (t1 − c0) with
# Aronow–Samii intervals; a cluster design rarely leaves a treated user with no treated friend, so
# direct and indirect effects fall below the positivity floor and are reported as such.
report spillover referral-boost --graph social --metric sessions --html spillover.html

# Aronow–Samii's variance is valid but, under a cluster design, several times too wide (every pair of
# users in one cluster that can never be in t1 and c0 together adds a conservative term). The
# dependence-robust standard error sums the linearised residuals over the pairs that share a cluster.
report spillover referral-boost --graph social --metric sessions --interval robust --no-tree

# A user split on the same graph: every condition occurs, so direct and indirect effects are
# estimable under fractional exposure (at least 70% of friends treated, or at least 70% in control),
# while the naive difference in means sees only the direct effect. Here "exposed" means about three
# quarters of friends treated and "not" about a quarter, so the planted indirect effect is about
# 1.0 × 0.5 and the total about 0.5 + 0.5, not the 1.5 of a full launch: the contrasts compare the
# conditions the design produces.
experiment create referral-user --arms control:50,treatment:50
experiment start referral-user
assign referral-user --units social-units.csv
simulate spillover referral-user --graph social --metric sessions_user --direct 0.5 --spillover 1.0 --seed 5
report spillover referral-user --graph social --metric sessions_user --exposure fraction:0.7 --html spillover-user.html

# A bare edge list is enough: as in networkx or igraph, the nodes come from the edges. Members
# the store has not seen become units of the graph's type (counted); the self-loop is dropped.
graph import club ../tools/demo.d/data/club-edges.csv --unit-type member
graph list
