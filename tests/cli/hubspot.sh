#!/bin/sh
# hubspot.sh - the HubSpot source against the loopback fake
# (tools/hubspot_fake.py) serving the basic fixture as a portal, with
# pages of 3 results so every listing takes several: the deals of the
# pilot pipeline with their stage history, the owners, the engagements
# and the evidence (a custom object, or deal properties); the same
# exceptions as the csv source for the same data, byte for byte; the
# private app token and OAuth, a refused token, retried faults, the daily
# limit, a pipeline the portal lacks, and `init --from hubspot`.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
asof=2026-11-20T12:00:00Z
HS_TOKEN=pat-test-token
export HS_TOKEN

# hubspot_config FILE JSON-OF-THE-SECTION: the basic rules with a hubspot
# source.
hubspot_config() {
	$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["sources"] = {"hubspot": json.loads(sys.argv[3])}
json.dump(c, open(sys.argv[2], "w"), indent=1)' \
		"$dir/stageguard.json" "$1" "$2"
}

start_server "$top_srcdir/tools/hubspot_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3
cfg="$dir/hs.json"
hubspot_config "$cfg" "{\"base_url\": \"$base\", \"token_env\": \"HS_TOKEN\",
	\"properties\": {\"next_step_date\": \"next_step_date\",
	                 \"segment\": \"segment\"},
	\"managers\": {\"u1\": \"m1\"},
	\"evidence_object\": {\"object\": \"2-9000001\",
		\"criterion\": \"criterion\", \"value\": \"value\",
		\"party\": \"party\", \"observed_at\": \"observed_at\",
		\"ref\": \"ref\"}}"

sg pull -c "$cfg" -v
expect_status 0 "pull from HubSpot"
expect_out "opportunities                      7 (7 in pipeline \"default\")" \
	"the pipeline's deals (the other pipeline's skipped)"
expect_out "stage events                       12" "their stage history"
expect_out "owners                             2" "the owners"
expect_out "activities                         4" "the engagements"
expect_out "evidence records                   3" "the evidence object"
expect_err "GET $base/crm/v3/objects/deals: 3 requests, 0 retries" \
	"7 deals in pages of 3"

# The exceptions of the csv source for the same data, with the same ids.
sg check -c "$dir/stageguard.json" --as-of $asof --dry-run --format jsonl
cp "$scratch/.out" "$scratch/csv.jsonl"
sg check -c "$cfg" --as-of $asof --dry-run --format jsonl
expect_status 0 "check through HubSpot"
cp "$scratch/.out" "$scratch/hs.jsonl"
same_exceptions() {
	$PYTHON3 -c 'import json, sys
csv = [json.loads(l) for l in open(sys.argv[1])]
hs = [json.loads(l) for l in open(sys.argv[2])]
print(len(csv), len(hs), csv == hs)' "$scratch/csv.jsonl" "$scratch/hs.jsonl"
}
expect_eq "$(same_exceptions)" "10 10 True" \
	"the csv source's exceptions, the same to the byte"

# The managers from an owners CSV instead of the managers option.
$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
del c["sources"]["hubspot"]["managers"]
c["sources"]["hubspot"]["owners_csv"] = "data/owners.csv"
json.dump(c, open(sys.argv[2], "w"))' "$cfg" "$dir/owners.json"
sg check -c "$dir/owners.json" --as-of $asof --dry-run --format jsonl
expect_status 0 "managers from owners_csv"
cp "$scratch/.out" "$scratch/hs.jsonl"
expect_eq "$(same_exceptions)" "10 10 True" "owners_csv routes as managers"
sed 's/"owners_csv": "data\/owners.csv"/"owners_csv": "nowhere.csv"/' \
	"$dir/owners.json" >"$dir/noowners.json"
sg pull -c "$dir/noowners.json"
expect_status 2 "an owners CSV that is not there"
expect_err "nowhere.csv" "names it"

# The pull is kept in the canonical layout beside the config: read
# offline, it gives the same exceptions.
[ -f "$dir/hubspot-snapshot/snapshot.json" ] || fail "no snapshot folder"
sg check -c "$dir/stageguard.json" --source "csv:$dir/hubspot-snapshot" \
	--as-of $asof --dry-run --format jsonl
