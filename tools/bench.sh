#!/bin/sh
# bench.sh - times `stageguard check` on generated pipelines (make bench).
#
# For each size in BENCH_SIZES (opportunities; default "100000 1000000") it
# generates a pipeline once with tools/sg-gen (cached under BENCH_DIR,
# default $top_builddir/bench, and reused while size, seed and generator
# are the same), reads the files once so the page cache is warm, then runs
#
#   stageguard check -c CONFIG --source csv:DIR --as-of T --dry-run \
#       --format jsonl > /dev/null
#
# under GNU time BENCH_RUNS times (default 1) and prints, for the fastest
# run, the wall time, opportunities per second, input MB per second and the
# peak resident set size, and the load average before and after.  Then,
# unless BENCH_JOB=0, the daily job on the same data, each command once,
# its wall time as a ratio to that check in the same run and to a check
# timed just before the command (the "paired" check):
#
#   run (a new ledger), run again at the same as-of, report, bundle,
#   metrics --compare, pilot status
#
# and the ledger's size per recorded exception.  The method is described
# in docs/benchmarks.md.
#
# Environment: top_builddir (default .), BENCH_SIZES, BENCH_DIR,
# BENCH_SEED (default 1), BENCH_RUNS, STAGEGUARD (default
# $top_builddir/stageguard), SG_GEN (default $top_builddir/tools/sg-gen).
set -u

AS_OF=2026-11-20T18:00:00Z
top_builddir=${top_builddir:-.}
top_builddir=$(cd "$top_builddir" && pwd) || exit 2
sizes=${BENCH_SIZES:-}
[ -n "$sizes" ] || sizes="100000 1000000"
dir=${BENCH_DIR:-}
[ -n "$dir" ] || dir=$top_builddir/bench
seed=${BENCH_SEED:-}
[ -n "$seed" ] || seed=1
runs=${BENCH_RUNS:-}
[ -n "$runs" ] || runs=1
sg=${STAGEGUARD:-$top_builddir/stageguard}
gen=${SG_GEN:-$top_builddir/tools/sg-gen}
timebin=/usr/bin/time

die() {
	echo "bench: $*" >&2
	exit 2
}

if ! { [ -x "$timebin" ] && "$timebin" -v true >/dev/null 2>&1; }; then
	die "GNU time is needed at $timebin: apt-get install time"
fi
[ -x "$gen" ] || die "$gen not found: run make first"
[ -x "$sg" ] || die "$sg not found: run make first"
case $runs in
''|*[!0-9]*|0) die "BENCH_RUNS must be a positive count, not '$runs'" ;;
esac
for n in $sizes; do
	case $n in
	''|*[!0-9]*) die "BENCH_SIZES holds '$n', not a count" ;;
	esac
