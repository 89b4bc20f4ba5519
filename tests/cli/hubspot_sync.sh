#!/bin/sh
# hubspot_sync.sh - incremental pulls from the loopback fake
# (tools/hubspot_fake.py): the first run pulls everything; the next asks
# only for what changed since (deals, engagements, evidence records
# searched by hs_lastmodifieddate, archived deals listed), reads the
# deals concerned again whole and the rest from the snapshot, and its
# snapshot and exceptions are those of a full pull of the same portal.
# A full pull instead when too much changed, the settings changed or the
# snapshot is not the one recorded; searches past the result cap go on
# in windows; a full pull that stops resumes at its last complete page.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
# The portal's changes are made now: judged a day later.
asof=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
db="$dir/stageguard.db"
HS_TOKEN=pat-test-token
export HS_TOKEN

# run ARGS...: `stageguard run`, each at a start of its own (a run is
# recorded once per as-of, start, config and source).
epoch=1795000000
run() {
	epoch=$((epoch + 100))
	SOURCE_DATE_EPOCH=$epoch sg run --as-of "$asof" -v "$@"
}
# later: the portal's clock moves on a quarter of an hour, past the
# margin a sync cursor keeps (changes become searchable late).
later() {
	fake_call POST /_fake/clock '{"advance_s": 900}' >/dev/null
}

start_server "$top_srcdir/tools/hubspot_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3

# hubspot_config FILE EXTRA-JSON: the basic rules reading the fake.
hubspot_config() {
	$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
source = {"base_url": sys.argv[3], "token_env": "HS_TOKEN",
          "managers": {"u1": "m1"},
          "properties": {"next_step_date": "next_step_date",
                         "segment": "segment"},
          "evidence_object": {"object": "2-9000001", "criterion": "criterion",
                              "value": "value", "party": "party",
                              "observed_at": "observed_at", "ref": "ref"}}
source.update(json.loads(sys.argv[4]))
c["sources"] = {"hubspot": source}
json.dump(c, open(sys.argv[2], "w"), indent=1)' \
		"$dir/stageguard.json" "$1" "$base" "$2"
}
cfg="$dir/hs.json"
hubspot_config "$cfg" '{}'
hubspot_config "$dir/full.json" '{"full_sync_days": 0,
	"snapshot_dir": "full-snapshot"}'

deal_lists='len([r for r in log if r["method"] == "GET" and r["path"] == "/crm/v3/objects/deals" and r["query"].get("archived") != "true"])'
read_again='sorted(i["id"] for r in log if r["path"] == "/crm/v3/objects/deals/batch/read" for i in r["body"]["inputs"])'

# same_snapshot A B: the two snapshot folders hold the same rows.
same_snapshot() {
	$PYTHON3 -c 'import os, sys
def rows(d):
    return {f: sorted(open(os.path.join(d, f), encoding="utf-8").read().splitlines())
            for f in os.listdir(d) if f.endswith(".csv")}
a, b = rows(sys.argv[1]), rows(sys.argv[2])
print(sorted(a) == sorted(b) and a == b, sum(len(v) for v in a.values()))' "$1" "$2"
}

# exceptions_of DIR: the exceptions the snapshot in DIR gives.
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
expect_err "an incremental pull: changed since the last: 0 deals, 0 evidence records, 0 engagements; 0 deals read again" \
	"reads nothing again"
expect_eq "$(requests_since $mark "$deal_lists")" 0 "lists no deal"
expect_err "records kept from the snapshot" "the rest from the snapshot"

# The portal changes: a stage moves, an email comes in, an evidence
# record is corrected, a deal is archived, one is made, one joins the
# pipeline and one leaves it.
later
fake_call POST /_fake/deal '{"id": "O2", "stage": "proposal"}' >/dev/null
fake_call POST /_fake/object '{"type": "emails", "id": "a9",
	"deals": ["O5"], "properties": {"hs_timestamp": "2026-11-02T10:00:00.000Z",
	"hs_email_direction": "INCOMING_EMAIL", "hs_email_subject": "Re: budget",
	"hs_email_from_email": "zoe@buyer.example"}}' >/dev/null
fake_call POST /_fake/object '{"type": "2-9000001", "id": "ev1",
	"properties": {"value": "3 FTE"}}' >/dev/null
fake_call POST /_fake/archive '{"id": "O4"}' >/dev/null
fake_call POST /_fake/deal '{"id": "O9", "stage": "discovery",
	"properties": {"dealname": "Made today", "hubspot_owner_id": "u1",
	"amount": "50"}}' >/dev/null
fake_call POST /_fake/deal '{"id": "O8", "pipeline": "default"}' >/dev/null
fake_call POST /_fake/deal '{"id": "O7", "pipeline": "renewals"}' >/dev/null
later

mark=$(log_mark)
run -c "$cfg"
expect_status 0 "the run after the changes"
expect_err "an incremental pull: changed since the last: 4 deals, 1 evidence records, 1 engagements; 6 deals read again (1 archived or deleted)" \
	"finds what changed"
expect_eq "$(requests_since $mark "$read_again")" \
	"['O1', 'O2', 'O5', 'O7', 'O8', 'O9']" \
	"reads again the deals concerned, the archived one not"
