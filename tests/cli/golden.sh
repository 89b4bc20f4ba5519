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
