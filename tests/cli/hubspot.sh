#!/bin/sh
# hubspot.sh - the HubSpot source against the loopback fake
# (tools/hubspot_fake.py) serving the basic fixture as a portal, with
# pages of 3 results so every listing takes several: the deals of the
# pilot pipeline with their stage history and the owners; the same
# exceptions as the csv source for the same data, where the data the
# plugin reads so far (deals, history, owners) decides; the private app
# token and OAuth, a refused token, retried faults, the daily limit, a
# pipeline the portal lacks, and `init --from hubspot`.
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
	\"managers\": {\"u1\": \"m1\"}}"

sg pull -c "$cfg" -v
expect_status 0 "pull from HubSpot"
expect_out "opportunities                      7 (7 in pipeline \"default\")" \
	"the pipeline's deals (the other pipeline's skipped)"
expect_out "stage events                       12" "their stage history"
expect_out "owners                             2" "the owners"
expect_err "GET $base/crm/v3/objects/deals: 3 requests, 0 retries" \
	"7 deals in pages of 3"

# The exceptions of the csv source for the same data, with the same ids.
sg check -c "$dir/stageguard.json" --as-of $asof --dry-run --format jsonl
cp "$scratch/.out" "$scratch/csv.jsonl"
sg check -c "$cfg" --as-of $asof --dry-run --format jsonl
expect_status 0 "check through HubSpot"
cp "$scratch/.out" "$scratch/hs.jsonl"
expect_eq "$($PYTHON3 -c 'import json, sys
csv = {json.loads(l)["id"]: json.loads(l) for l in open(sys.argv[1])}
hs = {json.loads(l)["id"]: json.loads(l) for l in open(sys.argv[2])}
missing = sorted(set(csv) - set(hs))
# Activities and evidence are not read from HubSpot yet: the moves they
# back are flagged for want of them, and the notes count no activity.
extra = sorted({hs[i]["type"] for i in set(hs) - set(csv)})
keys = ("type", "verdict", "opportunity_id", "from_stage", "to_stage",
        "event_at", "assignee", "due_at")
same = all(all(csv[i].get(k) == hs[i].get(k) for k in keys)
           for i in csv if i in hs)
print(len(missing), extra, same)' "$scratch/csv.jsonl" "$scratch/hs.jsonl")" \
	"0 ['missing_evidence', 'seller_only'] True" \
	"the csv source's exceptions, with the same ids, moves and routing"

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

finish
