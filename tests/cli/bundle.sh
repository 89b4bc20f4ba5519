#!/bin/sh
# bundle.sh - `stageguard bundle` and `bundle verify` on the hand-written
# pipeline of tests/fixtures/cli/basic: each archive format extracted with
# the system tools and checked with `sha256sum -c`; the contents; the same
# ledger gives the same bytes; a tampered bundle fails verify; no secret
# inside; refusals.
. "$(dirname "$0")/lib.sh"

for tool in tar zstd unzip sha256sum; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed" >&2
		exit 77
	fi
done

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
asof=2026-11-20T12:00:00Z

# A secret in a source section must never reach the bundle.
python3 - "$cfg" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["sources"]["testsrc"] = {"token": "s3cret-token-123"}
json.dump(c, open(p, "w"), indent=2)
PY
pd="--plugin-dir $SG_TEST_PLUGINS"

sg run -c "$cfg" $pd --source csv --as-of $asof
expect_status 0 "run"

# top FOLDER: the one top-level folder of an extracted bundle.
top() {
	ls "$1"
}

for ext in tar.gz tar.zst zip; do
	sg bundle -c "$cfg" $pd --source csv --out "$scratch/b.$ext"
	expect_status 0 "bundle .$ext"
	x="$scratch/x-$ext"
	mkdir "$x"
	case $ext in
	tar.gz) tar -xzf "$scratch/b.$ext" -C "$x" ;;
	tar.zst) zstd -dcq "$scratch/b.$ext" | tar -xf - -C "$x" ;;
	zip) unzip -q "$scratch/b.$ext" -d "$x" ;;
	esac
	[ "$(ls "$x" | wc -l)" = 1 ] || fail ".$ext: not one top folder"
	t="$x/$(top "$x")"
	(cd "$t" && sha256sum -c --quiet SHA256SUMS) ||
		fail ".$ext: sha256sum -c failed"
	for f in manifest.json SHA256SUMS config.json exceptions.jsonl \
		 events.jsonl tasks.csv metrics.json pilot-report.xlsx \
		 inputs/opportunities.csv inputs/stage_history.csv; do
		[ -f "$t/$f" ] || fail ".$ext: $f missing"
	done
	sg bundle verify "$scratch/b.$ext"
	expect_status 0 "verify .$ext"
	expect_out "every file matches" "verify says so"
done

t="$scratch/x-tar.gz/$(top "$scratch/x-tar.gz")"
[ -e "$t/notes" ] && fail "notes/ is one file now: notes.txt"
python3 - "$t/exceptions.jsonl" "$t/notes.txt" <<'PY' ||
import json, sys
exceptions = [json.loads(line) for line in open(sys.argv[1])]
want = "".join("%s  %s  %s\n%s\n\n" % (e["id"], e["type"],
               e["opportunity_id"], e["note"]) for e in exceptions)
got = open(sys.argv[2]).read()
assert len(exceptions) == 10, len(exceptions)
assert got == want, (got[:300], want[:300])
PY
	fail "notes.txt: one block per exception, in exceptions.jsonl's order"
grep -rq "s3cret-token-123" "$scratch/x-tar.gz" "$scratch/b.tar.gz" &&
	fail "the secret reached the bundle"
grep -q "<redacted>" "$t/config.json" || fail "config.json not redacted"
python3 - "$t/manifest.json" <<'PY' || fail "manifest fields"
import json, sys
m = json.load(open(sys.argv[1]))
for k in ("tool_version", "config_sha256", "run_ids", "as_of", "files"):
    assert k in m, k
assert m["as_of"] == "2026-11-20T12:00:00Z", m["as_of"]
assert len(m["run_ids"]) == 1
assert all(len(f["sha256"]) == 64 and f["size"] >= 0 for f in m["files"])
PY

# The same ledger gives the same bytes.
sg bundle -c "$cfg" $pd --source csv --out "$scratch/again.tar.gz"
expect_status 0 "bundle again"
cmp -s "$scratch/b.tar.gz" "$scratch/again.tar.gz" ||
	fail "the same ledger gave two different bundles"

# Tampered: one byte of the exceptions changed, repacked with tar.
sed -i '1s/"type"/"typ3"/' "$t/exceptions.jsonl"
(cd "$scratch/x-tar.gz" && tar -czf "$scratch/tampered.tar.gz" .)
sg bundle verify "$scratch/tampered.tar.gz"
expect_status 1 "verify a tampered bundle"
expect_out "exceptions.jsonl" "names the changed file"

# A renamed bundle is still checked: the format is read from its content.
cp "$scratch/b.tar.zst" "$scratch/renamed.bin"
sg bundle verify "$scratch/renamed.bin"
expect_status 0 "verify a renamed bundle"

