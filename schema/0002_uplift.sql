-- Uplift: features, true effects of simulated data, the model registry and scores.

-- A feature set names its columns once; each unit carries its values in that order as packed
-- big-endian float4 (4 bytes a feature, as float4send writes them). Features are Float where the
-- learners take them, and binary COPY hands packed bytes over without any per-value work: COPY out
-- of 1,000,000 units × 12 features took 1.7–2.2 s as float8[] (array_send and subscripts per
-- value) against 0.34 s for the rows without features.
CREATE TABLE feature_sets (
    name       text PRIMARY KEY CHECK (name <> ''),
    columns    text[] NOT NULL CHECK (cardinality(columns) >= 1),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- No per-row foreign key (as for assignments): rows are written only by the feature import and the
-- simulator, which check the set and the arrays' length; feature sets are never deleted.
CREATE TABLE unit_features (
    unit        text NOT NULL,
    feature_set text NOT NULL,
    vals        bytea NOT NULL CHECK (octet_length(vals) > 0 AND octet_length(vals) % 4 = 0),
    PRIMARY KEY (unit, feature_set)
);
CREATE INDEX unit_features_by_set ON unit_features (feature_set);

-- The true effect of each treatment arm for units made by `simulate units`.
CREATE TABLE true_effects (
    unit          text NOT NULL,
    experiment_id bigint NOT NULL,
    arm           text NOT NULL,
    tau           double precision NOT NULL,
    PRIMARY KEY (unit, experiment_id, arm)
);

CREATE TABLE models (
    name           text PRIMARY KEY CHECK (name <> ''),
    id             integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    experiment_id  bigint NOT NULL REFERENCES experiments (id),
    phase          integer NOT NULL,
    outcome        text NOT NULL REFERENCES metrics (name),
    feature_set    text NOT NULL REFERENCES feature_sets (name),
    features       text[] NOT NULL,
    arms           text[] NOT NULL,
    learner        text NOT NULL CHECK (learner IN ('s', 't', 'x', 'dr')),
    base           text NOT NULL CHECK (base IN ('xgboost', 'logistic')),
    -- The fitted model's description (meta-learner, base parameters, propensity, calibration).
    description    jsonb NOT NULL,
    -- Held-out units: GrowthBook hash v2 of (split_seed, unit) below test_fraction.
    split_seed     text NOT NULL,
    test_fraction  double precision NOT NULL CHECK (test_fraction > 0 AND test_fraction < 1),
    training_units integer NOT NULL,
    test_units     integer NOT NULL,
    metrics        jsonb NOT NULL,
    seconds        double precision NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Serialized component learners (XGBoost's UBJSON model, or a linear model's coefficients).
CREATE TABLE model_components (
    model   text NOT NULL REFERENCES models (name) ON DELETE CASCADE,
    name    text NOT NULL,
    payload bytea NOT NULL,
    PRIMARY KEY (model, name)
);

-- Per-unit, per-arm predicted uplift against control, one partition per model (scores_m<id>, made
-- by the first `model score`). Rescoring truncates the model's partition and copies the new rows
-- straight into it in one transaction: no DELETE of a million rows (0.55 s), no index to maintain
-- (a primary key tripled the COPY time of 1,000,000 scores: 1.3 s without, 4.4 s with). The writer
-- holds the model's advisory lock, so (unit, arm) is unique within a partition by construction.
-- The partition bound is the model's integer id, never text from a user.
CREATE TABLE scores (
    unit     text NOT NULL,
    model_id integer NOT NULL,
    arm      text NOT NULL,
    uplift   double precision NOT NULL
) PARTITION BY LIST (model_id);
