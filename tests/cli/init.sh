#!/bin/sh
# init.sh - `stageguard init`: a starter config that loads, the ledger
# created, an existing config kept, and --from refused without its plugin.
. "$(dirname "$0")/lib.sh"

cd "$scratch" || exit 1
sg init
expect_status 0 "init in an empty folder"
expect_out "wrote a starter config" "says it wrote the config"
expect_out "schema version 8" "ledger ready"
[ -f stageguard.json ] || fail "no starter config"
[ -f stageguard.db ] || fail "no ledger"
grep -q '"placeholders"' stageguard.json || fail "starter config lacks placeholders"

sg init
expect_status 0 "init again"
case "$out" in *"wrote a starter"*) fail "init overwrote the config" ;; esac

sg init -c missing-dir/x.json
expect_status 2 "config in a missing folder"

sg init --from hubspot
expect_status 2 "--from hubspot without its plugin"
expect_err "hubspot" "names the plugin"
sg init --from pipedrive
expect_status 2 "--from an unknown plugin"

# --from csv:DIR drafts the stages of a folder's histories into a new
# config: in the order they are entered, the closed ones last; the draft
# loads and judges the folder.
mkdir draft && cd draft || exit 1
data="$fixtures/basic/data"
sg init --from "csv:$data"
expect_status 0 "init --from csv"
expect_out "drafted 5 stages from csv:$data into stageguard.json" \
	"says what it drafted"
expect_err "stageguard: draft: 5 stages seen in 8 stage histories" \
	"says what it guessed"
expect_err "only as a current stage (placed last among the open stages: move them): negotiation" \
	"names the stage seen in no history"
expect_eq "$($PYTHON3 -c 'import json
d = json.load(open("stageguard.json"))
print(" ".join(s["id"] + ("(won)" if s.get("won") else "")
               for s in d["stages"]))')" \
	"discovery qualification proposal negotiation closed_won(won)" \
	"the stages in order"
sg check --source "csv:$data" --as-of 2026-11-20T12:00:00Z --dry-run
expect_status 0 "the draft judges the folder"
cd .. || exit 1

# With a config already there: read through it, the draft printed, the
# config untouched.
cp "$fixtures/basic/stageguard.json" kept.json
sum=$(cksum < kept.json)
sg init -c kept.json --ledger kept.db --from "csv:$data"
expect_status 0 "init --from with a config"
expect_out '"id": "closed_won"' "the draft printed"
expect_err "kept.json exists and is left as it is" "says so"
expect_eq "$(cksum < kept.json)" "$sum" "the config unchanged"

# A source that cannot describe its pipeline.
sg init -c none.json --from testsrc --plugin-dir "$SG_TEST_PLUGINS"
expect_status 2 "a source without describe"
expect_err "cannot describe its pipeline" "says why"
[ ! -f none.json ] || fail "a config written without a draft"

echo '{"stages": [{"id": "a"}, {"id": "a"}]}' > dup.json
sg init -c dup.json
expect_status 2 "invalid config"
expect_err "duplicate stage id" "the config error"

finish
