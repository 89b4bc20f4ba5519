#!/bin/sh
# make-demo.sh - regenerates the bundled sample pipeline in configs/demo/:
# the rules config stageguard.json and the canonical CSV files in data/.
#
#   tools/make-demo.sh [PATH/TO/sg-gen]      (or: make demo-data)
#
# The sample is fixed: same generator, same bytes.  The parameters below
# were chosen so that, judged at DEMO_AS_OF since the pilot start
# (2026-11-01, the first day of the as-of month), every exception type of
# docs/design.md section 5 fires, and data_quality with each of its eight
# reasons (see docs/benchmarks.md, "The demo sample").  If you change the
# generator, rerun this script and check that this still holds.
set -eu

DEMO_SEED=99
DEMO_OPPS=300
DEMO_SPAN_DAYS=150
DEMO_AS_OF=2026-11-20T18:00:00Z

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/.." && pwd)
gen=${1:-${SG_GEN:-}}
if [ -z "$gen" ]; then
	for g in ./tools/sg-gen "$srcdir/tools/sg-gen"; do
		if [ -x "$g" ]; then
			gen=$g
			break
		fi
	done
fi
if [ -z "$gen" ] || [ ! -x "$gen" ]; then
	echo "make-demo.sh: sg-gen not found; build it (make tools/sg-gen)" \
	     "and pass its path" >&2
	exit 2
fi
case $gen in
/*) ;;
*) gen=$(pwd)/$gen ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Run inside the scratch folder so the config names the data as "data/",
# relative to the config's own folder.
(cd "$tmp" && "$gen" --opps "$DEMO_OPPS" --seed "$DEMO_SEED" \
	--span-days "$DEMO_SPAN_DAYS" --as-of "$DEMO_AS_OF" \
	--out data/ --config-out stageguard.json)

bytes=$(cat "$tmp"/data/* | wc -c)
if [ "$bytes" -ge 1048576 ]; then
	echo "make-demo.sh: the sample is $bytes bytes; keep it under 1 MiB" >&2
	exit 1
fi

dest=$srcdir/configs/demo
mkdir -p "$dest"
rm -rf "$dest/data"
cp -R "$tmp/data" "$dest/data"
cp "$tmp/stageguard.json" "$dest/stageguard.json"
echo "make-demo.sh: wrote $dest ($bytes bytes of data)"
echo "make-demo.sh: try: stageguard check -c $dest/stageguard.json" \
     "--as-of $DEMO_AS_OF --dry-run"
