#!/bin/sh
# metrics.sh - `stageguard metrics` on the hand-written pipeline of
# tests/fixtures/cli/basic (expected exceptions listed in check.sh): the
# pilot and baseline windows worked out by hand, dispositions from the
# ledger, the formats, and every refusal.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
asof=2026-11-20T12:00:00Z

# m KEY: the value of a measure in the JSON window on stdout.
m() {
	printf '%s\n' "$out" | python3 -c '
import json, sys
print(json.dumps(json.load(sys.stdin)["measures"][sys.argv[1]]))' "$1"
}

# The pilot [11-01, 12-01) at 11-20 12:00.  Evaluated: O1-O5 (O6 paused,
# O7 closed in July, O8 another pipeline).  Stage-age stints over age in
# the window: O1, O2, O3 in discovery, O4 in qualification, O5.  Moves:
# O2 missing_evidence + seller_only, O3 skipped_stage + required_field +
# forecast_impact (5000.00 USD), O4 regression.  no_next_step at as-of:
# O3 (tbd), O5 (overdue).
sg metrics -c "$cfg" --as-of $asof --window pilot --format json
expect_status 0 "metrics --window pilot"
expect_eq "$(m opportunities_evaluated)" 5 "pilot evaluated"
expect_eq "$(m opportunities_with_exception)" 5 "pilot with exception"
expect_eq "$(m stage_progression_exception_rate)" 1.0 "pilot rate"
expect_eq "$(m exceptions_stage_age)" 5 "pilot stage_age stints"
expect_eq "$(m exceptions_no_next_step)" 2 "pilot no_next_step"
expect_eq "$(m exceptions_missing_evidence)" 1 "pilot missing_evidence"
expect_eq "$(m exceptions_seller_only)" 1 "pilot seller_only"
expect_eq "$(m exceptions_skipped_stage)" 1 "pilot skipped_stage"
expect_eq "$(m exceptions_required_field)" 1 "pilot required_field"
expect_eq "$(m exceptions_regression)" 1 "pilot regression"
expect_eq "$(m exceptions_data_quality)" 1 "pilot data_quality = paused"
expect_eq "$(m paused)" 1 "pilot paused"
expect_eq "$(m false_progressions)" 1 "pilot false progressions"
expect_eq "$(m flagged_moves)" 3 "pilot flagged moves"
expect_eq "$(m stage_correction_rate)" 0.0 "pilot correction rate"
expect_eq "$(m forecast_impacting_changes)" 1 "pilot forecast changes"
expect_eq "$(m forecast_impacting_amount:USD)" '"5000.00"' "pilot amount"
expect_eq "$(m dispositions_recorded)" 0 "no ledger: no dispositions"
expect_eq "$(m approval_turnaround_median_hours)" null "no turnaround"
expect_out '"name": "pilot"' "window name"
expect_out '"measured_until": "2026-11-20T12:00:01Z"' "measured until as-of"
[ -e "$dir/stageguard.db" ] && fail "metrics created the ledger"

# The baseline [08-03, 11-01): O4 created in qualification (missing
# evidence, skipped discovery); stints over age: O1, O2, O3, O5;
# no_next_step at 10-31 23:59:59: O3.  Dispositions not applicable.
sg metrics -c "$cfg" --as-of $asof --window baseline
expect_status 0 "metrics --window baseline (json by default)"
expect_eq "$(m opportunities_evaluated)" 5 "baseline evaluated"
expect_eq "$(m exceptions_stage_age)" 4 "baseline stage_age"
expect_eq "$(m exceptions_no_next_step)" 1 "baseline no_next_step"
expect_eq "$(m exceptions_skipped_stage)" 1 "baseline skipped_stage"
expect_eq "$(m false_progressions)" 1 "baseline false progressions"
expect_eq "$(m dispositions_recorded)" null "baseline dispositions null"
expect_out '"not_applicable": [' "baseline not applicable list"
expect_out '"reviews_open_past_due"' "open past due listed"
expect_out '"dispositions_applicable": false' "baseline flag"

# An explicit window: only O4's regression and O3's move of 11-10.
sg metrics -c "$cfg" --as-of $asof --window 2026-11-10..2026-11-13 \
	--format json
expect_status 0 "metrics --window START..END"
expect_eq "$(m flagged_moves)" 2 "window flagged moves"
expect_eq "$(m exceptions_missing_evidence)" 0 "window excludes O2"

# Record the run, then dispositions: O4's regression corrected two
# hours after it was raised.
sg run -c "$cfg" --as-of $asof
expect_status 0 "run"
python3 - "$dir/stageguard.db" <<'EOF' || fail "disposition"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE exceptions SET status = 'closed',"
               " disposition = 'correct', decided_by = 'm1',"
               " decided_at = detected_at + 7200"
               " WHERE type = 'regression'").rowcount
db.commit()
sys.exit(0 if n == 1 else 1)
EOF
sg metrics -c "$cfg" --as-of 2026-11-23T12:00:00Z --window pilot
expect_status 0 "metrics with the ledger"
expect_eq "$(m stage_corrections_by_disposition)" 1 "corrected by disposition"
expect_eq "$(m stage_corrections)" 1 "corrections"
expect_eq "$(m dispositions_recorded)" 1 "one disposition"
expect_eq "$(m approval_turnaround_median_hours)" 2.0 "turnaround median"
expect_eq "$(m approval_turnaround_p90_hours)" 2.0 "turnaround p90"
# The 9 other tasks were due 11-22 12:00.
expect_eq "$(m reviews_open_past_due)" 9 "open past due"
# Seen at an as-of before the disposition, it does not exist yet.
sg metrics -c "$cfg" --as-of 2026-11-20T13:00:00Z --window pilot
expect_eq "$(m dispositions_recorded)" 0 "disposition after as-of"
expect_eq "$(m stage_corrections_by_disposition)" 0 "not yet corrected"

