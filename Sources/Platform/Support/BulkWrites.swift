import Postgres

extension Connection {
    /// Before a bulk COPY into `outcomes` or `assignments`, inside its transaction. Their statement
    /// triggers (schema 0006) see the written rows as a transition table, which PostgreSQL holds in
    /// work_mem while the statement runs. At the default 4 MB a million rows spill to disk, which
    /// cost 0.3–1 s per million assignments. The setting lasts for this transaction only.
    func keepTransitionRowsInMemory() throws { try execute("SET LOCAL work_mem = '256MB'") }
}
