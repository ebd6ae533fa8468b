-- Graphs for network-exposure analysis: one row per graph, its edges in graph_edges (unit first,
-- so the table can be hash-distributed by unit like assignments and outcomes). Undirected graphs
-- store each edge once; directed graphs store source → target (the source sees the target).

CREATE TABLE graphs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name <> ''),
    directed      boolean NOT NULL,
    unit_type     text NOT NULL,
    nodes         integer NOT NULL CHECK (nodes >= 0),
    edges         bigint NOT NULL CHECK (edges >= 0),
    self_loops    bigint NOT NULL DEFAULT 0,    -- dropped at import
    duplicates    bigint NOT NULL DEFAULT 0,    -- dropped at import
    unknown_edges bigint NOT NULL DEFAULT 0,    -- dropped at import: an end not in units
    source        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- No foreign key per row, as for assignments: rows are written only by `graph import`, in the
-- transaction that (re)creates the graph's row.
CREATE TABLE graph_edges (
    source   text NOT NULL,
    graph_id bigint NOT NULL,
    target   text NOT NULL
);
CREATE INDEX graph_edges_by_graph ON graph_edges (graph_id);
