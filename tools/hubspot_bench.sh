#!/bin/sh
# hubspot_bench.sh - the HubSpot source against the fake at scale
# (docs/benchmarks.md, "HubSpot"): for each size in HUBSPOT_BENCH_SIZES
# (deals; default "10000"), a pipeline from tools/sg-gen served by
# tools/hubspot_fake.py enforcing HUBSPOT_BENCH_RATE requests in any 10
# seconds (default 100, the documented burst limit of a free or starter
# portal; 190 for Pro and Enterprise), pulled with requests_per_10s at
# the same rate.  Prints the requests made against the fewest the
# documented page sizes allow (the ratio), the requests the fake refused
# with a 429, the wall time, and the pull's peak memory against the csv
# source's on the same files.
#
# Then, unless HUBSPOT_BENCH_INCREMENTAL=0, the daily case: a recorded
# `run` (a full pull keeping its snapshot), HUBSPOT_BENCH_CHANGED deals
# (default 1%) moved a stage in the portal, and the next `run`, an
# incremental pull: its requests, wall time and peak memory against the
# full run's, and whether its snapshot holds the same rows as a full
# pull of the changed portal.
#
# Environment: top_builddir (default .), top_srcdir (default the
# script's parent), HUBSPOT_BENCH_DIR (default $top_builddir/bench),
# HUBSPOT_BENCH_SIZES, HUBSPOT_BENCH_RATE.
set -u

top_builddir=$(cd "${top_builddir:-.}" && pwd) || exit 2
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
dir=${HUBSPOT_BENCH_DIR:-$top_builddir/bench}
sizes=${HUBSPOT_BENCH_SIZES:-10000}
rate=${HUBSPOT_BENCH_RATE:-100}
incremental=${HUBSPOT_BENCH_INCREMENTAL:-1}
sg=$top_builddir/stageguard
gen=$top_builddir/tools/sg-gen
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
mkdir -p "$dir" || exit 2

# fake POST PATH JSON: one admin call to the running fake.
fake() {
	$py -c 'import sys, urllib.request
req = urllib.request.Request(sys.argv[1] + sys.argv[2], sys.argv[3].encode(),
                             {"Content-Type": "application/json"})
print(urllib.request.urlopen(req).read().decode())' "$base" "$1" "$2"
}

# requests: how many the fake has served.
requests() {
	$py -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/_fake/stats"))["requests"])' \
		"$base"
}

