-- Panel data for geo quasi-experiments: one value per unit (a region, a market), metric and period.
-- Unit-first like every large table. A period is a time; yearly data uses January 1, daily data
-- midnight UTC.
CREATE TABLE series (
    unit   text NOT NULL,
    metric text NOT NULL,
    period timestamptz NOT NULL,
    value  double precision NOT NULL CHECK (value = value AND value <> 'Infinity' AND value <> '-Infinity'),
    PRIMARY KEY (unit, metric, period)
);

-- What each series metric is: complete panels (an outcome) or sparse predictors, its calendar step,
-- and how many cells an import filled.
CREATE TABLE series_metrics (
    metric      text PRIMARY KEY CHECK (metric <> ''),
    sparse      boolean NOT NULL,
    step        text,
    units       integer NOT NULL,
    periods     integer NOT NULL,
    filled      integer NOT NULL DEFAULT 0,
    fill        text,
    imported_at timestamptz NOT NULL DEFAULT now()
);
