#!/bin/sh
# gate.sh - `stageguard gate` on the fixture moves of tests/fixtures/gate/
# under the rules of tests/fixtures/cli/basic: one verdict per exit status
# (0 allow, 10 review, 20 block, 30 pause), the answer's JSON, that no
# ledger is touched, and every input refusal (exit 2, a message naming the
# JSON path, nothing on standard output).
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
moves="$top_srcdir/tests/fixtures/gate"

# gate FILE: runs the gate with FILE on standard input.
gate() {
	"$STAGEGUARD" gate -c "$cfg" <"$1" >"$scratch/.out" 2>"$scratch/.err"
	status=$?
	out=$(cat "$scratch/.out")
	err=$(cat "$scratch/.err")
}

# gate_text TEXT: runs the gate with TEXT on standard input.
gate_text() {
	printf '%s' "$1" >"$scratch/move.json"
	gate "$scratch/move.json"
}

# answer EXPR: evaluates a Python expression over the answer (`a`).
answer() {
	printf '%s\n' "$out" | python3 -c '
import json, sys
a = json.loads(sys.stdin.read())
print(eval(sys.argv[1]))' "$1"
}

types() {
	answer '",".join(e["type"] for e in a["exceptions"])'
}

gate "$moves/allow.json"
expect_status 0 "allow"
expect_eq "$out" '{"verdict":"allow","exceptions":[]}' "allow answer"
expect_eq "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1 "one line"

gate "$moves/allow_flag.json"
expect_status 0 "a flag is allowed"
expect_eq "$(answer 'a["verdict"]')" allow "flag verdict"
expect_eq "$(answer '[(e["type"], e["verdict"], e["reason"], e["stage"]) for e in a["exceptions"]]')" \
	"[('no_next_step', 'flag', 'missing', 'qualification')]" "the flag is reported"

gate "$moves/review.json"
expect_status 10 "review"
expect_eq "$(answer 'a["verdict"]')" review "review verdict"
expect_eq "$(types)" "forecast_impact,skipped_stage" "review exceptions"
expect_eq "$(answer '[(e["skipped"], e["from_stage"], e["to_stage"], e["event_at"], e["assignee"]) for e in a["exceptions"] if e["type"] == "skipped_stage"]')" \
	"[(['qualification'], 'discovery', 'proposal', '2026-11-10T15:00:00Z', 'm1')]" \
	"skipped_stage judges the proposed move, routed to the manager"
expect_eq "$(answer '[(e["amount"], e["currency"]) for e in a["exceptions"] if e["type"] == "forecast_impact"]')" \
	"[('5000.00', 'USD')]" "forecast amount"
expect_eq "$(answer 'all(len(e["id"]) == 16 and e["note"] and e["due_at"] == "2026-11-12T15:00:00Z" for e in a["exceptions"])')" \
	True "ids, notes, due times"

gate "$moves/block.json"
expect_status 20 "block"
expect_eq "$(answer 'a["verdict"]')" block "block verdict"
expect_eq "$(types)" "missing_evidence,seller_only" "block exceptions"
expect_eq "$(answer '[(e["missing"], e["present"], e["verdict"]) for e in a["exceptions"] if e["type"] == "missing_evidence"]')" \
	"[(['pain'], [], 'block')]" "missing_evidence details"

gate "$moves/pause_unknown_stage.json"
expect_status 30 "unknown to_stage pauses"
expect_eq "$(answer '[(e["type"], e["reasons"], e["stage"]) for e in a["exceptions"]]')" \
	"[('data_quality', ['unknown_stage'], 'negotiation')]" "unknown_stage"
expect_eq "$(answer 'a["verdict"]')" pause "pause verdict"

gate "$moves/pause_missing_owner.json"
expect_status 30 "missing owner pauses"
expect_eq "$(answer '[(e["type"], e["reasons"]) for e in a["exceptions"]]')" \
	"[('data_quality', ['missing_owner'])]" "missing_owner"

# The gate neither creates nor reads the ledger the config names.
[ -e "$dir/stageguard.db" ] && fail "gate created the ledger"

# Judging the same move twice gives the same answer (ids included).
gate "$moves/review.json"
first=$out
gate "$moves/review.json"
expect_eq "$out" "$first" "stable answer"

