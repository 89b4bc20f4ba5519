#!/bin/sh
# writeback.sh - a sink that writes review tasks to a CRM
# (tests/plugins/testtasks against the fake CRM of tests/http_server.py):
# `run` hands it the open tasks it has not written; the CRM's ids are kept
# in the ledger so a rerun creates no duplicate; a disposition a person
# entered in the CRM is read back and recorded as `review decide` records
# one, with the same refusal for a second one; a create that timed out is
# looked up, not made twice, and the failing sink exits 4.
. "$(dirname "$0")/lib.sh"

start_server "$top_srcdir/tests/http_server.py"

# crm METHOD PATH [JSON]: one call to the fake CRM; prints the answer.
crm() {
	$PYTHON3 -c '
import sys, urllib.request
data = sys.argv[3].encode() if len(sys.argv) > 3 else None
req = urllib.request.Request(sys.argv[1] + sys.argv[2], data=data,
                             method=sys.argv[4] if len(sys.argv) > 4
                             else ("POST" if data else "GET"))
print(urllib.request.urlopen(req).read().decode())' "$base" "$@"
}
crm_count() {
	crm "/crm/tasks$1" | $PYTHON3 -c '
import json, sys; print(len(json.load(sys.stdin)["results"]))'
}

dir=$(copy_fixture basic)
db="$dir/stageguard.db"
cfg="$dir/writeback.json"
sed "s|\"ledger\"|\"sinks\": {\"testtasks\": {\"url\": \"$base\"}}, \"ledger\"|" \
	"$dir/stageguard.json" >"$cfg"
pd="--plugin-dir $SG_TEST_PLUGINS"
q() { sqlite3 "$db" "$1"; }

SOURCE_DATE_EPOCH=1795000000 sg run -c "$cfg" $pd --as-of 2026-11-20T12:00:00Z
expect_status 0 "the first run"
expect_err "testtasks: 10 tasks handed, created 10, found 0" \
	"every open task written"
expect_eq "$(crm_count '')" 10 "ten tasks in the CRM"
expect_eq "$(q "select count(*) from task_refs where sink = 'testtasks' and ref like 'T%'")" 10 \
	"the CRM's ids kept"

SOURCE_DATE_EPOCH=1795000100 sg run -c "$cfg" $pd --as-of 2026-11-20T12:00:00Z
expect_status 0 "the run again"
expect_err "testtasks: 0 tasks handed, created 0" "nothing written twice"
expect_eq "$(crm_count '')" 10 "still ten tasks in the CRM"

# A manager approves one task in the CRM.
exception=$(q "select exception_id from task_refs where ref = 'T3'")
crm /crm/tasks/T3/complete '{"disposition": "approve", "by": "m1@example.com", "note": "buyer confirmed by phone", "at": "2026-11-20T15:00:00Z"}' >/dev/null
SOURCE_DATE_EPOCH=1795000200 sg run -c "$cfg" $pd --as-of 2026-11-21T00:00:00Z
expect_status 0 "the run that reads the disposition back"
expect_err "decided 1, refused 0" "the disposition recorded"
expect_eq "$(q "select status || ' ' || disposition || ' ' || decided_by from tasks where exception_id = '$exception'")" \
	"closed approve m1@example.com" "the task is closed as the CRM says"
expect_eq "$(q "select json_extract(detail, '\$.source') from events where type = 'disposition_recorded' and exception_id = '$exception'")" \
	"sink:testtasks" "the event names the sink"
sg review show -c "$cfg" "$exception"
expect_status 0 "review show"
expect_out "buyer confirmed by phone" "the CRM's note"

# Read back again: refused as a second `review decide` would be.
SOURCE_DATE_EPOCH=1795000300 sg run -c "$cfg" $pd --as-of 2026-11-21T00:00:00Z -v
expect_status 0 "a later run"
expect_err "decided 0, refused 1" "a second disposition refused"
expect_err "already" "the refusal says why"
expect_err "testtasks: GET $base/crm/tasks: 1 requests" \
	"-v counts the sink's requests per endpoint"

# A create that timed out (the CRM made the task, the answer came late):
# the run fails with exit 4, and the next run finds the task instead of
# creating it again.
crm /crm/reset '{}' >/dev/null
rm -f "$db"
sed "s|\"url\": \"$base\"|\"url\": \"$base\", \"create_delay_ms\": 1500, \"create_timeout_ms\": 300|" \
	"$cfg" >"$dir/slow.json"
SOURCE_DATE_EPOCH=1795000400 sg run -c "$dir/slow.json" $pd --as-of 2026-11-20T12:00:00Z
expect_status 4 "a sink that timed out"
expect_err "testtasks:" "the sink named"
expect_err "deadline" "the timeout said"
expect_eq "$(q "select count(*) from task_refs where ref = ''")" 1 \
	"the create marked as unknown"
sleep 2
SOURCE_DATE_EPOCH=1795000500 sg run -c "$cfg" $pd --as-of 2026-11-20T12:00:00Z
expect_status 0 "the run after the timeout"
expect_err "created 9, found 1" "the timed-out task found, not made again"
expect_eq "$(crm_count '')" 10 "no duplicate in the CRM"

stop_server
finish
