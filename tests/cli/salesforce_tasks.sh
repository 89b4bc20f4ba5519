#!/bin/sh
# salesforce_tasks.sh - the Salesforce sink against the loopback fake:
# `run` creates one Task per open review task on its opportunity, for
# the manager (or default_task_owner), through sObject collections; a
# rerun creates none; a disposition a manager records on a closed Task
# is read back into the ledger (a second time refused quietly); a batch
# whose answer was cut after the org made the Tasks is found by the next
# run, not made twice; the source never reads the review Tasks back.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
asof=2026-11-20T12:00:00Z
db="$dir/stageguard.db"
SF_CLIENT_ID=sf-client-id
SF_CLIENT_SECRET=sf-client-secret
SF_REFRESH_TOKEN=sf-refresh-token
FAKE_TOKEN=sf-test-session
export SF_CLIENT_ID SF_CLIENT_SECRET SF_REFRESH_TOKEN FAKE_TOKEN
q() { sqlite3 "$db" "$1"; }

start_server "$top_srcdir/tools/salesforce_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3 --token "$FAKE_TOKEN"

# salesforce_config FILE: the basic rules reading from and writing to
# the fake.
salesforce_config() {
	$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
common = {"base_url": sys.argv[3], "client_id_env": "SF_CLIENT_ID",
          "client_secret_env": "SF_CLIENT_SECRET",
          "refresh_token_env": "SF_REFRESH_TOKEN"}
c["sources"] = {"salesforce": dict(common,
    opportunity_filter={"RecordType.Name": "New business"},
    fields={"next_step_date": "Next_Step_Date__c", "segment": "Segment__c"},
    buyer_users=["005000000000BUYAAA"],
    evidence_object={"object": "Stage_Evidence__c",
                     "opportunity": "Opportunity__c",
                     "criterion": "Criterion__c", "value": "Value__c",
                     "party": "Party__c", "observed_at": "Observed_At__c",
                     "ref": "Ref__c"})}
c["sinks"] = {"salesforce": dict(common, default_task_owner="m1")}
json.dump(c, open(sys.argv[2], "w"), indent=1)' \
		"$dir/stageguard.json" "$1" "$base"
}
cfg="$dir/sf.json"
salesforce_config "$cfg"

# The review Tasks in the fake org, as a SOQL query lists them: how
# many, for how many exceptions, their owners, all on an opportunity.
org_tasks() {
	$PYTHON3 -c 'import json, sys, urllib.parse, urllib.request
q = ("SELECT Id, Subject, OwnerId, WhatId, Description FROM Task "
     "WHERE Subject LIKE '"'"'stageguard review%'"'"'")
url = sys.argv[1] + "/services/data/v62.0/query?q=" + urllib.parse.quote(q)
r = []
while url:
    req = urllib.request.Request(url)
    req.add_header("Authorization", "Bearer " + sys.argv[2])
    page = json.load(urllib.request.urlopen(req))
    r += page["records"]
    url = sys.argv[1] + page["nextRecordsUrl"] if not page["done"] else None
print(len(r), len({t["Subject"].rsplit("[", 1)[1] for t in r}),
      sorted({t["OwnerId"] for t in r}),
      all(t["WhatId"] and "stageguard-exception: " in t["Description"]
          for t in r))' "$base" "$FAKE_TOKEN"
}

SOURCE_DATE_EPOCH=1795000000 sg run -c "$cfg" --as-of $asof -v
expect_status 0 "a run writing Tasks to Salesforce"
expect_err "10 review tasks created, 0 found" "ten Tasks"
expect_err "composite/sobjects: 1 requests" "in one collection"
expect_eq "$(org_tasks)" "10 10 ['m1'] True" \
	"one Task per exception, on its opportunity, for the manager"
expect_eq "$(q "select count(*) from task_refs where sink = 'salesforce' and ref like '00T%'")" 10 \
	"the Task ids kept"

# No secret, nor the access token got at run time ("00D...!AQ..."), in
# any output: the run's own, the ledger, the snapshot.
SOURCE_DATE_EPOCH=1795000050 sg run -c "$cfg" --as-of 2026-11-20T12:30:00Z -v -v
expect_status 0 "a run traced at -vv"
case "$out$err$(sqlite3 "$db" .dump)$(cat "$dir"/salesforce-snapshot/*)" in
*'00D000000000001!AQ'*|*sf-client-secret*|*sf-refresh-token*)
	fail "a secret in an output" ;;
esac

SOURCE_DATE_EPOCH=1795000100 sg run -c "$cfg" --as-of 2026-11-20T12:30:00Z -v
expect_status 0 "the run again"
expect_err "0 review tasks created" "no duplicate"
expect_eq "$(org_tasks | cut -d' ' -f1)" 10 "still ten Tasks"

# A manager approves one in Salesforce.
task=$(q "select ref from task_refs limit 1")
exception=$(q "select exception_id from task_refs where ref = '$task'")
fake_call PATCH "/services/data/v62.0/sobjects/Task/$task" '{"Status": "Completed", "Stageguard_Disposition__c": "approve"}' >/dev/null
SOURCE_DATE_EPOCH=1795000200 sg run -c "$cfg" --as-of 2026-11-21T00:00:00Z -v
expect_status 0 "the run that reads it back"
expect_err "1 dispositions recorded, 0 recorded before" "recorded"
expect_eq "$(q "select status || ' ' || disposition || ' ' || decided_by from tasks where exception_id = '$exception'")" \
	"closed approve salesforce user m1" "as review decide records it"
SOURCE_DATE_EPOCH=1795000300 sg run -c "$cfg" --as-of 2026-11-21T00:00:00Z -v
expect_status 0 "a later run"
expect_err "0 dispositions recorded, 1 recorded before" "not twice"

# The activities a pull reads are the org's, never stageguard's Tasks.
sg pull -c "$cfg"
expect_out "activities                         4" "no review Task as an activity"
stop_server

# A collection whose answer is cut after the org made the Tasks: the run
# fails (exit 4), and the next run finds them instead of making more.
start_server "$top_srcdir/tools/salesforce_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3 --token "$FAKE_TOKEN"
rm -f "$db"
salesforce_config "$cfg"
fake_call POST /_fake/fault '{"path": "/services/data/v62.0/composite/sobjects", "kind": "truncate", "count": 1}' >/dev/null
SOURCE_DATE_EPOCH=1795000400 sg run -c "$cfg" --as-of $asof
expect_status 4 "a create whose answer was cut"
expect_eq "$(q "select count(*) from task_refs where ref = ''")" 10 \
	"the ten marked unknown"
SOURCE_DATE_EPOCH=1795000500 sg run -c "$cfg" --as-of $asof -v
expect_status 0 "the run after"
expect_err "0 review tasks created, 10 found" "found, not made"
expect_eq "$(org_tasks | cut -d' ' -f1)" 10 "no duplicate in Salesforce"
stop_server

finish
