#!/bin/sh
# golden.sh - the bytes every output gives for the bundled demo stay the
# same: the workbook, the metrics files, the evidence bundle (tar.gz and
# zip), and what review, events, metrics and pilot status print.
#
# The clock is fixed with SOURCE_DATE_EPOCH, so the run id and the run's
# times are the same each time.  The expected SHA-256 sums are in
# tests/fixtures/golden/demo.sha256.  A deliberate change of an output
# regenerates them:
#
#   GOLDEN_UPDATE=1 STAGEGUARD=build/stageguard sh tests/cli/golden.sh
#
# and the commit says why the bytes changed.
. "$(dirname "$0")/lib.sh"

expected="$top_srcdir/tests/fixtures/golden/demo.sha256"
SOURCE_DATE_EPOCH=1795000000
export SOURCE_DATE_EPOCH
demo="$scratch/demo"
outs="$scratch/outputs"
mkdir -p "$outs"

sg demo --out "$demo"
expect_status 0 "demo"
cp "$demo/pilot-report.xlsx" "$outs/demo-pilot-report.xlsx"
cp "$demo/evidence.tar.gz" "$outs/demo-evidence.tar.gz"
for f in metrics.json metrics.csv events.jsonl; do
	cp "$demo/metrics/$f" "$outs/demo-metrics-$f"
done

# save NAME ARGS...: runs stageguard in the demo folder and keeps stdout.
save() {
	name=$1
	shift
	(cd "$demo" && "$STAGEGUARD" "$@") >"$outs/$name" 2>"$scratch/.err"
	status=$?
	err=$(cat "$scratch/.err")
	expect_status 0 "$name"
}

save review-list.txt review list --status all --as-of 2026-11-21T00:00:00Z
first=$(sed -n '2p' "$outs/review-list.txt" | awk '{print $1}')
[ -n "$first" ] || fail "review list shows no task"
save review-show.txt review show "$first" --as-of 2026-11-21T00:00:00Z
# A decision, then every output again: they show it.
save decide.txt review decide "$first" --disposition correct --by m001 \
	--note "moved back" --at 2026-11-21T09:30:00Z
save events.jsonl events
save metrics-compare.json metrics --compare --format json
save metrics-pilot.txt metrics --window pilot --format text
save pilot-status.txt pilot status --as-of 2026-11-21T12:00:00Z
save report.txt report --out "$outs/report.xlsx"
save bundle-tgz.txt bundle --out "$outs/bundle.tar.gz"
save bundle-zip.txt bundle --out "$outs/bundle.zip"
# Messages name the scratch folder: keep only the files' own bytes.
rm -f "$outs/report.txt" "$outs/bundle-tgz.txt" "$outs/bundle-zip.txt"

(cd "$outs" && sha256sum -- *) >"$scratch/actual.sha256"
# The workbooks and bundles are deflated by ISA-L, whose bytes are those
# of its code for the processor: the sums were made on x86-64 with
# SSE4.2 (any x86-64 server since 2008).  Elsewhere those outputs are
# only checked to be made (above) and the others compared.
compressed='\.(xlsx|tar\.gz|zip)$'
if [ "$(uname -m)" != x86_64 ] ||
   ! grep -qw sse4_2 /proc/cpuinfo 2>/dev/null; then
	[ "${GOLDEN_UPDATE:-}" = 1 ] &&
		fail "make the golden sums on x86-64 with SSE4.2"
	echo "golden: SKIP the sums of the workbooks and bundles: ISA-L" \
	     "compresses differently on $(uname -m) without SSE4.2" >&2
	grep -Ev "$compressed" "$expected" >"$scratch/expected.sha256"
	grep -Ev "$compressed" "$scratch/actual.sha256" \
		>"$scratch/actual.tmp" && mv "$scratch/actual.tmp" \
		"$scratch/actual.sha256"
	expected="$scratch/expected.sha256"
fi
if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
	mkdir -p "$(dirname "$expected")"
	cp "$scratch/actual.sha256" "$expected"
	echo "golden: wrote $expected"
	finish
fi
if ! diff "$expected" "$scratch/actual.sha256" >"$scratch/diff"; then
	fail "outputs differ from $expected (a deliberate change: see the top of this script):"
	cat "$scratch/diff" >&2
fi
finish
