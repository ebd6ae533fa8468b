# Chapter 1: the store.
# With no --db, DATABASE_URL or PG* variables, causeway runs a private PostgreSQL under
# .causeway/postgres: created on first use, left running, stopped with `db stop`.
db start
db migrate
db status

# Every command can answer in JSON (or CSV) for scripts.
\format json
db status
\format aligned

# The commands so far; `help db migrate` or `db migrate --help` shows one command's usage.
help
