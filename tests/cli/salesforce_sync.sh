#!/bin/sh
# salesforce_sync.sh - incremental pulls from the loopback fake
# (tools/salesforce_fake.py): the first run pulls everything; the next
# asks which opportunities changed since (SystemModstamp), which had an
# activity or evidence record change, which were deleted (queryAll),
# reads those again whole with IN lists of their ids and the rest from
# the snapshot; its snapshot and exceptions are those of a full pull of
# the same org.  A snapshot that is not the one recorded means a full
# pull.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
# The org's changes are made now: judged a day later.
asof=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
SF_CLIENT_ID=sf-client-id
SF_CLIENT_SECRET=sf-client-secret
SF_REFRESH_TOKEN=sf-refresh-token
export SF_CLIENT_ID SF_CLIENT_SECRET SF_REFRESH_TOKEN

start_server "$top_srcdir/tools/salesforce_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3

# salesforce_config FILE EXTRA-JSON: the basic rules reading the fake.
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
c["sources"] = {"salesforce": source}
json.dump(c, open(sys.argv[2], "w"), indent=1)' \
		"$dir/stageguard.json" "$1" "$base" "$2"
}
cfg="$dir/sf.json"
salesforce_config "$cfg" '{}'
salesforce_config "$dir/full.json" '{"snapshot_dir": "full-snapshot"}'

epoch=1795000000
run() {
	epoch=$((epoch + 100))
	SOURCE_DATE_EPOCH=$epoch sg run --as-of "$asof" -v "$@"
}
# later: the org's clock moves on a quarter of an hour, past the margin
# a sync cursor keeps.
later() {
	fake_call POST /_fake/clock '{"advance_s": 900}' >/dev/null
}
soql='[r["query"]["q"] for r in log if "q" in r["query"]]'
# same_snapshot A B: the two snapshot folders hold the same rows.
same_snapshot() {
	$PYTHON3 -c 'import os, sys
def rows(d):
    return {f: sorted(open(os.path.join(d, f), encoding="utf-8").read().splitlines())
            for f in os.listdir(d) if f.endswith(".csv")}
a, b = rows(sys.argv[1]), rows(sys.argv[2])
print(a == b, sum(len(v) for v in a.values()))' "$1" "$2"
}
exceptions_of() {
	sg check -c "$dir/stageguard.json" --source "csv:$1" --as-of "$asof" \
		--dry-run --format jsonl
	printf '%s\n' "$out"
}

run -c "$cfg"
expect_status 0 "the first run"
expect_err "a full pull: no earlier pull recorded" "pulls everything"

later
mark=$(log_mark)
run -c "$cfg"
expect_status 0 "a run with nothing changed"
expect_err "an incremental pull: changed since the last: 0 opportunities, 0 related records, 0 deleted; 0 read again" \
	"reads nothing again"
expect_eq "$(requests_since $mark "len([q for q in $soql if 'FROM OpportunityHistory' in q])")" \
	0 "no history asked for"

# The org changes: a stage moves, an email comes in, an evidence record
# is added, an opportunity is deleted and one is made.
later
fake_call POST /_fake/opportunity '{"Id": "O2", "StageName": "Proposal"}' >/dev/null
fake_call POST /_fake/record '{"type": "EmailMessage", "RelatedToId": "O5",
	"Incoming": true, "FromAddress": "zoe@buyer.example",
	"Subject": "Re: budget", "MessageDate": "2026-11-02T10:00:00.000+0000"}' >/dev/null
fake_call POST /_fake/record '{"type": "Stage_Evidence__c", "Opportunity__c": "O1",
	"Criterion__c": "budget", "Value__c": "approved", "Party__c": "buyer",
	"Observed_At__c": "2026-11-04T10:00:00.000+0000", "Ref__c": "email-9"}' >/dev/null
fake_call POST /_fake/delete '{"type": "Opportunity", "Id": "O4"}' >/dev/null
fake_call POST /_fake/opportunity '{"Id": "O9", "Name": "Made today",
	"StageName": "Discovery", "OwnerId": "u1", "Amount": 50}' >/dev/null
later

mark=$(log_mark)
run -c "$cfg"
expect_status 0 "the run after the changes"
expect_err "an incremental pull: changed since the last: 2 opportunities, 2 related records, 1 deleted; 5 read again" \
	"finds what changed"
expect_eq "$(requests_since $mark "[sorted(q.split(' Id IN (')[1].split(')')[0].split(', ')) for q in $soql if 'FROM Opportunity WHERE' in q and ' Id IN ' in q]")" \
	"[[\"'O1'\", \"'O2'\", \"'O4'\", \"'O5'\", \"'O9'\"]]" \
	"reads those five again, in one IN list"
expect_out "7 opportunities" "O4 deleted, O9 made"
expect_eq "$(tail -n +2 "$dir/salesforce-snapshot/opportunities.csv" | cut -d, -f1 | sort | tr '\n' ' ')" \
	"O1 O2 O3 O5 O6 O7 O9 " "the snapshot's opportunities"

sg check -c "$dir/full.json" --as-of "$asof" --dry-run --format jsonl
expect_status 0 "a full pull of the same org"
expect_eq "$(same_snapshot "$dir/salesforce-snapshot" "$dir/full-snapshot" | cut -d' ' -f1)" \
	True "the incremental snapshot is the full pull's"
exceptions_of "$dir/salesforce-snapshot" >"$scratch/inc.jsonl"
exceptions_of "$dir/full-snapshot" >"$scratch/full.jsonl"
expect_eq "$(cmp -s "$scratch/inc.jsonl" "$scratch/full.jsonl" && echo same)" \
	same "and so are its exceptions"

# A snapshot that is not the one recorded: a full pull, then
# incremental again.
rm -rf "$dir/salesforce-snapshot"
run -c "$cfg"
expect_status 0 "a run without its snapshot"
expect_err "a full pull: the snapshot is not the one the last recorded pull wrote" \
	"reads everything"
later
run -c "$cfg"
expect_err "an incremental pull" "then incremental again"

stop_server
finish
