#!/bin/sh
# fulldisk.sh - a full disk is never reported as written (issue 12,
# items 1 and 10): the workbook, the bundle in each format and standard
# output on a file system with no room exit 4, say so, and leave nothing
# under the real name nor a temporary file; the workbook's row files in
# a full TMPDIR are caught although the zip around them would be sound.
# Needs a small tmpfs, so root: skipped with a message otherwise.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
asof=2026-11-20T12:00:00Z
tiny="$scratch/tiny"
mkdir "$tiny"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=8k tmpfs "$tiny" 2>/dev/null; then
	echo "SKIP: mounting a small tmpfs needs root (and a kernel that allows it)" >&2
	exit 77
fi
trap 'umount "$tiny" 2>/dev/null; rm -rf "$scratch"' EXIT

sg run -c "$cfg" --as-of $asof
expect_status 0 "a run to report on"
sg report -c "$cfg" --out "$scratch/whole.xlsx"
expect_status 0 "a workbook with room"

sg report -c "$cfg" --out "$tiny/r.xlsx"
expect_status 4 "a workbook onto a full disk"
expect_err "r.xlsx" "names the output"
expect_eq "$(ls -A "$tiny")" "" "no workbook, no temporary file left"

# The rows go to TMPDIR: full there, the workbook (whose zip would be
# sound, its sheets short) is refused too.
TMPDIR=$tiny sg report -c "$cfg" --out "$scratch/r.xlsx"
expect_status 4 "a workbook whose row files cannot be written"
expect_err "could not be written (a full disk?); check the free space of TMPDIR" \
	"says where"
expect_eq "$(ls "$scratch/r.xlsx" 2>/dev/null)" "" "nothing under the real name"
expect_eq "$(ls -A "$scratch" | grep '^\.r\.xlsx' || true)" "" "no temporary file"

for f in b.tar.gz b.tar.zst b.zip; do
	sg bundle -c "$cfg" --out "$tiny/$f"
	expect_status 4 "a $f bundle onto a full disk"
	expect_err "cannot write the bundle" "says so ($f)"
	expect_eq "$(ls -A "$tiny")" "" "nothing left ($f)"
done
# Staging a bundle in a full TMPDIR is a write error too (exit 4).
TMPDIR=$tiny sg bundle -c "$cfg" --out "$scratch/b.tar.gz"
expect_status 4 "a bundle staged in a full TMPDIR"
expect_eq "$(ls "$scratch/b.tar.gz" 2>/dev/null)" "" "no bundle under the real name"

# The metrics sink's files onto the full disk: exit 4, none of them.
$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["sinks"] = {"metrics": {"dir": sys.argv[3]}}
json.dump(c, open(sys.argv[2], "w"))' "$cfg" "$dir/m.json" "$tiny"
sg run -c "$dir/m.json" --as-of 2026-11-21T00:00:00Z
expect_status 4 "the metrics onto a full disk"
expect_err "metrics" "names the sink"
expect_eq "$(ls -A "$tiny")" "" "no metrics file, no temporary file"

# A ledger on the full disk: said, nothing recorded.
sg run -c "$cfg" --as-of $asof --ledger "$tiny/l.db"
expect_status 1 "a run whose ledger is on a full disk"
expect_err "the disk is full; free space and run again" "says so"
expect_eq "$(sqlite3 "$tiny/l.db" 'select count(*) from runs' 2>/dev/null || echo none)" \
	none "no run recorded"
rm -f "$tiny/l.db"*

# Standard output to a full disk: the text lost is said, exit 4.
"$STAGEGUARD" events -c "$cfg" >/dev/full 2>"$scratch/err.txt"
expect_eq "$?" 4 "events onto a full disk"
grep -q "cannot write the output" "$scratch/err.txt" ||
	fail "the lost output is not said"
umount "$tiny"
finish
