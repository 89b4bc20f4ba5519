#!/bin/sh
# outputs.sh - where outputs may be written (issue 12, item 6): every
# output is written beside its path and renamed into place, so a path
# that is a device or a FIFO is refused (exit 2) and left as it was,
# never replaced by a regular file; a link to a regular file is written
# through; the bundle takes the umask's mode like every output.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
asof=2026-11-20T12:00:00Z

sg run -c "$cfg" --as-of $asof
expect_status 0 "a run to report on"

mkfifo "$scratch/fifo"
sg report -c "$cfg" --out "$scratch/fifo"
expect_status 2 "a workbook onto a FIFO"
expect_err "the output is a FIFO" "says what the path is"
[ -p "$scratch/fifo" ] || fail "the FIFO was replaced"
sg bundle -c "$cfg" --out "$scratch/fifo"
expect_status 2 "a bundle onto a FIFO"
[ -p "$scratch/fifo" ] || fail "the FIFO was replaced by the bundle"

sg report -c "$cfg" --out /dev/null
expect_status 2 "a workbook onto /dev/null"
expect_err "the output is a device" "a device"
[ -c /dev/null ] || fail "/dev/null is no longer a device"
sg bundle -c "$cfg" --out /dev/stdout
expect_status 2 "a bundle onto /dev/stdout"

# The metrics sink: its files are refused the same way.
mkdir "$scratch/m" && mkfifo "$scratch/m/metrics.json"
$PYTHON3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["sinks"] = {"metrics": {"dir": sys.argv[3]}}
json.dump(c, open(sys.argv[2], "w"))' "$cfg" "$dir/m.json" "$scratch/m"
SOURCE_DATE_EPOCH=1795000000 sg run -c "$dir/m.json" --as-of 2026-11-21T00:00:00Z
expect_err "m/metrics.json: metrics: the output is a FIFO" "the metrics file"
[ -p "$scratch/m/metrics.json" ] || fail "the metrics FIFO was replaced"

# A link to a regular file is written through; a new path is made.
: >"$scratch/target.xlsx"
ln -s "$scratch/target.xlsx" "$scratch/link.xlsx"
sg report -c "$cfg" --out "$scratch/link.xlsx"
expect_status 0 "a workbook through a link to a file"
sg report -c "$cfg" --out "$scratch/new.xlsx"
expect_status 0 "a workbook at a new path"

# A killed run's hidden temporary file is removed by the next write of
# the same output; one a live writer holds (locked) is left, and so are
# other files.
mkdir "$scratch/t"
for name in r.xlsx b.tar.gz; do
	: >"$scratch/t/.$name.Ab3xY9"
	touch -d '1 hour ago' "$scratch/t/.$name.Ab3xY9"
done
: >"$scratch/t/.r.xlsx.Live42"
touch -d '1 hour ago' "$scratch/t/.r.xlsx.Live42"
: >"$scratch/t/.r.xlsx.notmine1"
touch -d '1 hour ago' "$scratch/t/.r.xlsx.notmine1"
hold_lock "$scratch/t/.r.xlsx.Live42" 3
sg report -c "$cfg" --out "$scratch/t/r.xlsx"
expect_status 0 "a workbook where a killed run left its file"
sg bundle -c "$cfg" --out "$scratch/t/b.tar.gz"
expect_status 0 "a bundle where a killed run left its file"
wait $holder
expect_eq "$(ls -A "$scratch/t" | sort | tr '\n' ' ')" \
	".r.xlsx.Live42 .r.xlsx.notmine1 b.tar.gz r.xlsx " \
	"the dead runs' files gone, the live one's and others kept"

# --out - writes the workbook or the bundle to standard output, for a
# pipe: the same bytes as a file, nothing left behind (no file named
# "-", nothing in TMPDIR); refused onto a terminal.
mkdir "$scratch/tmp" "$scratch/here"
sg report -c "$cfg" --out "$scratch/here/file.xlsx"
(cd "$scratch/here" && TMPDIR="$scratch/tmp" "$STAGEGUARD" report -c "$cfg" \
	--out - >"$scratch/piped.xlsx") || fail "report --out -"
cmp -s "$scratch/piped.xlsx" "$scratch/here/file.xlsx" ||
	fail "the piped workbook differs from the file"
sg bundle -c "$cfg" --out "$scratch/here/file.tar.gz"
(cd "$scratch/here" && TMPDIR="$scratch/tmp" "$STAGEGUARD" bundle -c "$cfg" \
	--out - | cat >"$scratch/piped.tar.gz") || fail "bundle --out -"
cmp -s "$scratch/piped.tar.gz" "$scratch/here/file.tar.gz" ||
	fail "the piped bundle differs from the file"
sg bundle verify "$scratch/piped.tar.gz"
expect_status 0 "the piped bundle verifies"
expect_eq "$(ls -A "$scratch/here" "$scratch/tmp" | tr '\n' ' ')" \
	"$scratch/here: file.tar.gz file.xlsx  $scratch/tmp: " \
	"no file named -, nothing left in TMPDIR"
if command -v script >/dev/null 2>&1; then
	script -qc "'$STAGEGUARD' report -c '$cfg' --out -" /dev/null \
		>"$scratch/tty.txt" 2>&1
	grep -q "not to a terminal" "$scratch/tty.txt" ||
		fail "--out - onto a terminal was not refused"
fi

# The bundle holds the CRM's data: a umask of 077 keeps it private.
(umask 077 && "$STAGEGUARD" bundle -c "$cfg" --out "$scratch/b.tar.gz") \
	>/dev/null 2>&1 || fail "bundle under umask 077"
expect_eq "$(stat -c %a "$scratch/b.tar.gz")" 600 "the bundle's mode"
(umask 022 && "$STAGEGUARD" bundle -c "$cfg" --out "$scratch/c.tar.gz") \
	>/dev/null 2>&1 || fail "bundle under umask 022"
expect_eq "$(stat -c %a "$scratch/c.tar.gz")" 644 "and with the usual umask"

finish
