#!/bin/sh
# secrets.sh - a token a connector learns at run time, and a secret
# option, reach no output: tests/plugins/testnet gets tokens from the
# loopback test server (tests/http_server.py), registers them, renews one
# when the session expires, and then logs the token, puts it in a record
# and in an error.  Neither the tokens nor the option's value may appear
# in stdout, stderr (-vv trace included), the ledger, the report, the
# bundle or the review queue.
. "$(dirname "$0")/lib.sh"

start_server "$top_srcdir/tests/http_server.py"
secret="cs-Very-Secret-77"

cfg="$scratch/net.json"
cat > "$cfg" <<JSON
{"pipeline": {"id": "new_business"},
 "criteria": {"pain": {}},
 "stages": [{"id": "discovery", "exit_criteria": ["pain"]},
            {"id": "proposal"},
            {"id": "won", "closed": true, "won": true}],
 "sources": {"testnet": {"url": "$base", "client_secret": "$secret"}},
 "ledger": "net.db"}
JSON
pd="--plugin-dir $SG_TEST_PLUGINS"
asof=2026-11-20T12:00:00Z

# Every file and output of this test so far (the configs, which hold the
# secret option, aside), searched for each secret.
search_outputs() {
	tokens=$($PYTHON3 -c '
import json, sys, urllib.request
print("\n".join(json.load(urllib.request.urlopen(sys.argv[1] + "/tokens"))
                ["tokens"]))' "$base")
	[ -n "$tokens" ] || fail "the server issued no token"
	sqlite3 "$scratch/net.db" .dump >"$scratch/ledger.sql" 2>&1 ||
		fail "cannot dump the ledger"
	for value in $secret $tokens; do
		if grep -r -l -F --exclude="*.json" -- "$value" "$scratch" \
			>"$scratch/hits" 2>&1
		then
			fail "$1: $value appears in $(cat "$scratch/hits")"
		fi
	done
}

SOURCE_DATE_EPOCH=1795000000 sg run -c "$cfg" $pd --as-of $asof -v -v
expect_status 0 "a run through the connector"
cp "$scratch/.err" "$scratch/run.err"
cp "$scratch/.out" "$scratch/run.out"
expect_err "testnet: the token is <redacted>" "a careless log line"
expect_err "/protected?access_token=<redacted> -> 401" "the trace"
expect_err "renewing the credentials" "the expired session renewed"
expect_err "GET $base/protected: 3 requests, 0 retries, 1 refreshes" \
	"the -v summary per endpoint"

case "$err" in *" pages"*) fail "progress drawn without a terminal" ;; esac

# On a terminal, a network pull shows its records and pages as it goes.
$PYTHON3 -c 'import pty, sys; pty.spawn(sys.argv[1:])' \
	"$STAGEGUARD" pull -c "$cfg" $pd >"$scratch/tty.out" 2>&1 </dev/null
grep -q "testnet: 1 opportunities, 1 stage events; 5 pages" \
	"$scratch/tty.out" || fail "no progress on a terminal: $(cat "$scratch/tty.out")"

sg report -c "$cfg" $pd --as-of $asof --out "$scratch/report.xlsx"
expect_status 0 "report"
sg bundle -c "$cfg" $pd --as-of $asof --out "$scratch/bundle.tar.gz"
expect_status 0 "bundle"
mkdir "$scratch/report" "$scratch/bundle"
(cd "$scratch/report" && unzip -q ../report.xlsx) || fail "unzip"
tar -xzf "$scratch/bundle.tar.gz" -C "$scratch/bundle" || fail "untar"
grep -q -r -F "Deal of <redacted>" "$scratch/report" "$scratch/bundle" ||
	fail "the redacted deal name is in neither the report nor the bundle"
sg review list -c "$cfg" --format jsonl
expect_status 0 "review list"
cp "$scratch/.out" "$scratch/review.out"
search_outputs "after run, report and bundle"

# A connector failing with the token in its message.
sed 's/"client_secret"/"fail": true, "client_secret"/' "$cfg" \
	>"$scratch/fail.json"
sg pull -c "$scratch/fail.json" $pd
expect_status 4 "a connector failing"
expect_err "testnet: page 2 for <redacted> is unreadable" "the error"
cp "$scratch/.err" "$scratch/fail.err"
search_outputs "after a failure"

stop_server
finish
