#!/bin/sh
# pull.sh - `stageguard pull`: what a source holds, judged nothing.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
sg pull -c "$dir/stageguard.json"
expect_status 0 "pull"
expect_out "opportunities                      8 (7 in pipeline \"default\")" "opportunities"
expect_out "stage events                       13" "stage events"
expect_out "activities                         4" "activities"
expect_out "evidence records                   3" "evidence"
expect_out "owners                             2" "owners"
expect_out "2026-11-20T06:00:00Z" "snapshot time"
[ -e "$dir/stageguard.db" ] && fail "pull created the ledger"

finish
