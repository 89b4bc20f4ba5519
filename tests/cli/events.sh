#!/bin/sh
# events.sh - `stageguard events`: the measurement events as JSON lines,
# in seq order, with their ids and detail fields; --since and --type; the
# disposition_recorded event of a decision; and, once `run` notes them,
# stage_corrected events for a reverted flagged move.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
db="$dir/stageguard.db"
asof=2026-11-20T12:00:00Z
rg=4ac9c70190c55fa8   # O4 regression qualification -> discovery

sg events -c "$cfg"
expect_status 2 "no ledger yet"
expect_err "no ledger here yet" "says so"

sg run -c "$cfg" --as-of $asof
expect_status 0 "run"
run1=$(sqlite3 "$db" 'select id from runs')

sg events -c "$cfg"
expect_status 0 "events"
expect_eq "$(json 'len(rows)')" 11 "10 exception_raised + 1 run_completed"
expect_eq "$(json '[r["seq"] for r in rows]')" "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]" "seq order"
expect_eq "$(json '[r["type"] for r in rows].count("exception_raised")')" 10 "exception_raised count"
expect_eq "$(json 'rows[-1]["type"]')" "run_completed" "run_completed last"
expect_eq "$(json 'all(list(r)[:6] == ["seq", "type", "at", "run_id", "exception_id", "opportunity_id"] for r in rows)')" \
	True "envelope keys first, in order"
expect_eq "$(json 'sorted(set(r["run_id"] for r in rows))')" "['$run1']" "run ids"
expect_eq "$(json '[(r["at"], r["opportunity_id"], r["exception_type"], r["verdict"], r["assignee"], r["due_at"]) for r in rows if r["exception_id"] == "'$rg'"]')" \
	"[('2026-11-20T12:00:00Z', 'O4', 'regression', 'review', 'm1', '2026-11-22T12:00:00Z')]" \
	"exception_raised content"
expect_eq "$(json '[(r["exception_id"], r["opportunity_id"], r["as_of"], r["opportunities"], r["evaluated"], r["paused"], r["exceptions"], r["new_exceptions"]) for r in rows if r["type"] == "run_completed"]')" \
	"[(None, None, '$asof', 8, 6, 1, 10, 10)]" "run_completed content"
expect_eq "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 11 "one event per line"

# --type and --since (inclusive).
sg events -c "$cfg" --type exception_raised --since $asof
expect_eq "$(json 'len(rows)')" 10 "--since is inclusive"
sg events -c "$cfg" --type exception_raised --since 2026-11-20T12:00:01Z
expect_eq "$(json 'len(rows)')" 0 "--since excludes earlier events"
sg events --ledger "$db" --type run_completed
expect_eq "$(json 'len(rows)')" 1 "--type run_completed, --ledger"

# A decision is an event.
sg review decide $rg -c "$cfg" --disposition correct --by max \
	--at 2026-11-21T08:00:00Z
expect_status 0 "decide"
sg events -c "$cfg" --since 2026-11-21 --type disposition_recorded
expect_eq "$(json '[(r["seq"], r["at"], r["run_id"], r["exception_id"], r["opportunity_id"], r["disposition"], r["by"], r["hours"], r["overdue"]) for r in rows]')" \
	"[(12, '2026-11-21T08:00:00Z', None, '$rg', 'O4', 'correct', 'max', 20.0, False)]" \
	"disposition_recorded event"

# A second run: nothing new, one more run_completed, seq keeps growing.
sg run -c "$cfg" --as-of 2026-11-21T00:00:00Z
expect_status 0 "second run"
sg events -c "$cfg"
expect_eq "$(json 'len(rows)')" 13 "13 events"
expect_eq "$(json '[r["type"] for r in rows[11:]]')" \
	"['disposition_recorded', 'run_completed']" "appended in order"

# Usage.
sg events -c "$cfg" --type stage_moved
expect_status 2 "unknown --type"
expect_err "stage_corrected" "lists the types"
sg events -c "$cfg" --since yesterday
expect_status 2 "bad --since"
expect_err "--since" "names the option"
sg events -c "$cfg" --bogus
expect_status 2 "unknown option"
sg events -c "$cfg" extra
expect_status 2 "stray argument"
sg events --help
expect_status 0 "help"
expect_out "--since" "help text"

# stage_corrected: O4's flagged regression (qualification -> discovery on
# 2026-11-12T08:00) is reverted to qualification on 2026-11-21T06:00 and
# seen in the next pull, which records it in the run's own transaction.
printf 'O4,discovery,qualification,2026-11-21T06:00:00Z,u1,crm\n' \
	>> "$dir/data/stage_history.csv"
sed 's/^O4,Regression,default,discovery,/O4,Regression,default,qualification,/' \
	"$dir/data/opportunities.csv" > "$scratch/opps.csv"
cp "$scratch/opps.csv" "$dir/data/opportunities.csv"
sg run -c "$cfg" --as-of 2026-11-21T12:00:00Z
expect_status 0 "run that sees the revert"
run3=$(sqlite3 "$db" 'select id from runs order by seq desc limit 1')
sg events -c "$cfg" --type stage_corrected
expect_eq "$(json '[(r["at"], r["run_id"], r["exception_id"], r["opportunity_id"], r["exception_type"], r["from_stage"], r["to_stage"], r["event_at"], r["reverted_at"], r["days"], r["seen_at"]) for r in rows]')" \
	"[('2026-11-21T06:00:00Z', '$run3', '$rg', 'O4', 'regression', 'qualification', 'discovery', '2026-11-12T08:00:00Z', '2026-11-21T06:00:00Z', 8.9, '2026-11-21T12:00:00Z')]" \
	"stage_corrected event"
sg run -c "$cfg" --as-of 2026-11-22T00:00:00Z
sg events -c "$cfg" --type stage_corrected
expect_eq "$(json 'len(rows)')" 1 "stage_corrected once per exception"

finish
