#!/bin/sh
# salesforce_bench.sh - the Salesforce source against the fake at scale
# (docs/benchmarks.md, "Salesforce"): for each size in
# SALESFORCE_BENCH_SIZES (opportunities; default "10000"), a pipeline
# from tools/sg-gen served by tools/salesforce_fake.py, pulled twice:
# over REST only (bulk_threshold 0) and with the default threshold, so
# the objects above it go through Bulk API 2.0.  Prints for each the API
# calls made against the fewest the documented batch sizes allow (2,000
# records a REST page; for Bulk a job's create, polls and result sets),
# the wall time, and the pull's peak memory against the csv source's on
# the same files.
#
# Environment: top_builddir (default .), top_srcdir (default the
# script's parent), SALESFORCE_BENCH_DIR (default $top_builddir/bench),
# SALESFORCE_BENCH_SIZES.
set -u

top_builddir=$(cd "${top_builddir:-.}" && pwd) || exit 2
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
dir=${SALESFORCE_BENCH_DIR:-$top_builddir/bench}
sizes=${SALESFORCE_BENCH_SIZES:-10000}
sg=$top_builddir/stageguard
gen=$top_builddir/tools/sg-gen
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
mkdir -p "$dir" || exit 2

# calls: the API calls the fake has counted.
calls() {
	$py -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/_fake/stats"))["api_usage"])' \
		"$base"
}

# pull NAME THRESHOLD: one pull, its calls, wall and peak memory.
pull() {
	$py -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["sources"] = {"salesforce": {"base_url": sys.argv[3],
    "client_id_env": "SF_ID", "client_secret_env": "SF_SECRET",
    "refresh_token_env": "SF_REFRESH", "snapshot_dir": "",
    "bulk_threshold": int(sys.argv[4]),
    "evidence_object": {"object": "Stage_Evidence__c",
        "opportunity": "Opportunity__c", "criterion": "Criterion__c",
        "value": "Value__c", "party": "Party__c",
        "observed_at": "Observed_At__c", "ref": "Ref__c"}}}
json.dump(c, open(sys.argv[2], "w"))' "$d/rules.json" "$d/sf-$1.json" \
		"$base" "$2"
	before=$(calls)
	SF_ID=sf-client-id SF_SECRET=sf-client-secret \
	SF_REFRESH=sf-refresh-token /usr/bin/time -f '%e %M' \
		"$sg" pull -c "$d/sf-$1.json" >"$d/sf-$1.out" 2>"$d/sf-$1.err"
	echo "$? $(( $(calls) - before ))"
}

for n in $sizes; do
	d=$dir/salesforce-$n
	if [ ! -f "$d/rules.json" ]; then
		rm -rf "$d" && mkdir -p "$d" &&
		"$gen" --opps "$n" --out "$d/data" --config-out "$d/rules.json" \
			--quiet || exit 1
	fi
	rm -f "$d/in" && mkfifo "$d/in"
	$py "$top_srcdir/tools/salesforce_fake.py" --data "$d/data" \
		--config "$d/rules.json" --daily-limit 1000000 <"$d/in" \
		>"$d/port" 2>"$d/fake.err" &
	exec 3>"$d/in"
	while ! grep -q '^PORT ' "$d/port" 2>/dev/null; do
		kill -0 $! 2>/dev/null || { cat "$d/fake.err"; exit 1; }
		sleep 1
	done
	base="http://127.0.0.1:$(sed -n 's/^PORT //p' "$d/port")"
	rest=$(pull rest 0)
	bulk=$(pull bulk 10000)
	/usr/bin/time -f '%e %M' "$sg" pull -c "$d/rules.json" \
		--source "csv:$d/data" >/dev/null 2>"$d/csv.err"
	stats=$($py -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1] + "/_fake/stats").read().decode())' \
		"$base")
	exec 3>&-
	wait
	$py - "$n" "$rest" "$bulk" "$stats" "$d" <<'PY'
import json, math, sys
n, rest, bulk, stats, d = sys.argv[1:]
stats = json.loads(stats)
rec = stats["records"]
objects = ["Opportunity", "OpportunityHistory", "OpportunityFieldHistory",
           "Task", "Event", "EmailMessage", "Stage_Evidence__c"]
pages = lambda c: max(1, math.ceil(c / 2000))
# describe, Organization, the stages, the users, then each object's pages
fewest_rest = 3 + pages(rec["User"]) + sum(pages(rec[o]) for o in objects)
# a Bulk object: COUNT(), the job made, polled until complete (the fake
# says InProgress twice), its result sets; a small one stays on REST
def bulk_calls(c):
    return 1 + 1 + 3 + max(1, math.ceil(c / 50000)) if c > 10000 else \
        1 + pages(c)
fewest_bulk = 3 + pages(rec["User"]) + sum(bulk_calls(rec[o]) for o in objects)
def line(name, result, fewest):
    status, used = result.split()
    wall, kb = open("%s/sf-%s.err" % (d, name)).read().split()[-2:]
    return ("%s: exit %s, %s API calls for the %d the batch sizes allow "
            "(ratio %.3f), %.1f s, peak memory %.0f MiB" %
            (name, status, used, fewest, int(used) / fewest, float(wall),
             int(kb) / 1024))
csv_wall, csv_kb = open(d + "/csv.err").read().split()[-2:]
print("opportunities %s (%s records in all)" %
      (n, sum(rec[o] for o in objects)))
print("  " + line("rest", rest, fewest_rest))
print("  " + line("bulk", bulk, fewest_bulk))
print("  csv source on the same files: %.1f s, peak memory %.0f MiB" %
      (float(csv_wall), int(csv_kb) / 1024))
PY
done
