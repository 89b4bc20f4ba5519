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
# Environment: top_builddir (default .), top_srcdir (default the
# script's parent), HUBSPOT_BENCH_DIR (default $top_builddir/bench),
# HUBSPOT_BENCH_SIZES, HUBSPOT_BENCH_RATE.
set -u

top_builddir=$(cd "${top_builddir:-.}" && pwd) || exit 2
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
dir=${HUBSPOT_BENCH_DIR:-$top_builddir/bench}
sizes=${HUBSPOT_BENCH_SIZES:-10000}
rate=${HUBSPOT_BENCH_RATE:-100}
sg=$top_builddir/stageguard
gen=$top_builddir/tools/sg-gen
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
mkdir -p "$dir" || exit 2

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