# Input errors: exit 2, the JSON path on standard error, nothing on
# standard output.
refused() {
	expect_status 2 "$2"
	expect_eq "$out" "" "$2: nothing on stdout"
	expect_err "$1" "$2"
}

gate_text '{"opportunity": '
refused 'stdin: $: not valid JSON' "not JSON"
gate_text '{"opportunity_id": hunter2-s3cr3t}'
refused 'stdin: $: not valid JSON: invalid token (line 1, column' "a bare word"
case "$err" in *s3cr3t*) fail "the input near the error was quoted" ;; esac
gate_text ''
refused '$: not valid JSON' "empty input"
gate_text '["a move"]'
refused '$: expected a JSON object' "not an object"
gate_text '{"to_stage": "qualification"}'
refused '$.opportunity: missing' "missing opportunity"
gate_text '{"opportunity": {"id": "G1", "owner_id": "u1"}}'
refused '$.to_stage: missing' "missing to_stage"
gate_text '{"opportunity": {"id": "G1"}, "to_stage": ""}'
refused '$.to_stage: empty' "empty to_stage"
gate_text '{"opportunity": {"name": "no id"}, "to_stage": "qualification"}'
refused '$.opportunity.id: missing' "missing opportunity id"
gate_text '{"opportunity": {"id": "G1"}, "to_stage": "qualification", "stage": "proposal"}'
refused '$.stage: unknown key' "unknown top-level key"
gate_text '{"opportunity": {"id": "G1"}, "to_stage": "qualification",
 "history": [{"to_stage": "discovery", "changed_at": "2026-10-01T00:00:00Z"},
             {"to_stage": "discovery", "changed_at": "2026-10-02T00:00:00Z"},
             {"to_stage": "discovery", "changed_at": "yesterday"}]}'
refused '$.history[2].changed_at: cannot read "yesterday"' "bad history time"
gate_text '{"opportunity": {"id": "G1"}, "to_stage": "qualification", "at": "2026-11-02 12:00"}'
refused '$.at: ' "at without a zone"
gate_text '{"opportunity": {"id": "G1", "close_date": "31/12/2026"}, "to_stage": "qualification"}'
refused '$.opportunity.close_date: ' "bad close_date"
gate_text '{"opportunity": {"id": "G1"}, "to_stage": "qualification",
 "evidence": [{"criterion": "pain", "value": "yes", "party": "customer", "observed_at": "2026-10-01"}]}'
refused '$.evidence[0].party: unknown party "customer"' "bad evidence party"
gate_text '{"opportunity": {"id": "G1"}, "to_stage": "qualification",
 "activities": [{"type": "email", "party": "prospect", "occurred_at": "2026-10-01"}]}'
refused '$.activities[0].party: unknown party "prospect"' "bad activity party"
gate_text '{"opportunity": {"id": "G1", "amount": "$1,000"}, "to_stage": "qualification"}'
refused '$.opportunity.amount: "$1,000" is not a plain decimal' "bad amount"
gate_text '{"opportunity": {"id": "G1"}, "to_stage": "qualification",
 "history": [{"to_stage": "discovery", "changed_at": "2026-10-01", "by": "u1"}]}'
refused '$.history[0].by: unknown key' "unknown key in a history entry"
python3 -c 'import sys; sys.stdout.write("{\"opportunity\": {\"id\": \"G1\", \"name\": \"" + "x" * 1048576 + "\"}, \"to_stage\": \"qualification\"}")' \
	>"$scratch/big.json"
gate "$scratch/big.json"
refused '$: the input is larger than 1048576 bytes' "input over 1 MiB"

# Usage and config errors.
sg gate -c "$cfg" "$moves/allow.json" <"$moves/allow.json"
expect_status 2 "a file operand"
expect_eq "$out" "" "usage error: nothing on stdout"
sg gate -c "$scratch/absent.json" <"$moves/allow.json"
expect_status 2 "missing config"
expect_eq "$out" "" "config error: nothing on stdout"
sg gate --help
expect_status 0 "gate --help"
expect_out "10 review" "help lists the exit statuses"

finish
