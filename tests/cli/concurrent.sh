#!/bin/sh
# concurrent.sh - runs at once and runs out of order (issue 12, item 5):
# a second run on the same ledger waits for the first, saying so, and so
# reads the as-of the first recorded (its `since`, its seen and new
# counts are those of two runs made one after the other); a recorded run
# whose as-of is before the last one's is refused unless
# --allow-backdated, a since after the as-of always.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
db="$dir/stageguard.db"
asof=2026-11-20T12:00:00Z
q() { sqlite3 "$db" "$1"; }

# Out of order.
sg run -c "$cfg" --as-of $asof
expect_status 0 "a first run"
sg run -c "$cfg" --as-of 2026-11-19T12:00:00Z
expect_status 2 "a run dated before the last"
expect_err "the as-of 2026-11-19T12:00:00Z is before the last recorded run's (2026-11-20T12:00:00Z)" \
	"says why"
expect_err "--allow-backdated" "and how to mean it"
expect_eq "$(q 'select count(*) from runs')" 1 "nothing recorded"
sg check -c "$cfg" --as-of 2026-11-19T12:00:00Z --dry-run
expect_status 0 "a dry run may look back"
sg check -c "$cfg" --as-of $asof --since 2026-11-21T00:00:00Z --dry-run
expect_status 2 "a since after the as-of"
expect_err "--since 2026-11-21T00:00:00Z is after the as-of 2026-11-20T12:00:00Z" \
	"says why"
sg run -c "$cfg" --as-of 2026-11-19T12:00:00Z --allow-backdated
expect_status 0 "a backdated run, meant"
expect_eq "$(q 'select count(*) from runs')" 2 "recorded"

# At once: the lock is held (as a run holds it) while two runs start;
# each waits, saying so; when it is let go they record one after the
# other, so one judges from the pilot start and the other from the
# first one's as-of, never both from the start.
rm -f "$db" "$db"-*
hold_lock "$db-run.lock" 4
"$STAGEGUARD" run -c "$cfg" --as-of $asof >"$scratch/a.out" 2>"$scratch/a.err" &
a=$!
# A run is named by its start (to the second), as-of, config and source:
# the second starts a second later, or it would be the same run.
sleep 1.2
"$STAGEGUARD" run -c "$cfg" --as-of $asof >"$scratch/b.out" 2>"$scratch/b.err" &
b=$!
wait $a; sa=$?
wait $b; sb=$?
wait $holder
expect_eq "$sa $sb" "0 0" "both runs recorded"
[ "$sa $sb" = "0 0" ] || cat "$scratch/a.err" "$scratch/b.err" >&2
grep -q "another run is recording in $db; waiting for it to finish" \
	"$scratch/a.err" || fail "run a did not say it waited"
grep -q "another run is recording" "$scratch/b.err" ||
	fail "run b did not say it waited"
expect_eq "$(q "select group_concat(coalesce(since, 'none'), ' ') from (select since from runs order by seq)")" \
	"1793491200 1795176000" "the second judged from the first one's as-of"
expect_eq "$(q "select group_concat(new_exceptions, ' ') from (select new_exceptions from runs order by seq)")" \
	"10 0" "the second found nothing new"
finish