# bench_incremental DIR DEALS BASE: a full run, changes, an incremental run.
bench_incremental() {
	changed=${HUBSPOT_BENCH_CHANGED:-$(( $2 / 100 ))}
	rm -rf "$1/snap" "$1/full-snap" "$1/inc.db"
	$py -c 'import json, sys
c = json.load(open(sys.argv[1]))
h = c["sources"]["hubspot"]
h["snapshot_dir"] = "snap"
c["ledger"] = "inc.db"
json.dump(c, open(sys.argv[2], "w"))
h["snapshot_dir"] = "full-snap"
h["full_sync_days"] = 0
json.dump(c, open(sys.argv[3], "w"))' "$1/hs.json" "$1/inc.json" "$1/full.json"
	asof=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
	before=$(requests)
	HS_TOKEN=pat-test-token SOURCE_DATE_EPOCH=1795000000 \
		/usr/bin/time -f '%e %M' "$sg" run -c "$1/inc.json" \
		--as-of "$asof" >/dev/null 2>"$1/run-full.err"
	full_status=$?
	full_requests=$(( $(requests) - before ))
	fake /_fake/clock '{"advance_s": 900}' >/dev/null
	$py - "$base" "$1/data/opportunities.csv" "$changed" <<'PY'
import csv, json, sys, urllib.request
base, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = [r["id"] for r in csv.DictReader(open(path, encoding="utf-8"))]
step = max(1, len(ids) // max(n, 1))
for i in ids[::step][:n]:
    req = urllib.request.Request(base + "/_fake/deal", json.dumps(
        {"id": i, "properties": {"amount": "123.45"}}).encode(),
        {"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
PY
	fake /_fake/clock '{"advance_s": 900}' >/dev/null
	before=$(requests)
	HS_TOKEN=pat-test-token SOURCE_DATE_EPOCH=1795000100 \
		/usr/bin/time -f '%e %M' "$sg" run -c "$1/inc.json" -v \
		--as-of "$asof" >/dev/null 2>"$1/run-inc.err"
	inc_status=$?
	inc_requests=$(( $(requests) - before ))
	HS_TOKEN=pat-test-token "$sg" check -c "$1/full.json" --dry-run \
		--as-of "$asof" >/dev/null 2>&1
	$py - "$2" "$changed" "$full_status" "$full_requests" "$1/run-full.err" \
		"$inc_status" "$inc_requests" "$1/run-inc.err" "$1/snap" \
		"$1/full-snap" <<'PY'
import os, sys
(n, changed, fs, fr, ferr, ist, ir, ierr, a, b) = sys.argv[1:]
fw, fk = open(ferr).read().split()[-2:]
iw, ik = open(ierr).read().split()[-2:]
def rows(d):
    return {f: sorted(open(os.path.join(d, f), encoding="utf-8"))
            for f in os.listdir(d) if f.endswith(".csv")}
same = rows(a) == rows(b)
print("deals %s, %s changed: full run exit %s, %s requests, %.0f s, %.0f MiB; "
      "incremental run exit %s, %s requests (ratio %.4f), %.1f s (ratio "
      "%.3f), %.0f MiB; snapshot the same as a full pull's: %s" %
      (n, changed, fs, fr, float(fw), int(fk) / 1024, ist, ir,
       int(ir) / int(fr), float(iw), float(iw) / float(fw), int(ik) / 1024,
       same))
PY
	grep "incremental pull" "$1/run-inc.err"
}

for n in $sizes; do
	d=$dir/hubspot-$n
	if [ ! -f "$d/rules.json" ]; then
		rm -rf "$d" && mkdir -p "$d" &&
		"$gen" --opps "$n" --out "$d/data" --config-out "$d/rules.json" \
			--quiet || exit 1
	fi
	rm -f "$d/in" && mkfifo "$d/in"
	$py "$top_srcdir/tools/hubspot_fake.py" --data "$d/data" \
		--config "$d/rules.json" --rate "$rate" <"$d/in" >"$d/port" \
		2>"$d/fake.err" &
	exec 3>"$d/in"
	while ! grep -q '^PORT ' "$d/port" 2>/dev/null; do
		kill -0 $! 2>/dev/null || { cat "$d/fake.err"; exit 1; }
		sleep 0.5
	done
	base="http://127.0.0.1:$(sed -n 's/^PORT //p' "$d/port")"
	$py -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["sources"] = {"hubspot": {"base_url": sys.argv[3], "token_env": "HS_TOKEN",
    "pipeline": c["pipeline"]["id"],
    "requests_per_10s": int(sys.argv[4]), "snapshot_dir": "",
    "evidence_object": {"object": "2-9000001", "criterion": "criterion",
        "value": "value", "party": "party", "observed_at": "observed_at",
        "ref": "ref"}}}
json.dump(c, open(sys.argv[2], "w"))' "$d/rules.json" "$d/hs.json" "$base" \
		"$rate"
	HS_TOKEN=pat-test-token /usr/bin/time -f '%e %M' \
		"$sg" pull -c "$d/hs.json" -v >"$d/hs.out" 2>"$d/hs.err"
	hs_status=$?
	/usr/bin/time -f '%e %M' "$sg" pull -c "$d/rules.json" \
		--source "csv:$d/data" >/dev/null 2>"$d/csv.err"
	stats=$($py -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1] + "/_fake/stats").read().decode())' \
		"$base")
	if [ "$incremental" != 0 ]; then
		bench_incremental "$d" "$n" "$base"
	fi
	exec 3>&-
	wait
	$py - "$n" "$rate" "$hs_status" "$stats" "$d/hs.err" "$d/csv.err" <<'PY'
import json, math, sys
n, rate, status, stats = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
hs_wall, hs_kb = open(sys.argv[5]).read().split()[-2:]
csv_wall, csv_kb = open(sys.argv[6]).read().split()[-2:]
pages = lambda count, size: max(1, math.ceil(count / size))
fewest = (1 + pages(stats["owners"], 100) + pages(stats["deals"], 50) +
          sum(pages(c, 100) for c in stats["objects"].values()))
print("deals %s, rate %s/10 s: exit %s, %d requests for the %d the page "
      "sizes allow (ratio %.3f), %d refused with 429, %.0f s; peak memory "
      "%.0f MiB (csv source on the same files: %.0f MiB, ratio %.2f)" %
      (n, rate, status, stats["requests"], fewest,
       stats["requests"] / fewest, stats["rate_limited"], float(hs_wall),
       int(hs_kb) / 1024, int(csv_kb) / 1024, int(hs_kb) / int(csv_kb)))
PY
done
