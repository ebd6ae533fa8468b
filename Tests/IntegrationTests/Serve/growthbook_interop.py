# Points GrowthBook's Python SDK (growthbook==4.0.0, from PyPI) at a running `causeway serve` and
# evaluates every experiment for every id; writes "id<TAB>experiment<TAB>variation" lines (an empty
# variation: not in the experiment), and posts the SDK's tracking callbacks as exposures in batches
# of 1,000. Run by ServeTests.testGrowthBookSDKAssignsExactlyAsCauseway:
#   python growthbook_interop.py API_HOST SDK_KEY INGEST_KEY IDS_FILE CLUSTER_ATTRIBUTE OUT_FILE EXPERIMENT...
import json
import sys
import urllib.request

from growthbook import GrowthBook

api_host, sdk_key, ingest_key, ids_file, cluster_attribute, out_file = sys.argv[1:7]
experiments = sys.argv[7:]
pending = []
posted = 0


def post(batch):
    request = urllib.request.Request(api_host + "/api/exposures", data=json.dumps(batch).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + ingest_key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 204, response.status


current = {"id": None}


def viewed(experiment, result, user_context=None):
    global posted
    pending.append({"unit": current["id"], "experiment": experiment.key, "variation": result.variationId,
                    "timestamp": "2026-12-06T12:00:00Z"})
    if len(pending) == 1000:
        post(pending)
        posted += len(pending)
        pending.clear()


gb = GrowthBook(api_host=api_host, client_key=sdk_key, on_experiment_viewed=viewed)
gb.load_features()
assert set(experiments) <= set(gb.get_features().keys()), sorted(gb.get_features().keys())
with open(ids_file) as ids, open(out_file, "w") as out:
    for line in ids:
        unit, cluster = line.rstrip("\n").split(",")
        current["id"] = unit
        gb.set_attributes({"id": unit, cluster_attribute: cluster})
        gb._tracked.clear()  # one exposure per unit and experiment, also for units sharing a cluster
        for key in experiments:
            result = gb.eval_feature(key)
            arm = result.value if result.source == "experiment" and result.experimentResult.inExperiment else ""
            out.write(f"{unit}\t{key}\t{arm}\n")
if pending:
    post(pending)
    posted += len(pending)
print(json.dumps({"posted": posted}))
