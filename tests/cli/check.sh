#!/bin/sh
# check.sh - `stageguard check` on a hand-written pipeline: every expected
# exception with its details, the text table, the stale gate, the window,
# and that a dry run records nothing.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
asof=2026-11-20T12:00:00Z

sg check -c "$cfg" --as-of $asof --dry-run --format jsonl
expect_status 0 "check --dry-run"
expect_eq "$(json 'len(rows)')" 10 "exception count"
expect_eq "$(json 'sorted((r["opportunity_id"], r["type"]) for r in rows)')" \
"[('O2', 'missing_evidence'), ('O2', 'seller_only'), ('O3', 'forecast_impact'), ('O3', 'no_next_step'), ('O3', 'required_field'), ('O3', 'skipped_stage'), ('O4', 'regression'), ('O5', 'no_next_step'), ('O5', 'stage_age'), ('O6', 'data_quality')]" \
	"exceptions raised"
expect_eq "$(json '[r["opportunity_id"] for r in rows]')" \
	"['O2', 'O2', 'O3', 'O3', 'O3', 'O3', 'O4', 'O5', 'O5', 'O6']" \
	"output sorted by opportunity"
expect_eq "$(json '[(r["missing"], r["present"], r["verdict"]) for r in rows if r["type"] == "missing_evidence"]')" \
	"[(['pain'], [], 'block')]" "missing_evidence details"
expect_eq "$(json '[(r["seller_activities"], r["assignee"]) for r in rows if r["type"] == "seller_only"]')" \
	"[(1, 'revops')]" "seller_only details and default assignee"
expect_eq "$(json '[(r["skipped"], r["from_stage"], r["to_stage"], r["event_at"]) for r in rows if r["type"] == "skipped_stage"]')" \
	"[(['qualification'], 'discovery', 'proposal', '2026-11-10T15:00:00Z')]" "skipped_stage details"
expect_eq "$(json '[r["fields"] for r in rows if r["type"] == "required_field"]')" \
	"[['next_step']]" "required_field details"
expect_eq "$(json '[(r["from_category"], r["to_category"], r["amount"], r["currency"]) for r in rows if r["type"] == "forecast_impact"]')" \
	"[('pipeline', 'best_case', '5000.00', 'USD')]" "forecast_impact details"
expect_eq "$(json '[(r["age_days"], r["max_age_days"], r["stage"], r["from_stage"], r["event_at"]) for r in rows if r["type"] == "stage_age"]')" \
	"[(50.5, 14, 'discovery', None, '2026-10-01T00:00:00Z')]" "stage_age details"
expect_eq "$(json '[(r["opportunity_id"], r["reason"]) for r in rows if r["type"] == "no_next_step"]')" \
	"[('O3', 'missing'), ('O5', 'overdue')]" "no_next_step reasons"
expect_eq "$(json '[(r["reasons"], r["verdict"], r["event_at"]) for r in rows if r["type"] == "data_quality"]')" \
	"[(['unknown_stage', 'stage_mismatch', 'missing_owner'], 'pause', '2026-11-20T12:00:00Z')]" "data_quality reasons"
expect_eq "$(json '[(r["assignee"], r["detected_at"], r["due_at"]) for r in rows if r["type"] == "regression"]')" \
	"[('m1', '2026-11-20T12:00:00Z', '2026-11-22T12:00:00Z')]" "routing to the manager with the SLA"
expect_eq "$(json 'all(len(r["id"]) == 16 and r["note"] for r in rows)')" True "ids and notes"
expect_eq "$(json 'len(set(r["id"] for r in rows))')" 10 "ids are distinct"
ids1=$(json '[r["id"] for r in rows]')
[ -e "$dir/stageguard.db" ] && fail "a dry run created the ledger"

# The same data judged again gives the same ids.
sg check -c "$cfg" --as-of $asof --dry-run --format jsonl
expect_eq "$(json '[r["id"] for r in rows]')" "$ids1" "stable ids"

# The window: since after every move leaves the as-of checks only.
sg check -c "$cfg" --as-of $asof --since 2026-11-15 --dry-run --format jsonl
expect_eq "$(json 'sorted(r["type"] for r in rows)')" \
	"['data_quality', 'no_next_step', 'no_next_step', 'stage_age']" "since excludes earlier moves"

# The text table.
sg check -c "$cfg" --as-of $asof --dry-run --format text
expect_status 0 "check --format text"
expect_out "OPPORTUNITY" "text header"
expect_out "discovery -> proposal" "text move column"
expect_out "missing_evidence" "text summary"
expect_out "total                       10" "text total"

# Stale snapshot: paused, exit 3, nothing on stdout.
sg check -c "$cfg" --as-of 2026-11-22T00:00:00Z --dry-run --format jsonl
expect_status 3 "stale snapshot"
expect_eq "$out" "" "nothing printed when paused"
expect_err "--allow-stale" "stale message names the override"
sg check -c "$cfg" --as-of 2026-11-22T00:00:00Z --dry-run --allow-stale --format jsonl
expect_status 0 "--allow-stale"

# --source csv:DIR overrides the config's folder.
mkdir "$scratch/empty"
sg check -c "$cfg" --source "csv:$scratch/empty" --as-of $asof --dry-run
expect_status 2 "missing opportunities.csv"
expect_err "opportunities.csv" "names the missing file"

# Usage errors.
sg check -c "$cfg" --format xml --dry-run
expect_status 2 "bad --format"
sg check -c "$cfg" --as-of yesterday --dry-run
expect_status 2 "bad --as-of"
expect_err "--as-of" "names the option"
sg check -c "$cfg" --bogus
expect_status 2 "unknown option"

finish
