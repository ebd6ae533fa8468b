-- causeway serve: exposures that SDKs report, and the keys the server checks.

-- One row per exposure event: a unit saw an experiment's variation at a time. Unit-first, as every
-- large table (distributed by unit under Citus). The key makes a retried batch harmless: the same
-- event again (unit, experiment, phase, time, variation) is not stored twice.
CREATE TABLE exposures (
    unit          text NOT NULL,
    experiment_id bigint NOT NULL,
    phase         integer NOT NULL,
    variation     text NOT NULL,
    ts            timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit, experiment_id, phase, ts, variation)
);
CREATE INDEX exposures_by_experiment ON exposures (experiment_id, phase);

-- Keys for causeway serve, stored as the hex SHA-256 of the key, never the key itself; `prefix` is
-- the key's first characters, enough to tell keys apart in a listing.
CREATE TABLE serve_keys (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('sdk', 'ingest')),
    name       text NOT NULL DEFAULT '',
    key_sha256 text NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
    prefix     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
