# Chapter 8: from your app. `causeway serve` is the API host of GrowthBook's SDKs: an app fetches
# the payload once and assigns locally, exactly as `assign` does, then sends its exposures back.
# Run by tools/demo with $causeway set, in .demo/ (bash, since it starts a server and uses curl).
set -euo pipefail
run() { echo "\$ $*" >&2; "$@"; }

# Keys: an SDK key for the payload, an ingest key for exposures (shown once, stored as SHA-256).
sdk=$("$causeway" --format json serve key create --kind sdk --name demo-web | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')
ingest=$("$causeway" --format json serve key create --kind ingest --name demo-pipeline | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')
run "$causeway" serve key list

# The payload as a file, and the same from the server (loopback, a free port).
run "$causeway" experiment export checkout-button --format growthbook --out growthbook.json
"$causeway" serve --listen 127.0.0.1:0 2> serve.log &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "^serving on" serve.log && break; sleep 0.1; done
base=$(grep "^serving on" serve.log | head -1 | cut -d' ' -f3)
echo "serving on $base" >&2
run curl -s "$base/healthz"; echo
echo "\$ curl -s $base/api/features/SDK_KEY | python3 -m json.tool | head -40" >&2
curl -s "$base/api/features/$sdk" | python3 -m json.tool | head -40

# Exposures from the SDK's tracking callback: user-7 saw checkout-button's arm. Sent twice (a retry):
# stored once. Then a bad batch: 400 with the reason, nothing stored.
arm=$("$causeway" --format json assign checkout-button user-7 | python3 -c 'import json, sys; print(json.load(sys.stdin)["arm"])')
body="[{\"unit\":\"user-7\",\"experiment\":\"checkout-button\",\"variation\":\"$arm\",\"timestamp\":\"2026-11-24T09:00:00Z\"},
       {\"unit\":\"user-8\",\"experiment\":\"checkout-button\",\"variation\":0,\"timestamp\":\"2026-11-24T09:01:00Z\"}]"
for _ in 1 2; do
    echo "\$ curl -X POST $base/api/exposures -H 'Authorization: Bearer INGEST_KEY' -d '[…2 events…]'" >&2
    curl -s -o /dev/null -w "%{http_code}\n" -X POST "$base/api/exposures" -H "Authorization: Bearer $ingest" -d "$body"
done
echo "\$ curl -X POST $base/api/exposures -H 'Authorization: Bearer INGEST_KEY' -d '[{\"unit\":\"user-9\",\"experiment\":\"nope\",…}]'" >&2
curl -s -w " %{http_code}\n" -X POST "$base/api/exposures" -H "Authorization: Bearer $ingest" \
    -d '[{"unit":"user-9","experiment":"nope","variation":0,"timestamp":"2026-11-24T09:02:00Z"}]'
kill -TERM "$server"
wait "$server" || true
trap - EXIT
echo "\$ tail -3 serve.log   (one line per request; keys never appear)" >&2
tail -3 serve.log

# SDK logs collected elsewhere come in as a file; experiment show counts exposed units per arm with
# their own SRM check and any SDK that disagreed with the stored arm.
run "$causeway" import exposures ../tools/demo.d/data/exposures.csv
run "$causeway" experiment show checkout-button
run "$causeway" report lift checkout-button --metric revenue --exposed