done
case $gen in /*) ;; *) gen=$(pwd)/$gen ;; esac
case $sg in /*) ;; *) sg=$(pwd)/$sg ;; esac
gen_version=$("$gen" --version) || die "$gen --version failed"
mkdir -p "$dir" || die "cannot create $dir"
dir=$(cd "$dir" && pwd)

# "h:mm:ss" or "m:ss.ss" from GNU time into seconds
to_seconds() {
	echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i;
		printf "%.2f", s }'
}

field() {
	sed -n "s/^[[:space:]]*$1: //p" "$2" | head -n 1
}

echo "stageguard benchmark: $(uname -srm), $(nproc 2>/dev/null || echo '?')" \
     "CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null |
	head -n 1)"
echo "as-of $AS_OF, seed $seed, best of $runs run(s), data in $dir"
# Other work on the machine moves the figures more than most changes do:
# say how busy it was.
load_avg() {
	cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'
}
echo "load average before: $(load_avg)"
printf '%-10s %10s %10s %9s %12s %10s %10s %6s\n' opps "input MB" "gen s" \
	"wall s" "opps/s" "MB/s" "peak MB" exit

# paired_check CASE_DIR: times `check --dry-run` on the case's data with
# a ledger of its own (so since is the pilot start, as in the first
# check) and prints its wall time.  Each command of the daily job is
# also given as a ratio to the check timed just before it: on a shared
# machine the check itself varies by a quarter over minutes, and a
# ratio to a neighbour in time is the steadier figure.
paired_check() {
	pdir=$1
	rm -f "$pdir"/paired.db*
	(cd "$pdir" && "$timebin" -v -o paired.time "$sg" check \
		-c stageguard.json --source csv:data --as-of "$AS_OF" \
		--dry-run --format jsonl --ledger paired.db > /dev/null \
		2> paired.err) || return 1
	rm -f "$pdir"/paired.db*
	to_seconds "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' \
		"$pdir/paired.time")"
}

# job CASE_DIR NAME CHECK_WALL ARGS...: times one command of the daily
# job in the case folder and prints its wall time, its ratio to the
# first check, the check timed just before it and the ratio to that,
# and its peak RSS.
job() {
	jdir=$1 name=$2 base=$3
	shift 3
	pwall=$(paired_check "$jdir") || {
		echo "bench: the paired check failed; see $jdir/paired.err" >&2
		return 1
	}
	(cd "$jdir" && "$timebin" -v -o job.time "$sg" "$@" \
		> job.out 2> job.err)
	jrc=$?
	jwall=$(to_seconds "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' \
		"$jdir/job.time")")
	jrss=$(field 'Maximum resident set size (kbytes)' "$jdir/job.time")
	awk -v name="$name" -v w="$jwall" -v b="$base" -v p="$pwall" \
	    -v rss="$jrss" -v rc="$jrc" 'BEGIN {
		printf "  %-22s %9.2f %8.1fx %9.2f %8.1fx %10.1f %6d\n",
		       name, w, (b > 0 ? w / b : 0), p, (p > 0 ? w / p : 0),
		       rss / 1024, rc }'
	if [ "$jrc" -ne 0 ]; then
		echo "bench: $name exited $jrc; last lines of $jdir/job.err:" >&2
		tail -n 5 "$jdir/job.err" >&2
		return 1
	fi
}

# daily_job CASE_DIR CHECK_WALL: the daily job on the case's data.
daily_job() {
	jd=$1 cw=$2
	printf '  %-22s %9s %9s %9s %9s %10s %6s\n' "daily job" "wall s" \
		"x check" "paired s" "x paired" "peak MB" exit
	rm -f "$jd"/stageguard.db "$jd"/stageguard.db-wal \
		"$jd"/stageguard.db-shm "$jd"/r.xlsx "$jd"/b.tar.gz
	cat "$jd"/data/* > /dev/null
	job "$jd" "run" "$cw" run -c stageguard.json --source csv:data \
		--as-of "$AS_OF" -q || return 1
	# A run's id includes its start second: the second run starts in
	# another one.
	sleep 1
	job "$jd" "run again (same as-of)" "$cw" run -c stageguard.json \
		--source csv:data --as-of "$AS_OF" -q || return 1
	job "$jd" "report" "$cw" report -c stageguard.json --out r.xlsx -q ||
		return 1
	job "$jd" "bundle" "$cw" bundle -c stageguard.json --out b.tar.gz \
		-q || return 1
	job "$jd" "metrics --compare" "$cw" metrics -c stageguard.json \
		--compare || return 1
	job "$jd" "pilot status" "$cw" pilot status -c stageguard.json \
		--as-of "$AS_OF" || return 1
	ledger_size "$jd/stageguard.db"
}

# The ledger's bytes per recorded exception: the exceptions with their
# tasks, events and indexes, apart from the records the runs kept.
ledger_size() {
	if ! command -v sqlite3 > /dev/null 2>&1; then
		echo "  (ledger size: sqlite3 not installed)"
		return 0
	fi
	sqlite3 "$1" "SELECT
		(SELECT count(*) FROM exceptions),
		(SELECT sum(pgsize) FROM dbstat
		 WHERE name NOT IN ('input_chunks', 'run_inputs')
		 AND name NOT LIKE 'sqlite_autoindex_input_chunks%'),
		(SELECT sum(pgsize) FROM dbstat
		 WHERE name IN ('input_chunks', 'run_inputs')
		 OR name LIKE 'sqlite_autoindex_input_chunks%')" |
	awk -F'|' '{ printf "  ledger: %d exceptions, %.0f bytes each;" \
		" kept records %.1f MB\n", $1, ($1 > 0 ? $2 / $1 : 0),
		$3 / 1e6 }'
}

status=0
for n in $sizes; do
	case_dir=$dir/opps-$n-seed-$seed
	stamp="$gen_version --opps $n --seed $seed --as-of $AS_OF"
	gen_s=cached
	if [ ! -f "$case_dir/stamp" ] || [ "$(cat "$case_dir/stamp")" != "$stamp" ]
	then
		rm -rf "$case_dir" "$case_dir.tmp"
		mkdir -p "$case_dir.tmp" || die "cannot create $case_dir.tmp"
		# relative names: the config says "data/" next to itself
		if ! (cd "$case_dir.tmp" && "$timebin" -v -o gen.time "$gen" \
			--opps "$n" --seed "$seed" --as-of "$AS_OF" --out data \
			--config-out stageguard.json --quiet); then
			echo "bench: sg-gen failed for $n opportunities" >&2
			status=1
			continue
		fi
		echo "$stamp" > "$case_dir.tmp/stamp"
		mv "$case_dir.tmp" "$case_dir" || die "cannot rename $case_dir"
		gen_s=$(to_seconds "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' \
			"$case_dir/gen.time")")
	fi
	bytes=$(cat "$case_dir"/data/* | wc -c)
	mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')

	best_wall=''
	best_rss=''
	rc=0
	i=0
	while [ "$i" -lt "$runs" ]; do
		i=$((i + 1))
		cat "$case_dir"/data/* > /dev/null
		rm -f "$case_dir/stageguard.db"
		(cd "$case_dir" && "$timebin" -v -o check.time "$sg" check \
			-c stageguard.json --source csv:data --as-of "$AS_OF" \
			--dry-run --format jsonl > /dev/null 2> check.err)
		rc=$?
		wall=$(to_seconds "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' \
			"$case_dir/check.time")")
		rss=$(field 'Maximum resident set size (kbytes)' \
			"$case_dir/check.time")
		[ "$rc" -eq 0 ] || break
		if [ -z "$best_wall" ] ||
		   awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'
		then
			best_wall=$wall
			best_rss=$rss
		fi
	done
	if [ "$rc" -ne 0 ]; then
		printf '%-10s %10s %10s %9s %12s %10s %10s %6s\n' "$n" "$mb" \
			"$gen_s" "$wall" - - - "$rc"
		echo "bench: stageguard check exited $rc; last lines of" \
		     "$case_dir/check.err:" >&2
		tail -n 5 "$case_dir/check.err" >&2
		status=1
		continue
	fi
	awk -v n="$n" -v mb="$mb" -v g="$gen_s" -v w="$best_wall" \
	    -v rss="$best_rss" 'BEGIN {
		ops = w > 0 ? n / w : 0; mbs = w > 0 ? mb / w : 0;
		printf "%-10s %10s %10s %9.2f %12.0f %10.1f %10.1f %6d\n",
		       n, mb, g, w, ops, mbs, rss / 1024, 0 }'
	if [ "${BENCH_JOB:-1}" != 0 ]; then
		daily_job "$case_dir" "$best_wall" || status=1
	fi
done
echo "load average after: $(load_avg)"
exit $status
