#!/bin/sh
# state.sh - what a source plugin keeps between runs (a sync cursor), and
# the rules the host shows it (tests/plugins/testsrc logs both): a
# run writes what the plugin put, with the run; the next run sees it;
# `pull` and `check --dry-run` read it and keep nothing; a run killed
# before its commit leaves it as it was.  tests/plugins/testsrc counts
# its pulls in the key "pulls" and logs "testsrc state: pulls=N".
. "$(dirname "$0")/lib.sh"

cfg="$scratch/state.json"
cat > "$cfg" <<JSON
{"pipeline": {"id": "new_business", "label": "New business"},
 "criteria": {"pain": {}, "budget": {"buyer_only": false}},
 "stages": [{"id": "discovery", "exit_criteria": ["pain", "budget"],
             "required_fields": ["amount", "close_date"]},
            {"id": "won", "closed": true, "won": true}],
 "placeholders": ["tbd", "n/a"],
 "sources": {"testsrc": {}}, "ledger": "state.db"}
JSON
pd="--plugin-dir $SG_TEST_PLUGINS"
asof=2026-11-20T12:00:00Z

sg pull -c "$cfg" $pd -v
expect_status 0 "pull without a ledger"
expect_err "testsrc state: pulls=none" "no state without a ledger"
expect_err "testsrc rules: pipeline=new_business stages=discovery[pain;budget|amount;close_date],won[|](closed)(won) criteria=pain(buyer),budget segment=- placeholders=2" \
	"the plugin sees the rules"

SOURCE_DATE_EPOCH=1795000000 sg run -c "$cfg" $pd --as-of $asof -v
expect_status 0 "first run"
expect_err "testsrc state: pulls=none" "the first run finds no state"

sg pull -c "$cfg" $pd -v
expect_status 0 "pull after a run"
expect_err "testsrc state: pulls=1" "pull reads what the run kept"
sg check -c "$cfg" $pd --as-of $asof --dry-run -v
expect_status 0 "dry run"
expect_err "testsrc state: pulls=1" "a dry run reads it too"

SOURCE_DATE_EPOCH=1795000100 sg run -c "$cfg" $pd --as-of $asof -v
expect_status 0 "second run"
expect_err "testsrc state: pulls=1" "pull and the dry run kept nothing"

# Killed inside its transaction: the state stays as the last run left it.
STAGEGUARD_TEST_KILL_AFTER=0 SOURCE_DATE_EPOCH=1795000200 \
	sg run -c "$cfg" $pd --as-of $asof -v
[ "$status" -ne 0 ] || fail "the killed run exited 0"
SOURCE_DATE_EPOCH=1795000300 sg run -c "$cfg" $pd --as-of $asof -v
expect_status 0 "run after the killed one"
expect_err "testsrc state: pulls=2" "the killed run changed nothing"
count=$($PYTHON3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT value FROM plugin_state WHERE plugin = ?"
                 " AND key = ?", ("testsrc", "pulls")).fetchone()[0])' \
	"$scratch/state.db")
expect_eq "$count" 3 "the ledger holds the last run's count"

finish
