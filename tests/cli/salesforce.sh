#!/bin/sh
# salesforce.sh - the Salesforce source against the loopback fake
# (tools/salesforce_fake.py) serving the basic fixture as an org, with
# pages of 3 records so every query takes several: the opportunities the
# filter chooses with their OpportunityHistory, the users and their
# managers, the activities and the evidence; the same exceptions as the
# csv source for the same data, byte for byte; both OAuth flows, a
# refused secret, an expired session renewed, retried faults, the daily
# allowance and its reserve, SOQL that no hostile value can change, and
# `init --from salesforce`.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
asof=2026-11-20T12:00:00Z
SF_CLIENT_ID=sf-client-id
SF_CLIENT_SECRET=sf-client-secret
SF_REFRESH_TOKEN=sf-refresh-token
export SF_CLIENT_ID SF_CLIENT_SECRET SF_REFRESH_TOKEN

# salesforce_config FILE EXTRA-JSON: the basic rules with a salesforce
# source reading the fake.
salesforce_config() {
	$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
source = {"base_url": sys.argv[3], "client_id_env": "SF_CLIENT_ID",
          "client_secret_env": "SF_CLIENT_SECRET",
          "refresh_token_env": "SF_REFRESH_TOKEN",
          "opportunity_filter": {"RecordType.Name": "New business"},
          "fields": {"next_step_date": "Next_Step_Date__c",
                     "segment": "Segment__c"},
          "buyer_users": ["005000000000BUYAAA"],
          "evidence_object": {"object": "Stage_Evidence__c",
                              "opportunity": "Opportunity__c",
                              "criterion": "Criterion__c", "value": "Value__c",
                              "party": "Party__c",
                              "observed_at": "Observed_At__c",
                              "ref": "Ref__c"}}
source.update(json.loads(sys.argv[4]))
c["sources"] = {"salesforce": {k: v for k, v in source.items()
                               if v is not None}}
json.dump(c, open(sys.argv[2], "w"), indent=1)' \
		"$dir/stageguard.json" "$1" "$base" "$2"
}

start_server "$top_srcdir/tools/salesforce_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3
cfg="$dir/sf.json"
salesforce_config "$cfg" '{}'

sg pull -c "$cfg" -v
expect_status 0 "pull from Salesforce"
expect_out "opportunities                      7 (7 in pipeline \"default\")" \
	"the filter's opportunities (the renewal left out)"
expect_out "stage events                       12" "their stage history"
expect_out "activities                         4" "the activities"
expect_out "evidence records                   3" "the evidence object"

# The exceptions of the csv source for the same data, with the same ids.
sg check -c "$dir/stageguard.json" --as-of $asof --dry-run --format jsonl
cp "$scratch/.out" "$scratch/csv.jsonl"
sg check -c "$cfg" --as-of $asof --dry-run --format jsonl
expect_status 0 "check through Salesforce"
cp "$scratch/.out" "$scratch/sf.jsonl"
same_exceptions() {
	$PYTHON3 -c 'import json, sys
csv = [json.loads(l) for l in open(sys.argv[1])]
sf = [json.loads(l) for l in open(sys.argv[2])]
print(len(csv), len(sf), csv == sf)' "$scratch/csv.jsonl" "$scratch/sf.jsonl"
}
expect_eq "$(same_exceptions)" "10 10 True" \
	"the csv source's exceptions, the same to the byte"

# Each complete pull is kept in the canonical layout: the same
# exceptions offline.
sg check -c "$dir/stageguard.json" --source "csv:$dir/salesforce-snapshot" \
	--as-of $asof --dry-run --format jsonl
expect_status 0 "the snapshot read by the csv source"
cp "$scratch/.out" "$scratch/sf.jsonl"
expect_eq "$(same_exceptions)" "10 10 True" "the snapshot's exceptions"

tokens='len([r for r in log if r["path"] == "/services/oauth2/token"])'

# Above bulk_threshold records a query goes through Bulk API 2.0: a job,
# polled, its CSV results read two records a set by locator; the same
# exceptions.
salesforce_config "$dir/bulk.json" '{"bulk_threshold": 5,
	"bulk_max_records": 2, "snapshot_dir": ""}'
mark=$(log_mark)
sg check -c "$dir/bulk.json" --as-of $asof --dry-run --format jsonl
expect_status 0 "check through Bulk API 2.0"
cp "$scratch/.out" "$scratch/sf.jsonl"
expect_eq "$(same_exceptions)" "10 10 True" "Bulk: the csv source's exceptions"
expect_eq "$(requests_since $mark '[r["body"]["query"].split(" FROM ")[1].split(" ")[0] for r in log if r["method"] == "POST" and r["path"].endswith("/jobs/query")]')" \
	"['Opportunity', 'OpportunityHistory']" \
	"the two objects over the threshold, as jobs"