# Not an archive at all, and a name with no known suffix.
echo "not an archive" > "$scratch/junk.tar.gz"
# A member whose name holds an escape sequence and a byte that is not
# UTF-8: printed escaped, never raw to the terminal.
$PYTHON3 -c 'import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.GNU_FORMAT) as t:
    data = b"x"
    info = tarfile.TarInfo("inputs/\x1b[31mred\udcff.csv")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))' "$scratch/hostile.tar.gz"
sg bundle verify "$scratch/hostile.tar.gz"
expect_status 1 "verify a hostile name"
expect_out "\\x1b[31mred\\xff.csv" "the name escaped"
if LC_ALL=C grep -q "$(printf '\033')" "$scratch/.out"; then
	fail "an escape character reached the output"
fi

# bundle_like DIR FILE...: makes DIR/top a bundle of the files already
# in it as their content says (bytes of data.bin given in the env
# CONTENT_OF_name), manifest and SHA256SUMS included.
bundle_like() {
	$PYTHON3 - "$@" <<'PY'
import hashlib, json, os, sys
top = os.path.join(sys.argv[1], "top")
files = []
for name in sys.argv[2:]:
    data = os.environ["CONTENT_" + name.replace(".", "_")].encode()
    files.append({"name": name, "size": len(data),
                  "sha256": hashlib.sha256(data).hexdigest()})
manifest = json.dumps({"files": files}).encode()
with open(os.path.join(top, "manifest.json"), "wb") as f:
    f.write(manifest)
with open(os.path.join(top, "SHA256SUMS"), "w") as f:
    for e in files:
        f.write("%s  %s\n" % (e["sha256"], e["name"]))
    f.write("%s  manifest.json\n" % hashlib.sha256(manifest).hexdigest())
PY
}

# A member stored sparse is read as extraction writes it, holes as
# zeros: its data blocks alone are the listed bytes, but a hole between
# them makes the extracted file longer. And a member of 64 MiB of hole
# listed as 0 bytes is found by its size, not read.
mkdir -p "$scratch/sparse/top"
CONTENT_data_bin=$($PYTHON3 -c 'print("a" * 8192, end="")')
CONTENT_big_bin=
export CONTENT_data_bin CONTENT_big_bin
$PYTHON3 -c 'import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"a" * 4096)
    f.seek(1 << 20)
    f.write(b"a" * 4096)' "$scratch/sparse/top/data.bin"
truncate -s 64M "$scratch/sparse/top/big.bin"
bundle_like "$scratch/sparse" data.bin big.bin
(cd "$scratch/sparse" && tar -S -czf "$scratch/sparse.tar.gz" top)
sg bundle verify "$scratch/sparse.tar.gz"
expect_status 1 "verify a bundle with sparse members"
expect_out "top/data.bin: a sparse file" "a sparse member is no bundle's"
expect_out "data.bin: size differs from the manifest (1052672 bytes, the manifest says 8192)" \
	"the hole counted"
expect_out "big.bin: size differs from the manifest (67108864 bytes, the manifest says 0)" \
	"a large member found by its size"
# The same files stored plainly pass, so it is the holes that fail.
mkdir -p "$scratch/plain/top"
printf '%s' "$CONTENT_data_bin" >"$scratch/plain/top/data.bin"
: >"$scratch/plain/top/big.bin"
bundle_like "$scratch/plain" data.bin big.bin
(cd "$scratch/plain" && tar -czf "$scratch/plain.tar.gz" top)
sg bundle verify "$scratch/plain.tar.gz"
expect_status 0 "verify the same files stored plainly"
# A zip entry of 64 MiB (64 kB deflated) listed as 10 bytes is not
# inflated to find out.
CONTENT_data_bin=0123456789
bundle_like "$scratch/plain" data.bin
$PYTHON3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("top/data.bin", b"\0" * (64 << 20))
    for n in ("manifest.json", "SHA256SUMS"):
        z.write(sys.argv[2] + "/top/" + n, "top/" + n)' \
	"$scratch/bomb.zip" "$scratch/plain"
sg bundle verify "$scratch/bomb.zip"
expect_status 1 "verify a zip whose entry is larger than listed"
expect_out "data.bin: size differs from the manifest (67108864 bytes, the manifest says 10)" \
	"found by its size"

# An archive with no entries: the normal report, not a crash.
tar -czf "$scratch/empty.tar.gz" -T /dev/null
sg bundle verify "$scratch/empty.tar.gz"
expect_status 1 "verify an empty archive"
expect_out "manifest.json is missing" "says what is missing"

sg bundle verify "$scratch/junk.tar.gz"
expect_status 2 "verify junk"
sg bundle -c "$cfg" $pd --source csv --out "$scratch/b.rar"
expect_status 2 "unknown suffix"
expect_err ".tar.gz" "names the accepted suffixes"

finish
