#!/bin/sh
# badinput.sh - bad inputs give exit 2 and a message naming where:
# malformed CSV, a bad timestamp, a bad amount, an unknown column outside
# opportunities.csv, a missing required column, a missing file, broken or
# invalid config.  Nothing is recorded.
. "$(dirname "$0")/lib.sh"

asof=2026-11-20T12:00:00Z

# fresh NAME: a scratch copy of the basic fixture; prints its folder.
fresh() {
	mkdir "$scratch/$1"
	cp -R "$fixtures/basic/." "$scratch/$1/"
	chmod -R u+w "$scratch/$1"
	echo "$scratch/$1"
}

d=$(fresh quote)
printf 'O1,,discovery,"2026-10-01T00:00:00Z,u1,crm\n' >> "$d/data/stage_history.csv"
sg run -c "$d/stageguard.json" --as-of $asof
expect_status 2 "unterminated quote"
expect_err "stage_history.csv:15" "names file and line"
[ -e "$d/stageguard.db" ] && [ "$(sqlite3 "$d/stageguard.db" 'select count(*) from runs')" != 0 ] &&
	fail "a failed run recorded something"

# A NUL byte inside a field: an error at its line and column, never a
# value cut short.
d=$(fresh nul)
printf 'O9,Nul\000 deal,default,discovery,u1,10,USD,2026-12-31,pipeline,2026-10-01T00:00:00Z,x,,smb\n' \
	>> "$d/data/opportunities.csv"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "a NUL byte in a field"
expect_err "opportunities.csv:10:2: csv: a NUL byte inside the field, after 3 bytes" \
	"names file, line and column"

# Text that is not UTF-8 (one Latin-1 byte in a name): every command
# stops at the read with the same message naming file, line, field and
# byte, exit 2, nothing recorded.
d=$(fresh latin1)
printf 'O9,Caf\351 deal,default,discovery,u1,10,USD,2026-12-31,pipeline,2026-10-01T00:00:00Z,x,,smb\n' \
	>> "$d/data/opportunities.csv"
for format in text jsonl; do
	sg check -c "$d/stageguard.json" --as-of $asof --dry-run --format $format
	expect_status 2 "a Latin-1 byte, check --format $format"
	expect_err "opportunities.csv:10:2: csv: the byte 0xE9 after 3 bytes of the field is not UTF-8" \
		"names file, line, field and byte ($format)"
done
sg run -c "$d/stageguard.json" --as-of $asof
expect_status 2 "a Latin-1 byte, run"
expect_err "opportunities.csv:10:2: csv: the byte 0xE9 after 3 bytes of the field is not UTF-8" \
	"the same message for run"
[ -e "$d/stageguard.db" ] && [ "$(sqlite3 "$d/stageguard.db" 'select count(*) from runs')" != 0 ] &&
	fail "a run over text that is not UTF-8 recorded something"
# Named as Windows-1252 in the mapping, the same file is read, the name
# converted; so is the file Excel saves as "Unicode Text" (UTF-16 with a
# byte order mark).
# encode_as ENCODING CODEC: the folder's files (in Windows-1252 now)
# saved in CODEC, the mapping naming ENCODING; O2's name gains a euro.
encode_as() {
	$PYTHON3 - "$d" "$1" "$2" <<'PY'
import glob, json, sys
d, name, codec = sys.argv[1:]
c = json.load(open(d + "/stageguard.json"))
c["sources"]["csv"]["mapping"] = {"encoding": name}
json.dump(c, open(d + "/stageguard.json", "w"))
for p in glob.glob(d + "/data/*.csv"):
    t = open(p, "rb").read().decode("cp1252")
    t = t.replace("Missing evidence,", "Missing \u20ac evidence,")
    open(p, "wb").write(t.encode(codec))
PY
}
encode_as windows-1252 cp1252
sg check -c "$d/stageguard.json" --as-of $asof --dry-run --format jsonl
expect_status 0 "the file read as windows-1252"
expect_eq "$(json 'sorted({r["opportunity_name"] for r in rows if r["opportunity_id"] in ("O2", "O9")})')" \
	"['Café deal', 'Missing € evidence, seller only']" "names converted to UTF-8"
