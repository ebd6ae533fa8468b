-- Observational studies (issue 20): a catalog row per study and one row per unit, unit-first like
-- every large table (distributed by unit under Citus; studies is a reference table).
CREATE TABLE studies (
    name            text PRIMARY KEY CHECK (name <> ''),
    source          text NOT NULL,
    treatment       text NOT NULL,
    outcome         text NOT NULL,
    -- The covariates as the estimators see them: categoricals one-hot, first level dropped.
    covariates      text[] NOT NULL,
    -- Other numeric columns of the file, kept for negative-control outcomes.
    extra           text[] NOT NULL DEFAULT '{}',
    binary_treatment boolean NOT NULL,
    units           integer NOT NULL CHECK (units > 0),
    treated         integer,
    dropped_missing integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE study_units (
    unit       text NOT NULL,
    study      text NOT NULL REFERENCES studies (name) ON DELETE CASCADE,
    treatment  double precision NOT NULL CHECK (treatment = treatment),
    outcome    double precision NOT NULL CHECK (outcome = outcome),
    covariates double precision[] NOT NULL,
    extra      double precision[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (unit, study)
);
CREATE INDEX study_units_by_study ON study_units (study);
