# Chapter 8: from your app. `causeway serve` is the API host of GrowthBook's SDKs: an app fetches
# the payload once and assigns locally, exactly as `assign` does, then sends its exposures back.
# Run by tools/demo with $causeway set, in .demo/ (bash, since it starts a server and uses curl).
set -euo pipefail
run() { echo "\$ $*" >&2; "$@"; }

# Keys: an SDK key for the payload, an ingest key for exposures (shown once, stored as SHA-256).
sdk=$("$causeway" --format json serve key create --kind sdk --name demo-web | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')
ingest=$("$causeway" --format json serve key create --kind ingest --name demo-pipeline | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')
run "$causeway" serve key list

# checkout-button changed its weights in chapter 2: its stored units keep their arms here, but an
# SDK would hash them under the new weights, so the export refuses it and says why.
run "$causeway" experiment export checkout-button --format growthbook || true

# A new experiment for the app, behind the same 5% holdout; its payload as a file, and the same from
# the server (loopback, a free port).
run "$causeway" experiment create new-checkout --arms control:50,treatment:50
run "$causeway" experiment start new-checkout
run "$causeway" experiment export --format growthbook --out growthbook.json
"$causeway" serve --listen 127.0.0.1:0 2> serve.log &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "^serving on" serve.log && break; sleep 0.1; done
base=$(grep "^serving on" serve.log | head -1 | cut -d' ' -f3)
echo "serving on $base" >&2
run curl -s "$base/healthz"; echo
echo "\$ curl -s $base/api/features/SDK_KEY   (new-checkout's feature shown)" >&2
curl -s "$base/api/features/$sdk" > payload.json
python3 -c 'import json; d = json.load(open("payload.json")); print(sorted(d["features"])); print(json.dumps(d["features"]["new-checkout"], indent=1))' 

# Exposures from the SDK's tracking callback: two users saw new-checkout's arms (the SDK computed
# them locally; assign prints the same; held-out users see no experiment). Sent twice (a retry):
# stored once. Then a bad batch: 400 with the reason, nothing stored.
events=()
for i in $(seq 7 60); do
    arm=$("$causeway" --format json assign new-checkout "user-$i" | python3 -c 'import json, sys; print(json.load(sys.stdin)["arm"] or "")')
    [ -n "$arm" ] && events+=("{\"unit\":\"user-$i\",\"experiment\":\"new-checkout\",\"variation\":\"$arm\",\"timestamp\":\"2026-11-24T09:00:00Z\"}")
    [ ${#events[@]} -eq 2 ] && break
done
body="[${events[0]},${events[1]}]"
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
run "$causeway" experiment show new-checkout
echo "\$ tail -3 serve.log   (one line per request; keys never appear)" >&2
tail -3 serve.log

# SDK logs collected elsewhere come in as a file; experiment show counts exposed units per arm with
# their own SRM check and any SDK that disagreed with the stored arm.
run "$causeway" import exposures ../tools/demo.d/data/exposures.csv
run "$causeway" experiment show checkout-button
run "$causeway" report lift checkout-button --metric revenue --exposed
