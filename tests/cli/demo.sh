#!/bin/sh
# demo.sh - `stageguard demo`: the bundled pipeline raises every exception
# type and every data-quality reason, and leaves a ledger with a task per
# exception.
. "$(dirname "$0")/lib.sh"

sg demo --out "$scratch/demo"
expect_status 0 "demo"
for type in missing_evidence required_field skipped_stage regression \
	seller_only forecast_impact stage_age no_next_step data_quality; do
	line=$(printf '%s\n' "$out" | grep -E "^ +$type ")
	count=$(printf '%s\n' "$line" | awk '{print $3}')
	[ -n "$count" ] && [ "$count" -gt 0 ] ||
		fail "the demo raises no $type ($line)"
done
expect_out "An example review note" "a note is shown"
[ -f "$scratch/demo/stageguard.db" ] || fail "no ledger in the demo folder"
[ -f "$scratch/demo/data/opportunities.csv" ] || fail "data not copied"

# The outputs a newcomer opens: the workbook, the metrics, the bundle.
for f in pilot-report.xlsx metrics/metrics.json metrics/metrics.csv \
	 metrics/events.jsonl evidence.tar.gz; do
	[ -s "$scratch/demo/$f" ] || fail "the demo wrote no $f"
done
expect_out "pilot-report.xlsx" "the summary names the workbook"

# metrics.json is the one shape of the measures: what `metrics --compare
# --format json` prints at the run's as-of, byte for byte.
as_of=$($PYTHON3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["as_of"])' \
	"$scratch/demo/metrics/metrics.json")
(cd "$scratch/demo" && "$STAGEGUARD" metrics --compare --format json \
	--as-of "$as_of" -q) >"$scratch/compare.json" ||
	fail "metrics --compare --format json failed"
cmp -s "$scratch/compare.json" "$scratch/demo/metrics/metrics.json" ||
	fail "metrics.json differs from metrics --compare --format json"
sg bundle verify "$scratch/demo/evidence.tar.gz"
expect_status 0 "the demo's bundle verifies"
if $PYTHON3 -c 'import openpyxl' 2>/dev/null; then
	sheets=$($PYTHON3 -c '
import openpyxl, sys
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
print(len(wb.sheetnames), wb["Exceptions"].max_row)' "$scratch/demo/pilot-report.xlsx")
	set -- $sheets
	expect_eq "$1" 9 "nine sheets"
	# 181 exceptions under a title, a note and the header.
	expect_eq "$2" 184 "one row per exception"
fi

# Every data-quality reason appears in the demo.
sg check -c "$scratch/demo/stageguard.json" --dry-run --format jsonl \
	--as-of "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["extracted_at"])' "$scratch/demo/data/snapshot.json")" \
	--since 1970-01-01
expect_status 0 "check on the demo"
expect_eq "$(json 'sorted(set(x for r in rows if r["type"] == "data_quality" for x in r["reasons"]))')" \
	"['before_created', 'contradictory_history', 'duplicate_record', 'future_event', 'missing_owner', 'no_history', 'stage_mismatch', 'unknown_stage']" \
	"every data-quality reason"

# Running the demo again starts afresh.
sg demo --out "$scratch/demo"
expect_status 0 "demo again"
case "$out" in *"0 review tasks"*) fail "the second demo reused the ledger" ;; esac

finish