expect_status 0 "the snapshot read by the csv source"
cp "$scratch/.out" "$scratch/hs.jsonl"
expect_eq "$(same_exceptions)" "10 10 True" "the snapshot, offline"
snapshot_sum=$(cat "$dir"/hubspot-snapshot/*.csv | cksum)

# A refused token: exit 4, with what to check.
HS_TOKEN=wrong sg pull -c "$cfg"
expect_status 4 "a refused token"
expect_err "the private app token was refused" "says what to check"

# Faults: two 500s and a body cut in the middle are retried; the daily
# limit is final.
fake_call POST /_fake/fault '{"path": "/crm/v3/objects/deals", "kind": "500", "count": 2}' >/dev/null
fake_call POST /_fake/fault '{"path": "/crm/v3/owners", "kind": "truncate", "count": 1}' >/dev/null
sg pull -c "$cfg" -v
expect_status 0 "faults retried"
expect_err "GET $base/crm/v3/objects/deals: 5 requests, 2 retries" \
	"the 500s retried"
expect_err "GET $base/crm/v3/owners: 2 requests, 1 retries" \
	"the cut body retried"
fake_call POST /_fake/fault '{"path": "/crm/v3/owners", "kind": "daily", "count": 1}' >/dev/null
sg pull -c "$cfg" -v
expect_status 4 "the daily limit"
expect_err "daily API limit is reached" "says so"
expect_err "GET $base/crm/v3/owners: 1 requests, 0 retries" \
	"never retried"
expect_eq "$(cat "$dir"/hubspot-snapshot/*.csv | cksum)" "$snapshot_sum" \
	"a failed pull leaves the last snapshot"
expect_eq "$(ls "$dir" | grep -c 'hubspot-snapshot\.')" 0 \
	"and nothing half written"

# A page that is not JSON: the run fails naming the listing and the
# page, and records nothing.
SOURCE_DATE_EPOCH=1795000000 sg run -c "$cfg" --as-of $asof \
	--ledger "$scratch/garbage.db"
expect_status 0 "a recorded run"
runs_before=$(sqlite3 "$scratch/garbage.db" 'select count(*) from runs')
fake_call POST /_fake/fault '{"path": "/crm/v3/objects/deals", "kind": "garbage", "count": 1}' >/dev/null
SOURCE_DATE_EPOCH=1795000100 sg run -c "$cfg" --as-of $asof \
	--ledger "$scratch/garbage.db"
expect_status 4 "a page that is not JSON"
expect_err "deals, page 1: the answer is not a JSON object" \
	"names the listing and the page"
expect_eq "$(sqlite3 "$scratch/garbage.db" 'select count(*) from runs')" \
	"$runs_before" "nothing recorded"

# So many mapped properties that the URL would be cut: refused, not sent.
$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["sources"]["hubspot"]["properties"] = {"x%d" % i: "custom_property_%d" % i
                                         for i in range(400)}
json.dump(c, open(sys.argv[2], "w"))' "$cfg" "$dir/long.json"
sg pull -c "$dir/long.json"
expect_status 2 "a URL too long"
expect_err "the request URL would be over 8191 bytes" "says why"

# A pipeline the portal does not have.
hubspot_config "$dir/nopipe.json" "{\"base_url\": \"$base\",
	\"token_env\": \"HS_TOKEN\", \"pipeline\": \"renewals\"}"
sg pull -c "$dir/nopipe.json"
expect_status 2 "an unknown pipeline"
expect_err "no deal pipeline \"renewals\" (it has: default)" "names them"

# init --from hubspot: the pipeline's stages in display order.
sg init -c "$dir/nopipe.json" --ledger "$scratch/d.db" --from hubspot
expect_status 2 "init --from with an unknown pipeline"
sg init -c "$cfg" --ledger "$scratch/d.db" --from hubspot
expect_status 0 "init --from hubspot"
expect_eq "$(printf '%s' "$out" | $PYTHON3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["pipeline"]["id"], " ".join(s["id"] + ("(won)" if s.get("won")
      else "(closed)" if s.get("closed") else "") for s in d["stages"]))')" \
	"default discovery qualification proposal closed_won(won) closed_lost(closed)" \
	"the drafted stages"
stop_server

# Evidence kept in deal properties: who gave it from the history's source.
start_server "$top_srcdir/tools/hubspot_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3 --evidence-as-properties
hubspot_config "$dir/props.json" "{\"base_url\": \"$base\",
	\"token_env\": \"HS_TOKEN\", \"managers\": {\"u1\": \"m1\"},
	\"properties\": {\"next_step_date\": \"next_step_date\",
	                 \"segment\": \"segment\"},
	\"evidence_properties\": {\"pain\": \"pain\", \"budget\": \"budget\",
	                          \"success\": \"success\"}}"
sg check -c "$dir/props.json" --as-of $asof --dry-run --format jsonl
expect_status 0 "check with evidence in deal properties"
cp "$scratch/.out" "$scratch/hs.jsonl"
expect_eq "$(same_exceptions)" "10 10 True" \
	"evidence properties: the csv source's exceptions"
stop_server

# OAuth: the access token is fetched with the refresh token, renewed
# when it expires, and shown nowhere.
start_server "$top_srcdir/tools/hubspot_fake.py" --data "$dir/data" \
	--config "$dir/stageguard.json" --max-page 3 \
	--oauth "cid-1:cs-Secret-9:rt-Secret-7" --expires-in 3600
CS=cs-Secret-9 RT=rt-Secret-7
export CS RT
hubspot_config "$dir/oauth.json" "{\"base_url\": \"$base\",
	\"client_id\": \"cid-1\", \"client_secret_env\": \"CS\",
	\"refresh_token_env\": \"RT\"}"
fake_call POST /_fake/fault '{"path": "/crm/v3/objects/deals", "kind": "expire", "count": 1}' >/dev/null
sg pull -c "$dir/oauth.json" -v -v
expect_status 0 "pull with OAuth"
expect_out "opportunities                      7" "the deals"
expect_err "renewing the credentials" "the expired token renewed"
expect_err "POST $base/oauth/v1/token: 2 requests" "two tokens fetched"
case "$err$out" in
*hs-at-*|*cs-Secret-9*|*rt-Secret-7*) fail "a secret in the output" ;;
esac
stop_server


# A generated pipeline (tools/sg-gen): through HubSpot, the exceptions of
# the csv source on the same files.  HubSpot has no engagement for
# sg-gen's document and other activities: they are left out of both; it
# has no manager field: they come from the owners CSV, and the extra
# columns are mapped to the deal properties of the same names.  Its
# history holds values, not moves: the from-stages sg-gen writes (some
# on purpose at odds with the value before) are left to be derived.
: "${top_builddir:=$(pwd)}"
g="$scratch/gen"
"$top_builddir/tools/sg-gen" --opps 300 --out "$g/data" \
	--config-out "$g/rules.json" --quiet || fail "sg-gen"
$PYTHON3 -c 'import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[1], "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(r for r in rows if r["type"] not in ("document", "other"))' \
	"$g/data/activities.csv"
$PYTHON3 -c 'import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[1], "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(dict(r, from_stage="") for r in rows)' \
	"$g/data/stage_history.csv"
start_server "$top_srcdir/tools/hubspot_fake.py" --data "$g/data" \
	--config "$g/rules.json"
$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
extra = open(sys.argv[4], encoding="utf-8").readline().strip().split(",")[12:]
extra.append("next_step_date")
c["sources"] = {"hubspot": {"base_url": sys.argv[3], "token_env": "HS_TOKEN",
    "pipeline": c["pipeline"]["id"], "snapshot_dir": "",
    "owners_csv": "data/owners.csv",
    "properties": {name: name for name in extra},
    "evidence_object": {"object": "2-9000001", "criterion": "criterion",
        "value": "value", "party": "party", "observed_at": "observed_at",
        "ref": "ref"}}}
json.dump(c, open(sys.argv[2], "w"))' "$g/rules.json" "$g/hs.json" "$base" \
	"$g/data/opportunities.csv"
sg check -c "$g/rules.json" --as-of 2026-11-20T18:00:00Z --dry-run \
	--format jsonl
cp "$scratch/.out" "$scratch/csv.jsonl"
sg check -c "$g/hs.json" --as-of 2026-11-20T18:00:00Z --dry-run \
	--format jsonl
expect_status 0 "a generated pipeline through HubSpot"
cp "$scratch/.out" "$scratch/hs.jsonl"
expect_eq "$(same_exceptions | cut -d' ' -f3)" True \
	"the csv source's exceptions for a generated pipeline"
expect_eq "$(test "$(wc -l <"$scratch/csv.jsonl")" -gt 100 && echo many)" \
	many "and there are many"
stop_server

finish