expect_eq "$(requests_since $mark 'len([r for r in log if r["path"].endswith("/results") and r["query"].get("locator")])')" \
	9 "their results two records a set, by locator"


# An expired session is renewed once and the page asked again; the
# secrets and the access token are shown nowhere, not even at -vv.
mark=$(log_mark)
fake_call POST /_fake/fault '{"path": "/services/data/v62.0/query", "kind": "expire", "count": 1, "skip": 4}' >/dev/null
sg pull -c "$cfg" -v -v
expect_status 0 "a pull whose session expires"
expect_out "opportunities                      7" "all of it"
expect_eq "$(requests_since $mark "$tokens")" 2 "a second token fetched"
case "$err$out" in
*00D000000000001!AQ*|*sf-client-secret*|*sf-refresh-token*)
	fail "a secret in the output" ;;
esac

# Client credentials, without a refresh token.
SF_REFRESH_TOKEN= sg pull -c "$cfg"
expect_status 0 "the client credentials flow"
expect_out "opportunities                      7" "the same pull"
SF_CLIENT_SECRET=wrong sg pull -c "$cfg"
expect_status 4 "a refused secret"
expect_err "token endpoint refused (HTTP 400: invalid client credentials)" \
	"says what the endpoint said"

# Faults: a 503 and a concurrency limit are retried; a page that is no
# JSON stops the pull naming it; the daily allowance spent is final.
fake_call POST /_fake/fault '{"path": "/services/data/v62.0/query", "kind": "503", "count": 1, "skip": 2}' >/dev/null
fake_call POST /_fake/fault '{"path": "/services/data/v62.0/query", "kind": "concurrency", "count": 1, "skip": 3}' >/dev/null
sg pull -c "$cfg" -v
expect_status 0 "retried faults"
expect_out "stage events                       12" "the whole history"
fake_call POST /_fake/fault '{"path": "/services/data/v62.0/query/", "kind": "garbage", "count": 1, "skip": 1}' >/dev/null
sg check -c "$cfg" --as-of $asof --dry-run
expect_status 4 "a page that is no JSON"
expect_err "User, page 2: the answer is not a JSON object" "names the page"
fake_call POST /_fake/fault '{"path": "/services/data", "kind": "request_limit", "count": 1}' >/dev/null
sg pull -c "$cfg"
expect_status 4 "the daily allowance spent"
expect_err "daily API allowance is spent" "says so"

# A pull that stops in the stage history keeps what it had read; the
# next goes on after the last complete page, from the opportunity whose
# rows it had gathered, reading no opportunity again.
fake_call POST /_fake/fault '{"path": "/services/data/v62.0/query/", "kind": "garbage", "count": 1, "skip": 4}' >/dev/null
sg pull -c "$cfg"
expect_status 4 "a pull that stops in the history"
expect_err "OpportunityHistory, page 2: the answer is not a JSON object" \
	"names the query and page"
expect_eq "$(test -f "$dir/salesforce-snapshot.partial/checkpoint.json" && echo kept)" \
	kept "what it read kept with its checkpoint"
mark=$(log_mark)
sg check -c "$cfg" --as-of $asof --dry-run --format jsonl -v
expect_status 0 "the pull after it"
expect_err "resuming the pull stopped before: 9 records read back, going on with the OpportunityHistory query after its last complete page" \
	"resumes"
expect_eq "$(requests_since $mark 'len([r for r in log if "FROM Opportunity " in r["query"].get("q", "")])')" \
	0 "no opportunity read again"
expect_eq "$(requests_since $mark '[r["query"]["q"].split(" WHERE ")[1] for r in log if r["query"].get("q", "").startswith("SELECT Id, OpportunityId, StageName")]')" \
	"[\"OpportunityId >= 'O2' ORDER BY OpportunityId, CreatedDate, Id\"]" \
	"the history asked from the opportunity not yet written"
cp "$scratch/.out" "$scratch/sf.jsonl"
expect_eq "$(same_exceptions)" "10 10 True" "the exceptions of a whole pull"

# locator_requests_before OBJECT N: how many next-page requests an
# unbroken pull made before its Nth next page of OBJECT's query.
locator_requests_before() {
	requests_since $mark "[i for i, r in enumerate([r for r in log if \"/query/\" in r[\"path\"]]) if r.get(\"object\") == \"$1\"][$2 - 1]"
}
# same_snapshot A B [sorted]: the canonical files of two snapshots are
# equal (as sets of lines: a Bulk job's results come in no order).
same_snapshot() {
	for f in opportunities.csv stage_history.csv field_history.csv \
		 activities.csv evidence.csv owners.csv; do
		if [ -n "${3:-}" ]; then
			sort "$1/$f" >"$scratch/a.csv"
			sort "$2/$f" >"$scratch/b.csv"
			cmp -s "$scratch/a.csv" "$scratch/b.csv" || { echo "$f differs"; return; }
		else
			cmp -s "$1/$f" "$2/$f" || { echo "$f differs"; return; }
		fi
	done
	echo same
}

