# Sourced by tools/bench serve: causeway serve under wrk on loopback (issue 19). Expects $pgdir,
# $DATABASE_URL and $serve_seconds.
swift build -c release --product causeway >&2
cw=$(swift build -c release --show-bin-path)/causeway
"$cw" --db "$DATABASE_URL" -c "db migrate" >/dev/null
"$cw" --db "$DATABASE_URL" --on-error-stop -f - >/dev/null <<'EOF'
holdout set --percent 5
experiment create checkout --arms control:50,treatment:50
experiment start checkout
experiment create three --arms a:20,b:30,c:50 --coverage 0.8
experiment start three
EOF
key() { "$cw" --db "$DATABASE_URL" --format json serve key create --kind "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])'; }
sdk=$(key sdk)
CAUSEWAY_INGEST_KEY=$(key ingest)
export CAUSEWAY_INGEST_KEY
"$cw" --db "$DATABASE_URL" serve --listen 127.0.0.1:0 2> "$pgdir/serve.log" &
server=$!
for _ in $(seq 100); do grep -q "^serving on" "$pgdir/serve.log" && break; sleep 0.1; done
base=$(grep "^serving on" "$pgdir/serve.log" | head -1 | cut -d' ' -f3)
echo "== GET /api/features/KEY: wrk -t2 -c64 -d${serve_seconds}s --latency"
wrk -t2 -c64 -d"${serve_seconds}s" --latency "$base/api/features/$sdk"
echo "== POST /api/exposures, 1,000 events a batch: wrk -t1 -c4 -d${serve_seconds}s --latency"
wrk -t1 -c4 -d"${serve_seconds}s" --latency -s tools/bench.d/exposures.lua "$base/api/exposures"
kill -TERM "$server"
wait "$server" || true
events=$(psql -Atc "SELECT count(*) FROM exposures")
echo "events stored: $events ($(awk -v e="$events" -v s="$serve_seconds" 'BEGIN { printf "%.0f", e / s }') per second of the run)"
echo "request log lines: $(grep -c ' path=' "$pgdir/serve.log")"
echo "== yardstick: psql \\copy of the $events events into a bare table"
psql -Atc "COPY (SELECT unit, experiment_id, phase, variation, ts FROM exposures) TO STDOUT" > "$pgdir/events.tsv"
psql -qc "CREATE TABLE bare (unit text, experiment_id bigint, phase int, variation text, ts timestamptz)"
t0=$(date +%s.%N)
psql -qc "\\copy bare FROM '$pgdir/events.tsv'"
t1=$(date +%s.%N)
awk -v e="$events" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "psql \\copy: %.2f s, %.0f events per second\n", t1 - t0, e / (t1 - t0) }'
