#!/bin/sh
# bundle_packed.sh - a bundle whose evidence files are past one 1 MiB
# block, so the host writes them packed (gzip members, core/sg_packed.h)
# and the bundle puts them in a .tar.gz as they are and unpacks them for
# a .tar.zst and a .zip: on generated data, the three archives hold the
# same files, each matches its manifest (sha256sum -c, `bundle verify`:
# the SHA-256 the host took of the bytes before packing them), and the
# same ledger gives the same bytes.
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

diff -r "$scratch/x-tar.gz" "$scratch/x-tar.zst" >/dev/null ||
	fail ".tar.gz and .tar.zst hold other files"
diff -r "$scratch/x-tar.gz" "$scratch/x-zip" >/dev/null ||
	fail ".tar.gz and .zip hold other files"

sg bundle -c "$cfg" --out "$scratch/again.tar.gz" -q
expect_status 0 "bundle again"
cmp -s "$scratch/b.tar.gz" "$scratch/again.tar.gz" ||
	fail "the same ledger gave another .tar.gz"
finish
