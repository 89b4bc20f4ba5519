#!/bin/sh
# offline.sh - a run keeps the records it judged in the ledger: report,
# bundle and metrics give the same bytes from them as from the source,
# and still work once the source is gone; unchanged records are stored
# once across runs (and not compressed again); a damaged chunk is refused,
# not misread.
. "$(dirname "$0")/lib.sh"

SOURCE_DATE_EPOCH=1795000000
export SOURCE_DATE_EPOCH
demo="$scratch/demo"
sg demo --out "$demo"
expect_status 0 "demo"
cd "$demo" || exit 1

# outputs DIR [ARGS...]: the workbook, the bundle and the comparison.
outputs() {
	dir=$1
	shift
	mkdir -p "$dir"
	sg report --out "$dir/report.xlsx" "$@"
	expect_status 0 "report $*"
	sg bundle --out "$dir/bundle.tar.gz" "$@"
	expect_status 0 "bundle $*"
	sg metrics --compare --format json "$@"
	expect_status 0 "metrics $*"
	printf '%s\n' "$out" >"$dir/compare.json"
}

outputs "$scratch/pulled" --source csv:data
rm -rf data
outputs "$scratch/kept"
for f in report.xlsx bundle.tar.gz compare.json; do
	cmp -s "$scratch/pulled/$f" "$scratch/kept/$f" ||
		fail "$f from the kept records differs from the source's"
done

sg report -v --out "$scratch/again.xlsx"
expect_err "read the records run" "report says where its records came from"
sg report --out "$scratch/x.xlsx" --source csv:data
[ "$status" -ne 0 ] || fail "--source still reads the (deleted) source"

# A second run of the same records stores no chunk again.  (The data
# folder is back, unchanged.)
cp -R "$top_srcdir/configs/demo/data" data
chmod -R u+w data
chunks=$(sqlite3 stageguard.db 'select count(*) from input_chunks')
[ "$chunks" -gt 0 ] || fail "the run kept no records"
sg run --as-of 2026-11-21T00:00:00Z -v
expect_status 0 "second run"
expect_eq "$(sqlite3 stageguard.db 'select count(*) from input_chunks')" \
	"$chunks" "unchanged records are stored once"
# ... found by the digest of their records, not compressed again.
expect_err "in $chunks chunks ($chunks of them stored by an earlier run)" \
	"the second run finds every chunk stored"
expect_eq "$(sqlite3 stageguard.db 'select count(distinct run_id) from run_inputs')" \
	2 "both runs name their records"

# The same run once more (same as-of; SOURCE_DATE_EPOCH fixes its start):
# refused, saying why and what to do, and nothing is recorded twice.
runs=$(sqlite3 stageguard.db 'select count(*) from runs')
sg run --as-of 2026-11-21T00:00:00Z
[ "$status" -ne 0 ] || fail "the same run was recorded twice"
expect_err "started in the same second" "the refusal says why"
expect_err "run it again a second later" "the refusal says what to do"
expect_eq "$(sqlite3 stageguard.db 'select count(*) from runs')" "$runs" \
	"nothing is recorded twice"

# A damaged chunk: refused with what to do, never misread.
sqlite3 stageguard.db "update input_chunks set data = zeroblob(length(data))
	where sha256 = (select sha256 from run_inputs order by run_id, part
	limit 1)"
sg report --out "$scratch/bad.xlsx"
expect_status 1 "a damaged chunk"
expect_err "restore" "says how to recover"
expect_err "--source" "names the way around"
[ ! -e "$scratch/bad.xlsx" ] || fail "a workbook was written from damaged records"

finish
