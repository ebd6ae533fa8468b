-- Capping for long-tailed metrics, as GrowthBook does: each unit's value (its total) is capped
-- before analysis, at a fixed value or at a percentile of the experiment's units' values in the
-- phase, computed when a report runs. Only mean metrics are capped; a ratio's parts carry their own.
ALTER TABLE metrics
    ADD COLUMN cap double precision CHECK (cap = cap AND cap <> 'Infinity' AND cap <> '-Infinity'),
    ADD COLUMN cap_percentile double precision CHECK (cap_percentile > 0 AND cap_percentile < 1),
    ADD CONSTRAINT metrics_one_cap CHECK (cap IS NULL OR cap_percentile IS NULL),
    ADD CONSTRAINT metrics_cap_on_means CHECK ((cap IS NULL AND cap_percentile IS NULL) OR kind = 'mean');