cp "$scratch/.out" "$scratch/cp1252.jsonl"
encode_as utf-16 utf-16
sg check -c "$d/stageguard.json" --as-of $asof --dry-run --format jsonl
expect_status 0 "the files read as utf-16"
cmp -s "$scratch/.out" "$scratch/cp1252.jsonl" ||
	fail "utf-16 and windows-1252 gave different exceptions"
sed -i 's/"utf-16"/"ebcdic"/' "$d/stageguard.json"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "an unknown encoding"
expect_err '$.sources.csv.mapping.encoding: expected one of "utf-8", "windows-1252", "iso-8859-1", "utf-16"' \
	"refused when the config loads"

# -v times only the work done: a source that cannot be read says so and
# nothing about loading or checking.
d=$(fresh timings)
sg check -c "$d/stageguard.json" --source "csv:$scratch/absent" --as-of $asof --dry-run -v
expect_status 2 "a source folder that is not there"
case "$err" in
*"loaded the source in"*|*"ran the checks in"*)
	fail "-v timed work that was not done: $err" ;;
esac

# A mapping that translates a label to no stage of the config is
# refused when the source opens, naming the label, before anything is
# read (not later as an unknown_stage pause on every such deal).
d=$(fresh stagemap)
$PYTHON3 - "$d/stageguard.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["sources"]["csv"]["mapping"] = {"stages": {"Qualified": "qualification",
                                             "Closed Won": "closed_wn"}}
json.dump(c, open(sys.argv[1], "w"))
PY
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "a mapping to no configured stage"
expect_err '$.sources.csv.mapping.stages."Closed Won": "closed_wn" is no stage of the config (its stages are: ' \
	"names the label and the stages"

d=$(fresh fields)
printf 'O1,,discovery\n' >> "$d/data/stage_history.csv"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "short row"
expect_err "stage_history.csv:15" "names the line"

d=$(fresh time)
sed -i 's/2026-11-05T09:30:00Z/05\/11\/2026 09:30/' "$d/data/stage_history.csv"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "bad timestamp"
expect_err "stage_history.csv:5:4" "FILE:LINE:FIELD"
expect_err "05/11/2026 09:30" "quotes the text"

d=$(fresh nozone)
sed -i 's/2026-11-05T09:30:00Z/2026-11-05T09:30:00/' "$d/data/stage_history.csv"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "a date-time without a zone"
expect_err "stage_history.csv:5:4" "names where"

d=$(fresh amount)
sed -i 's/,2000.50,/,"$2,000.50",/' "$d/data/opportunities.csv"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "amount not a plain decimal"
expect_err "opportunities.csv:3:6" "names the amount field"

d=$(fresh column)
sed -i '1s/$/,mood/; 2,$s/$/,happy/' "$d/data/activities.csv"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "unknown column in activities.csv"
expect_err "activities.csv:1:8" "names the column position"
expect_err "mood" "names the column"

d=$(fresh required)
cut -d, -f1,2,3,5,6 "$fixtures/basic/data/stage_history.csv" > "$d/data/stage_history.csv"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "missing changed_at column"
expect_err "changed_at" "names the column"

d=$(fresh party)
sed -i 's/,buyer,2026-10-06/,customer,2026-10-06/' "$d/data/activities.csv"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "unknown party"
expect_err "activities.csv:2:4" "names the field"

d=$(fresh missingfile)
rm "$d/data/stage_history.csv"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "missing stage_history.csv"
expect_err "stage_history.csv" "names the file"

d=$(fresh brokenjson)
printf '{"stages": [\n' > "$d/stageguard.json"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "broken JSON"
expect_err "stageguard.json:" "names the config"

d=$(fresh invalid)
sed -i 's/"exit_criteria": \["budget"\]/"exit_criteria": ["budgets"]/' "$d/stageguard.json"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "undefined criterion"
expect_err '$.stages[1].exit_criteria[0]' "JSON path"

d=$(fresh negative)
sed -i 's/"max_age_days": 14/"max_age_days": -14/' "$d/stageguard.json"
sg check -c "$d/stageguard.json" --as-of $asof --dry-run
expect_status 2 "negative age"
expect_err '$.stages[0].max_age_days' "JSON path"

sg check -c "$scratch/nonexistent.json" --dry-run
expect_status 2 "missing config"
expect_err "nonexistent.json" "names the config"

finish
