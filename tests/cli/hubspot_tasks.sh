#!/bin/sh
# hubspot_tasks.sh - the HubSpot sink against the loopback fake: `run`
# creates one HubSpot task per open review task on its deal, for the
# manager (or default_task_owner), in batches; a rerun creates none; a
# disposition a manager records on a completed task is read back into
# the ledger (a second time refused quietly); a batch create that timed
# out after the portal made the tasks is found on the next run, not made
# twice; the source never reads the review tasks back as activities.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
asof=2026-11-20T12:00:00Z
db="$dir/stageguard.db"
HS_TOKEN=pat-test-token
FAKE_TOKEN=$HS_TOKEN
export HS_TOKEN FAKE_TOKEN
q() { sqlite3 "$db" "$1"; }

start_server "$top_srcdir/tools/hubspot_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3

# hubspot_config FILE SINK-EXTRA: the basic rules reading from and
# writing to the fake.
hubspot_config() {
	$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
common = {"base_url": sys.argv[3], "token_env": "HS_TOKEN"}
source = dict(common, managers={"u1": "m1"},
              properties={"next_step_date": "next_step_date",
                          "segment": "segment"},
              evidence_object={"object": "2-9000001",
                               "criterion": "criterion", "value": "value",
                               "party": "party",
                               "observed_at": "observed_at", "ref": "ref"})
sink = dict(common, default_task_owner="m1", **json.loads(sys.argv[4]))
c["sources"] = {"hubspot": source}
c["sinks"] = {"hubspot": sink}
json.dump(c, open(sys.argv[2], "w"), indent=1)' \
		"$dir/stageguard.json" "$1" "$base" "$2"
}
cfg="$dir/hs.json"
hubspot_config "$cfg" '{}'

# The tasks in the fake portal, as the API lists them, page by page.
portal_tasks() {
	$PYTHON3 -c 'import json, sys, urllib.request
url = sys.argv[1] + ("/crm/v3/objects/tasks?limit=100&associations=deals&"
                     "properties=hs_task_subject,hubspot_owner_id,hs_task_body")
r, after = [], None
while True:
    req = urllib.request.Request(url + ("&after=" + after if after else ""))
    req.add_header("Authorization", "Bearer " + sys.argv[2])
    page = json.load(urllib.request.urlopen(req))
    r += page["results"]
    after = page.get("paging", {}).get("next", {}).get("after")
    if not after:
        break
print(len(r), len({t["properties"]["hs_task_body"].split()[-1] for t in r}),
      sorted({t["properties"]["hubspot_owner_id"] for t in r}),
      all(t["properties"]["hs_task_subject"].startswith("stageguard review: ")
          and t["associations"]["deals"]["results"] for t in r))' \
		"$base" "$HS_TOKEN"
}

SOURCE_DATE_EPOCH=1795000000 sg run -c "$cfg" --as-of $asof -v
expect_status 0 "a run writing tasks to HubSpot"
expect_err "10 review tasks created, 0 found" "ten tasks"
expect_err "POST $base/crm/v3/objects/tasks/batch/create: 1 requests" \
	"in one batch"
expect_eq "$(portal_tasks)" "10 10 ['m1'] True" \
	"one task per exception, on its deal, for the manager"
expect_eq "$(q "select count(*) from task_refs where sink = 'hubspot' and ref like '9%'")" 10 \
	"the HubSpot ids kept"

SOURCE_DATE_EPOCH=1795000100 sg run -c "$cfg" --as-of $asof -v
expect_status 0 "the run again"
expect_err "0 review tasks created" "no duplicate"
expect_eq "$(portal_tasks | cut -d' ' -f1)" 10 "still ten tasks"

# A manager approves one in HubSpot.
task=$(q "select ref from task_refs limit 1")
exception=$(q "select exception_id from task_refs where ref = '$task'")
fake_call PATCH "/crm/v3/objects/tasks/$task" '{"properties": {"hs_task_status": "COMPLETED", "stageguard_disposition": "approve", "hs_task_completion_date": "2026-11-20T15:00:00.000Z"}}' >/dev/null
SOURCE_DATE_EPOCH=1795000200 sg run -c "$cfg" --as-of 2026-11-21T00:00:00Z -v
expect_status 0 "the run that reads it back"
expect_err "1 dispositions recorded, 0 recorded before" "recorded"
expect_eq "$(q "select status || ' ' || disposition || ' ' || decided_by from tasks where exception_id = '$exception'")" \
	"closed approve hubspot owner m1" "as review decide records it"
SOURCE_DATE_EPOCH=1795000300 sg run -c "$cfg" --as-of 2026-11-21T00:00:00Z -v
expect_status 0 "a later run"
expect_err "0 dispositions recorded, 1 recorded before" "not twice"

# More completed tasks than one search reaches (a cap of ten, three a
# page): read back in windows by modification time, never past the cap.
for task in $(q "select ref from task_refs where ref <> '$task' limit 5"); do
	fake_call PATCH "/crm/v3/objects/tasks/$task" '{"properties": {"hs_task_status": "COMPLETED", "stageguard_disposition": "approve"}}' >/dev/null
done
hubspot_config "$dir/capped.json" '{"search_result_cap": 10}'
SOURCE_DATE_EPOCH=1795000350 sg run -c "$dir/capped.json" --as-of 2026-11-21T00:00:00Z -v
expect_status 0 "a read-back past the cap"
expect_err "5 dispositions recorded, 1 recorded before" "reads all six"
expect_eq "$(q "select count(*) from tasks where status = 'closed' and decided_by like 'hubspot owner%'")" \
	6 "six decided from HubSpot"
expect_err "POST $base/crm/v3/objects/tasks/search: 3 requests" \
	"in three windows of one page"

# The activities a pull reads are the portal's, never stageguard's tasks.
sg pull -c "$cfg"
expect_out "activities                         4" "no review task as an activity"
stop_server

# A batch create answered too late: the portal made the tasks, the run
# fails (exit 4), and the next run finds them instead of making more.
start_server "$top_srcdir/tools/hubspot_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3
rm -f "$db"
hubspot_config "$dir/slow.json" '{"timeout_ms": 700}'
hubspot_config "$cfg" '{}'
fake_call POST /_fake/fault '{"path": "/_slow_create", "kind": "slow", "count": 1}' >/dev/null
SOURCE_DATE_EPOCH=1795000400 sg run -c "$dir/slow.json" --as-of $asof
expect_status 4 "a create that timed out"
expect_err "may have acted on it" "says the tasks may exist"
expect_eq "$(q "select count(*) from task_refs where ref = ''")" 10 \
	"the ten marked unknown"
sleep 2
SOURCE_DATE_EPOCH=1795000500 sg run -c "$cfg" --as-of $asof -v
expect_status 0 "the run after"
expect_err "0 review tasks created, 10 found" "found, not made"
expect_eq "$(portal_tasks | cut -d' ' -f1)" 10 "no duplicate in HubSpot"
stop_server

finish
