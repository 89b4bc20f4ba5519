#!/bin/sh
# run.sh - `stageguard run`: the run is recorded with its exceptions and
# review tasks; a second run of the same data raises nothing new; a run
# killed mid-way leaves the ledger as it was, and the rerun gives the same
# result as an uninterrupted run.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
asof=2026-11-20T12:00:00Z
db="$dir/stageguard.db"

q() { sqlite3 "$1" "$2"; }

sg run -c "$cfg" --as-of $asof
expect_status 0 "first run"
expect_out "10 exceptions: 10 new, 0 seen before; 10 review tasks created" "run summary"
expect_eq "$(q "$db" 'select count(*) from runs')" 1 "one run"
expect_eq "$(q "$db" 'select count(*) from exceptions')" 10 "exceptions recorded"
expect_eq "$(q "$db" "select count(*) from tasks where status = 'open'")" 10 "open tasks"
expect_eq "$(q "$db" "select t.assignee from tasks t join exceptions e on e.id = t.exception_id where e.type = 'regression'")" m1 "task assignee"
expect_eq "$(q "$db" "select count(*) from events where type = 'exception_raised'")" 10 "exception_raised events"
expect_eq "$(q "$db" "select count(*) from events where type = 'run_completed'")" 1 "run_completed event"

# The next day: since is the previous run's as-of; the persisting
# problems are the same exceptions, not new ones.
sg run -c "$cfg" --as-of 2026-11-21T00:00:00Z
expect_status 0 "second run"
expect_out "0 new" "nothing new"
expect_eq "$(q "$db" 'select count(*) from exceptions')" 10 "no new exceptions"
expect_eq "$(q "$db" 'select count(*) from tasks')" 10 "no new tasks"
expect_eq "$(q "$db" "select count(*) from exceptions e join sightings s on s.exception_id = e.id where s.last_seen > e.first_seen")" 4 "as-of problems seen again"

# A run killed mid-way: nothing of it is in the ledger.
dir2=$scratch/killed
mkdir "$dir2"
cp -R "$dir/data" "$dir2/data"
cp "$cfg" "$dir2/stageguard.json"
STAGEGUARD_TEST_KILL_AFTER=5 "$STAGEGUARD" run -c "$dir2/stageguard.json" \
	--as-of $asof >/dev/null 2>&1
status=$?
expect_eq "$status" 137 "killed by SIGKILL"
expect_eq "$(q "$dir2/stageguard.db" 'select count(*) from runs')" 0 "no run after the kill"
expect_eq "$(q "$dir2/stageguard.db" 'select count(*) from exceptions')" 0 "no exception after the kill"
expect_eq "$(q "$dir2/stageguard.db" 'select count(*) from events')" 0 "no event after the kill"
sg run -c "$dir2/stageguard.json" --as-of $asof
expect_status 0 "rerun after the kill"
expect_eq "$(q "$dir2/stageguard.db" 'select group_concat(id) from (select id from exceptions order by id)')" \
	"$(q "$db" 'select group_concat(id) from (select id from exceptions order by id)')" \
	"the rerun records what an uninterrupted run records"

# No ledger named: refused unless dry run.
sed 's/"ledger": "stageguard.db",//' "$cfg" > "$scratch/noledger.json"
sg run -c "$scratch/noledger.json" --source "csv:$dir/data" --as-of $asof
expect_status 2 "run without a ledger"
expect_err "--ledger" "says how to name one"
sg run -c "$scratch/noledger.json" --source "csv:$dir/data" --as-of $asof \
	--ledger "$scratch/other.db"
expect_status 0 "--ledger names the ledger"
[ -f "$scratch/other.db" ] || fail "--ledger file not created"

finish
