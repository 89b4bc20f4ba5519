# lib.sh - helpers for the CLI integration tests (sourced, POSIX sh).
#
# Each test script runs stageguard ($STAGEGUARD, set by `make check`) in a
# scratch folder and asserts exit statuses and output.  A script exits 0
# on success, 1 on failure and 77 to be reported as skipped.

set -u

: "${STAGEGUARD:=$(pwd)/stageguard}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
fixtures="$top_srcdir/tests/fixtures/cli"

# Debian's python3 (it sees the python3-* packages, e.g. openpyxl) before
# any other python3 on PATH.
if [ -x /usr/bin/python3 ]; then PYTHON3=/usr/bin/python3; else PYTHON3=python3; fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/sg-cli-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# sg ARGS...: runs stageguard; sets $status, $out (stdout), $err (stderr).
sg() {
	"$STAGEGUARD" "$@" >"$scratch/.out" 2>"$scratch/.err"
	status=$?
	out=$(cat "$scratch/.out")
	err=$(cat "$scratch/.err")
}

expect_status() {
	[ "$status" = "$1" ] ||
		fail "$2: exit status $status, expected $1; stderr: $err"
}

expect_out() {
	case "$out" in
	*"$1"*) ;;
	*) fail "$2: stdout lacks \"$1\"; stdout was: $out" ;;
	esac
}

expect_err() {
	case "$err" in
	*"$1"*) ;;
	*) fail "$2: stderr lacks \"$1\"; stderr was: $err" ;;
	esac
}

expect_eq() {
	[ "$1" = "$2" ] || fail "$3: got \"$1\", expected \"$2\""
}

# copy_fixture NAME: copies tests/fixtures/cli/NAME into the scratch
# folder and prints the copy's path.
copy_fixture() {
	cp -R "$fixtures/$1" "$scratch/$1"
	chmod -R u+w "$scratch/$1"
	echo "$scratch/$1"
}

# json EXPR: evaluates a Python expression over the JSON lines in $out
# (bound to `rows`, a list of dicts) and prints the result.
json() {
	printf '%s\n' "$out" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
print(eval(sys.argv[1]))' "$1"
}

# For tests against a loopback fake (tools/*_fake.py, with fake_call):
# log_mark, the requests it served so far; requests_since N PY-EXPR, the
# requests after the first N, as `log` (a list of {method, path, query,
# body}), through a Python expression.
log_mark() {
	fake_call GET /_fake/log | $PYTHON3 -c \
		'import json, sys; print(len(json.load(sys.stdin)["log"]))'
}
requests_since() {
	fake_call GET /_fake/log | $PYTHON3 -c 'import json, sys
log = json.load(sys.stdin)["log"][int(sys.argv[1]):]
print(eval(sys.argv[2]))' "$1" "$2"
}

# hold_lock FILE SECONDS: a process holds an advisory lock (flock) on
# FILE for SECONDS, as a live stageguard holds its ledger's or an
# output's; returns once it is held, with the process id in $holder.
hold_lock() {
	rm -f "$scratch/.held"
	$PYTHON3 - "$1" "$2" "$scratch/.held" <<'PY' &
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[3], "w").close()
time.sleep(float(sys.argv[2]))
PY
	holder=$!
	while [ ! -e "$scratch/.held" ]; do sleep 0.1; done
}

finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$failures assertion(s) failed" >&2
		exit 1
	fi
	exit 0
}

# shared_data NAME: prints the path of ../shared/data/NAME, or exits 77
# with a visible message when it is absent (a user's own clone).
shared_data() {
	d="${SG_SHARED_DATA:-$top_srcdir/../shared/data}/$1"
	if [ ! -d "$d" ]; then
		echo "SKIP: $d is absent (the shared public CRM exports are not beside this clone)" >&2
		exit 77
	fi
	echo "$d"
}

# start_server SCRIPT ARGS...: starts a loopback test server (a Python
# program that prints "PORT n" and ends when its standard input closes:
# tests/http_server.py, tools/hubspot_fake.py) and sets $base to its
# root URL.  One at a time; stop_server ends it (so does the test's end).
server_count=0
start_server() {
	server_count=$((server_count + 1))
	server_dir="$scratch/server.$server_count"
	mkdir "$server_dir" && mkfifo "$server_dir/in" || exit 1
	$PYTHON3 "$@" <"$server_dir/in" >"$server_dir/out" \
		2>"$server_dir/err" &
	server_pid=$!
	exec 3>"$server_dir/in"
	tries=0
	until grep -q '^PORT ' "$server_dir/out" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -gt 100 ]; then
			fail "the test server did not start: $(cat "$server_dir/err")"
			finish
		fi
		sleep 0.1
	done
	base="http://127.0.0.1:$(sed -n 's/^PORT //p' "$server_dir/out")"
}

stop_server() {
	exec 3>&-
	wait "$server_pid" 2>/dev/null
}

# fake_call METHOD PATH [JSON]: one call to the running server's admin
# or API paths (with $FAKE_TOKEN as a bearer token when set); prints the
# answer's body.
fake_call() {
	$PYTHON3 -c '
import os, sys, urllib.request
data = sys.argv[3].encode() if sys.argv[3] else None
req = urllib.request.Request(sys.argv[2] + sys.argv[4], data=data,
                             method=sys.argv[1])
if data:
    req.add_header("Content-Type", "application/json")
if os.environ.get("FAKE_TOKEN"):
    req.add_header("Authorization", "Bearer " + os.environ["FAKE_TOKEN"])
print(urllib.request.urlopen(req).read().decode())' "$1" "$base" "${3:-}" "$2"
}
