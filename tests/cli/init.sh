#!/bin/sh
# init.sh - `stageguard init`: a starter config that loads, the ledger
# created, an existing config kept, and --from refused without its plugin.
. "$(dirname "$0")/lib.sh"

cd "$scratch" || exit 1
sg init
expect_status 0 "init in an empty folder"
expect_out "wrote a starter config" "says it wrote the config"
expect_out "schema version 5" "ledger ready"
[ -f stageguard.json ] || fail "no starter config"
[ -f stageguard.db ] || fail "no ledger"
grep -q '"placeholders"' stageguard.json || fail "starter config lacks placeholders"

sg init
expect_status 0 "init again"
case "$out" in *"wrote a starter"*) fail "init overwrote the config" ;; esac

sg init -c missing-dir/x.json
expect_status 2 "config in a missing folder"

sg init --from hubspot
expect_status 2 "--from hubspot without its plugin"
expect_err "hubspot" "names the plugin"
sg init --from pipedrive
expect_status 2 "--from an unknown CRM"

echo '{"stages": [{"id": "a"}, {"id": "a"}]}' > dup.json
sg init -c dup.json
expect_status 2 "invalid config"
expect_err "duplicate stage id" "the config error"

finish
