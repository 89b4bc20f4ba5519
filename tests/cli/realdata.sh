#!/bin/sh
# realdata.sh - the csv source's example mappings on real public CRM
# exports, read in place from ../shared/data (skipped, with a message,
# when that folder is absent).  The expected counts were verified by hand
# and by an independent script over the raw files (see the comments).
. "$(dirname "$0")/lib.sh"

cfgs="$top_srcdir/configs"

# --- sf-preppin-2022w23: a Salesforce Opportunity + OpportunityHistory
# report export (day-first dates, one row per change, new stage only).
d=$(shared_data sf-preppin-2022w23) || exit 77
sg pull -c "$cfgs/salesforce-report.json" --source "csv:$d"
expect_status 0 "preppin pull"
expect_out "opportunities                      219" "preppin opportunities"
# 584 history rows, sorted per opportunity by date (stable); the 107 that
# repeat the previous stage are events too (not moves).
expect_out "stage events                       584" "preppin stage events"

sg check -c "$cfgs/salesforce-report.json" --source "csv:$d" \
	--as-of 2022-12-31T00:00:00Z --since 1970-01-01 --dry-run --format jsonl
expect_status 0 "preppin check"
# Paused: 21 whose current stage differs from the last history row, 32
# whose history starts before CreatedDate; 52 opportunities in all.
expect_eq "$(json 'sum(1 for r in rows if r["type"] == "data_quality")')" 52 "preppin paused"
expect_eq "$(json 'sum(1 for r in rows if "stage_mismatch" in r.get("reasons", []))')" 21 "preppin stage_mismatch"
expect_eq "$(json 'sum(1 for r in rows if "before_created" in r.get("reasons", []))')" 32 "preppin before_created"
# Backward moves and reopens of the 167 trusted opportunities.
expect_eq "$(json 'sum(1 for r in rows if r["type"] == "regression")')" 11 "preppin regressions"
# Closed Won -> Closed Lost is an exit, never a regression.
expect_eq "$(json 'sum(1 for r in rows if r["type"] == "regression" and r["to_stage"] == "closed_lost")')" 0 "exits are not regressions"
# Mid-year, history after as-of pauses its opportunity (future_event):
# 82 of them, 6 only by a row that repeats the stage before it (dropped
# before, so those 6 were judged on history they did not have yet).
sg check -c "$cfgs/salesforce-report.json" --source "csv:$d" \
	--as-of 2022-06-30T00:00:00Z --since 1970-01-01 --dry-run --format jsonl
expect_status 0 "preppin check mid-year"
expect_eq "$(json 'sum(1 for r in rows if "future_event" in r.get("reasons", []))')" 82 "preppin future_event"
expect_eq "$(json 'sum(1 for r in rows if r["type"] == "data_quality")')" 104 "preppin paused mid-year"

# --- sf-devorg-pbi: a Salesforce sample org's report export (US 12-hour
# times with a 2-digit year, in the exporting user's zone).
d=$(shared_data sf-devorg-pbi) || exit 77
pbi="$fixtures/sf-devorg-pbi.json"
sg pull -c "$pbi" --source "csv:$d"
expect_status 0 "pbi pull"
expect_out "opportunities                      36" "pbi opportunities"
# 48 history rows, none repeating its predecessor's stage.
expect_out "stage events                       48" "pbi stage events"
sg check -c "$pbi" --source "csv:$d" --as-of 2026-03-31T00:00:00Z \
	--since 1970-01-01 --dry-run --format jsonl
expect_status 0 "pbi check"
# No deal's history contradicts its current stage or creation date.
expect_eq "$(json 'sum(1 for r in rows if r["type"] == "data_quality")')" 0 "pbi paused"
# Seven deals go Closed Won -> Closed Lost: an exit and a forecast change
# (closed -> omitted), never a regression.
expect_eq "$(json 'sum(1 for r in rows if r["type"] == "regression")')" 0 "pbi regressions"
expect_eq "$(json 'sum(1 for r in rows if r["type"] == "forecast_impact" and r["from_stage"] == "closed_won" and r["to_stage"] == "closed_lost")')" 7 "pbi won -> lost"
# History rows listed out of time order (Closed Lost before Closed Won)
# are judged in time order: created won, then lost; read in file order
# the move would be a regression (lost -> won).
expect_eq "$(json '[(r["from_stage"], r["to_stage"], r["event_at"]) for r in rows if r["opportunity_id"] == "006bm00000LKJNbAAP" and r["type"] == "forecast_impact"]')" \
	"[('closed_won', 'closed_lost', '2026-03-08T04:59:00Z')]" "pbi out-of-order rows"

# init --from csv through the Salesforce mapping: the stages of the
# export drafted (their mapped ids), Prospecting first, the closed ones
# last and won told from lost.
d=$(shared_data sf-preppin-2022w23) || exit 77
sg init -c "$cfgs/salesforce-report.json" --ledger "$scratch/draft.db" \
	--from "csv:$d"
expect_status 0 "preppin init --from"
expect_err "6 stages seen in 219 stage histories" "preppin draft notes"
expect_eq "$(printf '%s' "$out" | $PYTHON3 -c 'import json, sys
d = json.load(sys.stdin)
s = d["stages"]
print(len(s), s[0]["id"], " ".join(x["id"] + ("(won)" if x.get("won") else "")
      for x in s if x.get("closed")))')" \
	"6 prospecting closed_won(won) closed_lost" "preppin drafted stages"

 current state only; the mapping derives two events per
# deal from one row (Engaging at engage_date, Won/Lost at close_date).
d=$(shared_data maven-crm) || exit 77
sg pull -c "$cfgs/maven-crm.json" --source "csv:$d"
expect_status 0 "maven pull"
expect_out "opportunities                      8800" "maven opportunities"
# 8,300 deals have an engage_date, 6,711 a close_date.
expect_out "stage events                       15011" "maven stage events"
expect_out "owners                             35" "maven owners"

sg check -c "$cfgs/maven-crm.json" --source "csv:$d" \
	--as-of 2017-12-31T00:00:00Z --since 1970-01-01 --dry-run --format jsonl
expect_status 0 "maven check"
count() { json "sum(1 for r in rows if r['type'] == '$1')"; }
# The 500 Prospecting deals have no date at all: no history, paused.
expect_eq "$(count data_quality)" 500 "maven paused (no_history)"
# Of the 1,589 open Engaging deals, 1,479 entered Engaging more than 90
# days before 2017-12-31 (the data set's own published figure).
expect_eq "$(count stage_age)" 1479 "maven stage_age"
expect_eq "$(count no_next_step)" 1589 "maven no_next_step"
# Every deal created straight into Engaging passes over Prospecting.
expect_eq "$(count skipped_stage)" 8300 "maven skipped_stage"
# Engaging (best_case) -> Won (closed) or Lost (omitted): 6,711 closes.
expect_eq "$(count forecast_impact)" 6711 "maven forecast_impact"
# Advances to Won with no buyer activity at all (Lost is an exit).
expect_eq "$(count seller_only)" 4238 "maven seller_only"
expect_eq "$(count regression)" 0 "maven has no backward moves"

finish
