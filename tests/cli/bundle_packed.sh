#!/bin/sh
# bundle_packed.sh - a bundle whose evidence files are past one 1 MiB
# block, so the host writes them packed (gzip members, core/sg_packed.h)
# and the bundle puts them in a .tar.gz as they are and unpacks them for
# a .tar.zst and a .zip: on generated data, the three archives hold the
# same files, each matches its manifest (sha256sum -c, `bundle verify`:
# the SHA-256 the host took of the bytes before packing them), the same
# files archived plain (beside a sink that takes no packed files) are
# the same bytes, and the same ledger gives the same bytes.
. "$(dirname "$0")/lib.sh"

: "${top_builddir:=$(pwd)}"
gen="$top_builddir/tools/sg-gen"
if [ ! -x "$gen" ]; then
	echo "SKIP: $gen is not built" >&2
	exit 77
fi
for tool in tar zstd unzip sha256sum cmp; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed" >&2
		exit 77
	fi
done

asof=2026-11-25T06:00:00Z
"$gen" --opps 6000 --seed 5 --out "$scratch/data" --as-of $asof \
	--config-out "$scratch/sg.json" --quiet ||
	{ echo "FAIL: sg-gen" >&2; exit 1; }
cfg="$scratch/sg.json"

sg run -c "$cfg" --source "csv:$scratch/data" --as-of $asof -q
expect_status 0 "run"

for ext in tar.gz tar.zst zip; do
	sg bundle -c "$cfg" --out "$scratch/b.$ext" -q
	expect_status 0 "bundle .$ext"
	x="$scratch/x-$ext"
	mkdir "$x"
	case $ext in
	tar.gz) tar -xzf "$scratch/b.$ext" -C "$x" ;;
	tar.zst) zstd -dcq "$scratch/b.$ext" | tar -xf - -C "$x" ;;
	zip) unzip -q "$scratch/b.$ext" -d "$x" ;;
	esac || fail ".$ext: cannot be extracted"
	(cd "$x"/* && sha256sum -c --quiet SHA256SUMS) ||
		fail ".$ext: sha256sum -c failed"
	sg bundle verify "$scratch/b.$ext"
	expect_status 0 "verify .$ext"
done

# The test means something only if files were packed: more than a block.
t=$(echo "$scratch"/x-tar.gz/*)
size=$(wc -c < "$t/inputs/activities.csv")
[ "$size" -gt 1048576 ] ||
	fail "inputs/activities.csv is $size bytes: not past one block"
size=$(wc -c < "$t/exceptions.jsonl")
[ "$size" -gt 1048576 ] ||
	fail "exceptions.jsonl is $size bytes: not past one block"

# Packed, not compressed again: in the .tar.gz each file past one block
# starts a gzip member of its own, right after the member ending with its
# header (the archive's own members are cut every 1 MiB of tar, where a
# file's bytes start only by chance).
python3 - "$scratch/b.tar.gz" <<'PY' || fail "the large files were not put in packed"
import io, sys, tarfile, zlib
data = open(sys.argv[1], "rb").read()
starts, raw, at = set(), b"", 0
while at < len(data):
    starts.add(len(raw))
    z = zlib.decompressobj(31)
    raw += z.decompress(data[at:])
    at = len(data) - len(z.unused_data)
big = [m for m in tarfile.open(fileobj=io.BytesIO(raw)) if m.size > 1 << 20]
assert len(big) >= 4, [m.name for m in big]
bad = [m.name for m in big if m.offset_data not in starts]
sys.exit(1 if bad else 0)
PY

diff -r "$scratch/x-tar.gz" "$scratch/x-tar.zst" >/dev/null ||
	fail ".tar.gz and .tar.zst hold other files"
diff -r "$scratch/x-tar.gz" "$scratch/x-zip" >/dev/null ||
	fail ".tar.gz and .zip hold other files"

sg bundle -c "$cfg" --out "$scratch/again.tar.gz" -q
expect_status 0 "bundle again"
cmp -s "$scratch/b.tar.gz" "$scratch/again.tar.gz" ||
	fail "the same ledger gave another .tar.gz"

# To another file system (a tmpfs), where the system cannot copy the
# packed members between the two files itself (copy_file_range: EXDEV),
# they are read and written: the same bytes.
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
   [ "$(stat -f -c %T /dev/shm)" != "$(stat -f -c %T "$scratch")" ]; then
	shm=$(mktemp -d /dev/shm/sg-bundle-packed.XXXXXX)
	sg bundle -c "$cfg" --out "$shm/b.tar.gz" -q
	expect_status 0 "bundle onto another file system"
	cmp -s "$scratch/b.tar.gz" "$shm/b.tar.gz" ||
		fail "the bundle written onto another file system differs"
	rm -rf "$shm"
else
	echo "bundle_packed.sh: no other file system at /dev/shm; the" \
		"read-and-write copy is not tested here" >&2
fi

# With a second archiving sink that takes neither unfinished nor packed
# files (tests/plugins/testarchive), every file is written plain and
# finished before that sink sees it: the sizes it lists are those the
# bundle archived, the workbook's too, and the inputs archived plain are
# the bytes archived packed above.
python3 - "$cfg" "$scratch" <<'PY' || fail "cannot add the sinks"
import json, sys
cfg, scratch = sys.argv[1:3]
c = json.load(open(cfg))
c["sinks"] = {"testarchive": {"out": scratch + "/list.txt"},
              "bundle": {"out": scratch + "/run.tar.gz"}}
json.dump(c, open(cfg, "w"), indent=2)
PY
sg run -c "$cfg" --plugin-dir "$SG_TEST_PLUGINS" \
	--source "csv:$scratch/data" --as-of $asof -q
expect_status 0 "run with two archiving sinks"
mkdir "$scratch/x-run"
tar -xzf "$scratch/run.tar.gz" -C "$scratch/x-run" ||
	fail "the run's bundle cannot be extracted"
r=$(echo "$scratch"/x-run/*)
[ -s "$scratch/list.txt" ] || fail "testarchive listed nothing"
while read -r name size packed; do
	[ "$packed" = packed=0 ] || fail "$name given packed to testarchive"
	[ "$(wc -c < "$r/$name")" = "$size" ] ||
		fail "$name: $size bytes when testarchive saw it"
done < "$scratch/list.txt"
grep -q '^pilot-report.xlsx ' "$scratch/list.txt" ||
	fail "testarchive was not given the workbook"
diff -r "$t/inputs" "$r/inputs" >/dev/null ||
	fail "the inputs archived plain differ from those archived packed"

finish
