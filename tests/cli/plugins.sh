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

finish