# The comparison in each format.
sg metrics -c "$cfg" --as-of $asof --compare
expect_status 0 "metrics --compare"
expect_eq "$(printf '%s\n' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = {x["measure"]: x for x in d["comparison"]}
e = r["exceptions_stage_age"]
print(e["baseline"], e["pilot"], e["change"], e["relative_change"],
      r["reviews_open_past_due"]["not_applicable"], len(d["weekly"]),
      d["weekly"][0]["start"], r["forecast_impacting_amount:USD"]["baseline"])')" \
	"4 5 1 0.25 ['baseline'] 3 2026-11-01T00:00:00Z 0" "compare json"
sg metrics -c "$cfg" --as-of $asof --compare --format text
expect_status 0 "metrics --compare --format text"
expect_out "MEASURE" "text header"
expect_out "BASELINE" "text baseline column"
expect_out "Weekly trend of the pilot" "text weekly trend"
expect_out "n/a" "text not applicable"
sg metrics -c "$cfg" --as-of $asof --compare --format csv
expect_status 0 "metrics --compare --format csv"
expect_eq "$(printf '%s\n' "$out" | head -1)" \
	"measure,baseline,pilot,change,relative_change,week_1,week_2,week_3" \
	"csv header"
expect_out "exceptions_stage_age,4,5,1,0.25," "csv row"
expect_out "reviews_open_past_due,n/a," "csv not applicable"
sg metrics -c "$cfg" --as-of $asof --window pilot --format csv
expect_out "measure,value" "csv window header"
expect_out "opportunities_evaluated,5" "csv window row"
sg metrics -c "$cfg" --as-of $asof --window pilot --format text
expect_out "pilot window 2026-11-01T00:00:00Z .. 2026-12-01T00:00:00Z" \
	"text window header"
sg metrics -c "$cfg" --as-of $asof --window 2026-11-01..2026-11-15 \
	--format text
expect_eq "$(printf '%s\n' "$out" | head -n 1 | cut -c1-22)" \
	"window 2026-11-01T00:0" "a window of dates is named once"

# Refusals.
sg metrics -c "$cfg" --window bogus
expect_status 2 "unknown window"
expect_err "expected baseline, pilot or START..END" "unknown window message"
sg metrics -c "$cfg" --window 2026-12-01..2026-11-01
expect_status 2 "inverted window"
expect_err "must come after" "inverted window message"
sg metrics -c "$cfg" --window 2026-13-01..2026-12-01
expect_status 2 "bad window time"
expect_err "--window 2026-13-01..2026-12-01" "bad time names the option"
sg metrics -c "$cfg" --window 2026-11-01..
expect_status 2 "window without end"
sg metrics -c "$cfg" --window pilot --compare
expect_status 2 "window and compare"
expect_err "exclude each other" "window and compare message"
sg metrics -c "$cfg" --format xml
expect_status 2 "bad format"
sg metrics -c "$cfg" --window
expect_status 2 "window without value"
sg metrics -c "$cfg" --since 2026-11-01
expect_status 2 "unknown option"
sg metrics -c "$cfg" extra
expect_status 2 "extra argument"
sg metrics -c "$cfg" --as-of yesterday
expect_status 2 "bad as-of"
python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); del c["pilot"]
json.dump(c, open(sys.argv[2], "w"))' "$cfg" "$dir/nopilot.json"
sg metrics -c "$dir/nopilot.json" --window pilot
expect_status 2 "no pilot section"
expect_err "has no \"pilot\" section" "no pilot message"
sg metrics -c "$dir/nopilot.json" --compare
expect_status 2 "compare without pilot"
sg metrics -c "$dir/nopilot.json" --as-of $asof \
	--window 2026-11-01..2026-12-01
expect_status 0 "an explicit window needs no pilot"
sg metrics -c "$cfg" --source csv:"$dir/missing" --window pilot
expect_status 2 "missing source folder"

# pilot status refusals and an absent ledger.
sg pilot
expect_status 2 "pilot without subcommand"
sg pilot start -c "$cfg"
expect_status 2 "unknown pilot subcommand"
expect_err "unknown subcommand" "unknown subcommand message"
sg pilot status -c "$dir/nopilot.json"
expect_status 2 "pilot status without pilot"
sg pilot status -c "$cfg" --format xml
expect_status 2 "pilot status bad format"
sg pilot status -c "$cfg" --bogus
expect_status 2 "pilot status unknown option"
expect_err "stageguard pilot status: unknown option --bogus" "option error names the command"
rm -f "$dir/stageguard.db" "$dir/stageguard.db-wal" "$dir/stageguard.db-shm"
sg pilot status -c "$cfg" --as-of $asof
expect_status 0 "pilot status without a ledger"
expect_out "day 20 of 30" "day 20"
expect_out "runs: 0 done, 19 missed" "no runs"
expect_out "no exception raised in the pilot yet" "nothing raised"
[ -e "$dir/stageguard.db" ] && fail "pilot status created the ledger"

finish