# A stop within a query whose records are written as they come: the
# next pull asks from the last key written, skips the record written
# with it, and its snapshot is an unbroken pull's to the byte.
mark=$(log_mark)
sg pull -c "$cfg"
expect_status 0 "an unbroken pull"
rm -rf "$scratch/unbroken" && cp -r "$dir/salesforce-snapshot" "$scratch/unbroken"
skip=$(locator_requests_before Opportunity 2)
fake_call POST /_fake/fault '{"path": "/services/data/v62.0/query/", "kind": "garbage", "count": 1, "skip": '"$skip"'}' >/dev/null
sg pull -c "$cfg"
expect_status 4 "a pull that stops in the opportunities"
expect_err "Opportunity, page 3: the answer is not a JSON object" \
	"names the query and page"
expect_eq "$($PYTHON3 -c 'import json, sys
p = json.load(open(sys.argv[1]))["position"]
print(p["phase"], p["page"], p["after"]["done"] == [p["after"]["value"]])' \
	"$dir/salesforce-snapshot.partial/checkpoint.json")" "6 2 True" \
	"checkpointed after page 2, with the records written under its key"
mark=$(log_mark)
sg pull -c "$cfg" -v
expect_status 0 "the pull after it"
expect_err "resuming the pull stopped before: 6 records read back, going on with the Opportunity query after its last complete page" \
	"resumes after the page"
expect_eq "$(requests_since $mark '[r["query"]["q"].split(" AND ")[1] for r in log if " FROM Opportunity " in r["query"].get("q", "") and "COUNT()" not in r["query"]["q"]]')" \
	"[\"Id >= 'O6' ORDER BY Id\"]" "the opportunities asked from the last written"
expect_eq "$(same_snapshot "$scratch/unbroken" "$dir/salesforce-snapshot")" \
	same "the snapshot of an unbroken pull"

# Through Bulk API 2.0 (whose jobs take no ORDER BY and give their
# results in no order), a stopped pull goes on with the same job at the
# next set's locator; a job gone since (seven days, by the org's clock)
# is made again when none of its sets was written, else the checkpoint
# is dropped and the pull says to run again.
salesforce_config "$dir/bulk-snap.json" '{"bulk_threshold": 5,
	"bulk_max_records": 2, "snapshot_dir": "bulk-snapshot"}'
mark=$(log_mark)
sg pull -c "$dir/bulk-snap.json"
expect_status 0 "an unbroken pull through Bulk API 2.0"
expect_eq "$(requests_since $mark 'len([r for r in log if r["method"] == "POST" and "ORDER BY" in r.get("body", {}).get("query", "")])')" \
	0 "no job asks for an order"
rm -rf "$scratch/unbroken" && cp -r "$dir/bulk-snapshot" "$scratch/unbroken"
# stop_in_job INDEX WHAT: the next pull stops (the day's allowance spent)
# at the request for the result set by locator that the pull since
# $mark asked at INDEX (1: the Opportunity job's second set; -1: the
# last, in the history job).
stop_in_job() {
	skip=$(requests_since $mark "[i for i, r in enumerate([r for r in log if \"/jobs/query/\" in r[\"path\"]]) if r[\"query\"].get(\"locator\")][$1]")
	fake_call POST /_fake/fault '{"path": "/services/data/v62.0/jobs/query/", "kind": "request_limit", "count": 1, "skip": '"$skip"'}' >/dev/null
	sg pull -c "$dir/bulk-snap.json"
	expect_status 4 "$2"
}
stop_in_job 1 "a pull that stops within a job"
mark=$(log_mark)
sg pull -c "$dir/bulk-snap.json" -v
expect_status 0 "the pull after it"
expect_err "going on with the Opportunity query after its last complete page" \
	"resumes within the job"
expect_eq "$(requests_since $mark '[r["body"]["query"].split(" FROM ")[1].split(" ")[0] for r in log if r["method"] == "POST" and r["path"].endswith("/jobs/query")]')" \
	"['OpportunityHistory']" "the Opportunity job not made again"
expect_eq "$(requests_since $mark '[r["query"].get("locator") is not None for r in log if r["path"].endswith("/results")][0]')" \
	True "its next set asked by its locator"
expect_eq "$(same_snapshot "$scratch/unbroken" "$dir/bulk-snapshot" sorted)" \
	same "the snapshot of an unbroken pull"
