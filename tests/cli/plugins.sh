#!/bin/sh
# plugins.sh - `stageguard plugins`: the csv source is listed and
# documented from its option table; broken modules are refused naming the
# file and the reason.
. "$(dirname "$0")/lib.sh"

sg plugins
expect_status 0 "plugins"
expect_out "csv" "csv listed"
expect_out "source" "kind shown"

sg plugins --help csv
expect_status 0 "plugins --help csv"
expect_out "dir" "dir option documented"
expect_out "mapping" "mapping option documented"

sg plugins --help nope
expect_status 2 "unknown plugin"
expect_err "no source plugin named \"nope\"" "names the plugin"

sg plugins --plugin-dir "$SG_TEST_PLUGINS"
expect_status 2 "broken modules reported"
expect_out "testsrc" "the good test plugin is listed"
expect_err "badabi.so" "wrong ABI named"
expect_err "ABI version 100" "wrong ABI reason"
expect_err "noentry.so" "missing entry named"
expect_err "exports no sg_plugin_entry" "missing entry reason"
expect_err "badname.so" "wrong name named"

# Using a broken plugin as a source: exit 2 with the reason.
dir=$(copy_fixture basic)
sg check -c "$dir/stageguard.json" --plugin-dir "$SG_TEST_PLUGINS" \
	--source badabi --dry-run
expect_status 2 "broken plugin as a source"
expect_err "ABI version" "the reason"

# A source failing mid-pull: exit 4.
cat > "$scratch/fail.json" <<JSON
{"stages": [{"id": "discovery"}],
 "sources": {"testsrc": {"fail_at_pull": 2, "token": "s3cret-token"}}}
JSON
sg check -c "$scratch/fail.json" --plugin-dir "$SG_TEST_PLUGINS" --dry-run
expect_status 4 "source failure"
expect_err "testsrc: failing at pull 2" "the source's message with its name"
case "$err$out" in *s3cret-token*) fail "a secret reached the output" ;; esac

# A source with concurrent streams: every stream's records arrive.
cat > "$scratch/streams.json" <<JSON
{"stages": [{"id": "discovery"}], "sources": {"testsrc": {"opportunities": 5}}}
JSON
sg pull -c "$scratch/streams.json" --plugin-dir "$SG_TEST_PLUGINS"
expect_status 0 "pull with streams"
expect_out "activities                         5" "one activity per opportunity from the activity stream"
expect_out "evidence records                   5" "one evidence record per opportunity from the evidence stream"
# A failing stream stops the pull: exit 4 with the stream's message.
cat > "$scratch/streamfail.json" <<JSON
{"stages": [{"id": "discovery"}], "sources": {"testsrc": {"fail_stream": 2}}}
JSON
sg pull -c "$scratch/streamfail.json" --plugin-dir "$SG_TEST_PLUGINS"
expect_status 4 "failing stream"
expect_err "testsrc: stream 2 failing as asked" "the stream's error"

# A section the plugin's table does not know: refused with the JSON path.
cat > "$scratch/bad.json" <<JSON
{"stages": [{"id": "discovery"}], "sources": {"csv": {"folder": "x"}}}
JSON
sg check -c "$scratch/bad.json" --dry-run
expect_status 2 "unknown csv option"
expect_err '$.sources.csv.folder' "JSON path"
expect_err "bad.json" "config file named"

# A plugin that is both source and sink: listed so, its options shown for
# both sections, each role's required option required in that role only.
sg plugins --plugin-dir "$SG_TEST_PLUGINS" --help testboth
expect_status 0 "help of a source and sink"
expect_out "(source+sink)" "both kinds"
expect_out 'under "sources" and "sinks"' "both sections"
expect_out "required as a source" "the source's required option"
expect_out "required as a sink" "the sink's required option"
cat > "$scratch/both.json" <<JSON
{"stages": [{"id": "discovery"}], "sources": {"testboth": {}}}
JSON
sg pull -c "$scratch/both.json" --plugin-dir "$SG_TEST_PLUGINS"
expect_status 2 "a source section without its required option"
expect_err '$.sources.testboth' "the section's path"
expect_err 'missing required option "pipeline" (required as a source)' \
	"the source's option"
cat > "$scratch/both.json" <<JSON
{"stages": [{"id": "discovery"}], "sources": {"testboth": {"pipeline": "p"}},
 "sinks": {"testboth": {"pipeline": "p"}}}
JSON
sg pull -c "$scratch/both.json" --plugin-dir "$SG_TEST_PLUGINS"
expect_status 2 "a sink section without its required option"
expect_err '$.sinks.testboth' "the sink section's path"
expect_err 'missing required option "owner" (required as a sink)' \
	"the sink's option"
cat > "$scratch/both.json" <<JSON
{"stages": [{"id": "discovery"}], "sources": {"testboth": {"pipeline": "p"}},
 "sinks": {"testboth": {"owner": "m1"}}}
JSON
sg pull -c "$scratch/both.json" --plugin-dir "$SG_TEST_PLUGINS"
expect_status 0 "each role with its own options"
expect_out "opportunities                      1" "the source pulled"

# A source that talked to a server and then failed exits 4 (a network or
# API reason), whatever code it used: here a parse error after a refused
# connection on a loopback port nothing listens on.
port=$($PYTHON3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat > "$scratch/net.json" <<JSON
{"stages": [{"id": "discovery"}],
 "sources": {"testboth": {"pipeline": "p", "url": "http://127.0.0.1:$port/"}}}
JSON
sg pull -c "$scratch/net.json" --plugin-dir "$SG_TEST_PLUGINS"
expect_status 4 "a network source failing"
expect_err "testboth: the server's answer is not JSON" "the plugin's message"

finish
