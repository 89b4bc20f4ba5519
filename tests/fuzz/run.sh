#!/bin/sh
# run.sh - what `make fuzz` runs (docs/fuzzing.md): each libFuzzer target
# first once over every input that ever crashed it or made it misbehave
# (tests/fuzz/crashes/NAME/), then for FUZZ_SECONDS seconds over its seed
# corpus (tests/fuzz/corpus/NAME/).  Any finding fails the run.
#
#   FUZZ_SECONDS=60 run.sh SRCDIR BUILDDIR NAME...
#
# SRCDIR is tests/fuzz in the source tree, BUILDDIR where the targets
# fuzz_NAME were built.  The source tree is never written: the inputs a
# run adds to a corpus, its log and any finding (crash-*, leak-*,
# timeout-*, oom-*) go to BUILDDIR/work/NAME/.
set -u

src=$1
build=$2
shift 2
seconds=${FUZZ_SECONDS:-60}
status=0
# A UBSan finding names its stack too, unless the caller chose otherwise.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

# Prints "fuzz_NAME: WHAT" on standard error and marks the run failed.
fail() {
	echo "fuzz_$1: $2" >&2
	status=1
}

# The stat::NAME libFuzzer printed last in log (-print_final_stats=1).
final_stat() {
	sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

# Each input of crashes/NAME/ once; libFuzzer stops at the first that
# still fails, and names it.
regressions() {
	name=$1
	dir=$src/crashes/$name
	[ -d "$dir" ] || return 0
	files=$(find "$dir" -type f ! -name '*.md' | LC_ALL=C sort)
	[ -n "$files" ] || return 0
	log=$build/work/$name/regressions.log
	# shellcheck disable=SC2086 # the names are ours, without blanks
	if "$build/fuzz_$name" -timeout=30 $files >"$log" 2>&1; then
		echo "fuzz_$name: $(echo "$files" | wc -l) past finding(s) pass"
	else
		tail -n 40 "$log" >&2
		fail "$name" "a past finding fails again (log: $log)"
	fi
}

# FUZZ_SECONDS over the seeds; new inputs go to work/NAME/corpus.
session() {
	name=$1
	work=$build/work/$name
	log=$work/fuzz.log
	mkdir -p "$work/corpus"
	"$build/fuzz_$name" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/" \
		"$work/corpus" "$src/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(final_stat "$log" number_of_executed_units)
	echo "fuzz_$name: $runs inputs in up to $seconds s," \
		"$(final_stat "$log" average_exec_per_sec) exec/s," \
		"$(find "$work/corpus" -type f | wc -l) inputs in $work/corpus"
	if [ "$rc" != 0 ]; then
		tail -n 60 "$log" >&2
		fail "$name" "a finding (exit $rc): see $log and the input it\
 saved in $work/ (docs/fuzzing.md says what to do with it)"
	fi
}

for name in "$@"; do
	if [ ! -x "$build/fuzz_$name" ]; then
		fail "$name" "not built"
		continue
	fi
	mkdir -p "$build/work/$name"
	regressions "$name"
	session "$name"
done
exit $status