# Stopped within each job, then eight days on: the history job (whose
# rows are emitted at its end) is made again; the Opportunity job's sets
# written cannot be, so that pull starts afresh.
mark=$(log_mark)
sg pull -c "$dir/bulk-snap.json"
stop_in_job -1 "a pull that stops within the history job"
fake_call POST /_fake/clock '{"advance_s": 691200}' >/dev/null
mark=$(log_mark)
sg pull -c "$dir/bulk-snap.json" -v
expect_status 0 "the history job gone"
expect_err "OpportunityHistory: the Bulk query job 750" "says the job is gone"
expect_eq "$(requests_since $mark '[r["body"]["query"].split(" FROM ")[1].split(" ")[0] for r in log if r["method"] == "POST" and r["path"].endswith("/jobs/query")]')" \
	"['OpportunityHistory']" "the history job made again, no other"
expect_eq "$(same_snapshot "$scratch/unbroken" "$dir/bulk-snapshot" sorted)" \
	same "the snapshot of an unbroken pull"
mark=$(log_mark)
sg pull -c "$dir/bulk-snap.json"
stop_in_job 1 "a pull that stops within the Opportunity job"
fake_call POST /_fake/clock '{"advance_s": 691200}' >/dev/null
sg pull -c "$dir/bulk-snap.json"
expect_status 4 "the Opportunity job gone"
expect_err "the stopped pull was reading is gone (deleted?): run again to pull from the start" \
	"says to run again"
expect_eq "$(test -e "$dir/bulk-snapshot.partial" && echo kept || echo dropped)" \
	dropped "the checkpoint dropped"
sg pull -c "$dir/bulk-snap.json"
expect_status 0 "the pull after it, from the start"
expect_eq "$(same_snapshot "$scratch/unbroken" "$dir/bulk-snapshot" sorted)" \
	same "the snapshot of an unbroken pull"

# SOQL that no value can change: a hostile filter value is a quoted
# literal (it matches no record type), a hostile field name is refused.
salesforce_config "$dir/hostile.json" \
	'{"opportunity_filter": {"RecordType.Name": "x'"'"' OR Name != '"'"'"}}'
mark=$(log_mark)
sg pull -c "$dir/hostile.json"
expect_status 0 "a hostile filter value"
expect_out "opportunities                      0" "matches nothing"
expect_eq "$(requests_since $mark '[r["query"]["q"] for r in log if "FROM Opportunity " in r["query"].get("q", "")][-1].split(" WHERE ")[1]')" \
	"RecordType.Name = 'x\' OR Name != \'' ORDER BY Id" \
	"quoted and escaped"
salesforce_config "$dir/hostile.json" \
	'{"opportunity_filter": {"Name != null OR Id": "x"}}'
sg pull -c "$dir/hostile.json"
expect_status 2 "a hostile field name"
expect_err "is no field name" "refused"
salesforce_config "$dir/nofield.json" '{"fields": {"region": "Region__c"}}'
sg pull -c "$dir/nofield.json"
expect_status 2 "a field the org lacks"
expect_err "fields.region: Opportunity has no field Region__c" "named"

# init --from salesforce: the org's stages in sort order.
sg init -c "$cfg" --ledger "$scratch/d.db" --from salesforce
expect_status 0 "init --from salesforce"
expect_eq "$(printf '%s' "$out" | $PYTHON3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(s["id"] + ("(won)" if s.get("won")
      else "(closed)" if s.get("closed") else "") for s in d["stages"]))')" \
	"discovery qualification proposal closed_won(won) closed_lost(closed)" \
	"the drafted stages"
stop_server

# The allowance's reserve: with 20 calls a day and 10% kept, a pull of
# 19 calls stops before its 19th.
start_server "$top_srcdir/tools/salesforce_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3 --daily-limit 20
salesforce_config "$cfg" '{}'
sg pull -c "$cfg"
expect_status 4 "a pull that would eat into the reserve"
expect_err "the org has used 18 of its 20 daily API calls" "stops, saying so"
stop_server

# Evidence kept in Opportunity fields: who gave it from who changed it.
start_server "$top_srcdir/tools/salesforce_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3 --evidence-as-fields
salesforce_config "$dir/fields.json" '{"evidence_object": null,
	"evidence_fields": {"pain": "Pain__c", "budget": "Budget__c",
	                    "success": "Success__c"}}'
sg check -c "$dir/fields.json" --as-of $asof --dry-run --format jsonl
expect_status 0 "check with evidence in Opportunity fields"
cp "$scratch/.out" "$scratch/sf.jsonl"
expect_eq "$(same_exceptions)" "10 10 True" \
	"evidence fields: the csv source's exceptions"
stop_server
finish