expect_eq "$(requests_since $mark "$deal_lists")" 0 "lists no deal"
expect_out "7 opportunities" "O4 archived and O7 gone, O8 and O9 come"
expect_eq "$(tail -n +2 "$dir/hubspot-snapshot/opportunities.csv" | cut -d, -f1 | sort | tr '\n' ' ')" \
	"O1 O2 O3 O5 O6 O8 O9 " "the snapshot's deals"

sg check -c "$dir/full.json" --as-of "$asof" --dry-run --format jsonl
expect_status 0 "a full pull of the same portal"
expect_eq "$(same_snapshot "$dir/hubspot-snapshot" "$dir/full-snapshot")" \
	"True 34" "the incremental snapshot is the full pull's"
exceptions_of "$dir/hubspot-snapshot" >"$scratch/inc.jsonl"
exceptions_of "$dir/full-snapshot" >"$scratch/full.jsonl"
expect_eq "$(cmp -s "$scratch/inc.jsonl" "$scratch/full.jsonl" && echo same)" \
	same "and so are its exceptions"

# A search past the result cap goes on in windows: twelve new emails,
# read three a page with a cap of ten.
later
i=10
while [ $i -lt 22 ]; do
	fake_call POST /_fake/object "{\"type\": \"emails\", \"id\": \"a$i\",
		\"deals\": [\"O3\"], \"properties\": {\"hs_timestamp\": \"2026-11-03T10:00:00.000Z\",
		\"hs_email_direction\": \"EMAIL\", \"hs_email_subject\": \"Nudge $i\"}}" \
		>/dev/null
	i=$((i + 1))
done
later
hubspot_config "$dir/capped.json" '{"search_result_cap": 10}'
mark=$(log_mark)
run -c "$dir/capped.json"
expect_status 0 "a search past its cap"
expect_err "changed since the last: 0 deals, 0 evidence records, 12 engagements" \
	"finds all twelve"
expect_eq "$(requests_since $mark 'max(int(r["body"].get("after") or 0) for r in log if r["path"].endswith("/search"))')" \
	0 "never asks past the cap: each window starts again"
expect_eq "$(requests_since $mark 'len({f["value"] for r in log if r["path"] == "/crm/v3/objects/emails/search" for f in r["body"]["filterGroups"][0]["filters"]}) >= 5')" \
	True "in windows from the last change seen"
hubspot_config "$dir/full.json" '{"full_sync_days": 0,
	"snapshot_dir": "full-snapshot"}'
sg check -c "$dir/full.json" --as-of "$asof" --dry-run --format jsonl
expect_eq "$(same_snapshot "$dir/hubspot-snapshot" "$dir/full-snapshot")" \
	"True 46" "the same as a full pull again"

# Too much changed: a full pull costs less.
later
for d in O1 O2 O3 O5 O6 O8; do
	fake_call POST /_fake/deal "{\"id\": \"$d\", \"properties\": {\"amount\": \"77\"}}" \
		>/dev/null
done
later
run -c "$cfg"
expect_status 0 "a run after many changes"
expect_err "a full pull: 6 deals changed of 7" "reads everything"

# Other settings, or a snapshot that is not the one recorded: a full pull.
hubspot_config "$dir/other.json" '{"properties": {"segment": "segment"}}'
run -c "$dir/other.json"
expect_status 0 "a run with other settings"
expect_err "a full pull: the settings that shape the records changed" \
	"reads everything"
run -c "$cfg"
expect_err "a full pull: the settings" "and back"
rm -rf "$dir/hubspot-snapshot"
run -c "$cfg"
expect_status 0 "a run without its snapshot"
expect_err "a full pull: the snapshot is not the one the last recorded pull wrote" \
	"reads everything"
run -c "$cfg"
expect_err "an incremental pull" "then incremental again"

# A full pull that stops at its second page of deals (an answer that is
# no JSON) records nothing and keeps what it read; the next resumes at
# that page, reading none of the first again.
runs=$(sqlite3 "$db" "select count(*) from runs")
fake_call POST /_fake/fault '{"path": "/crm/v3/objects/deals", "kind": "garbage",
	"count": 1, "skip": 1}' >/dev/null
run -c "$dir/other.json"
expect_status 4 "a pull that stops"
expect_err "deals, page 2: the answer is not a JSON object" "names the page"
expect_eq "$(sqlite3 "$db" "select count(*) from runs")" "$runs" \
	"nothing recorded"
expect_eq "$(test -f "$dir/hubspot-snapshot.partial/checkpoint.json" && echo kept)" \
	kept "what it read kept with its checkpoint"
mark=$(log_mark)
run -c "$dir/other.json"
expect_status 0 "the pull after it"
expect_err "resuming the full pull stopped before: 13 records read back, going on at deals, page 2" \
	"resumes"
expect_eq "$(requests_since $mark '[r["query"].get("after") for r in log if r["method"] == "GET" and r["path"] == "/crm/v3/objects/deals"]')" \
	"['3', '6']" "at the second page, not the first"
expect_eq "$(test -e "$dir/hubspot-snapshot.partial" || echo gone)" gone \
	"the partial folder becomes the snapshot"
hubspot_config "$dir/full.json" '{"full_sync_days": 0,
	"snapshot_dir": "full-snapshot", "properties": {"segment": "segment"}}'
sg check -c "$dir/full.json" --as-of "$asof" --dry-run --format jsonl
expect_eq "$(same_snapshot "$dir/hubspot-snapshot" "$dir/full-snapshot" | cut -d' ' -f1)" \
	True "the same as a pull that never stopped"

stop_server
finish
