#!/bin/sh
# report.sh - `stageguard report` and `run` with sinks on the hand-written
# pipeline of tests/fixtures/cli/basic: the workbook opened with an
# independent reader (python3-openpyxl), its sheets, headers, rows and
# cell types; byte-identical output; CRM text never a formula; refusals.
. "$(dirname "$0")/lib.sh"

if ! $PYTHON3 -c 'import openpyxl' 2>/dev/null; then
	echo "SKIP: python3-openpyxl is not installed (apt-get install python3-openpyxl)" >&2
	exit 77
fi

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
asof=2026-11-20T12:00:00Z

# A name a spreadsheet would run as a formula if it were not text.
sed -i 's/^O2,"Missing evidence, seller only",/O2,=1+2,/' \
	"$dir/data/opportunities.csv"

sg report -c "$cfg" --out "$scratch/early.xlsx"
expect_status 2 "report before any run"
expect_err "record a run first" "says what to do"

sg run -c "$cfg" --as-of $asof
expect_status 0 "run without sinks"
[ ! -e "$dir/pilot-report.xlsx" ] || fail "run wrote a workbook no sink named"

# One decision, so the workbook shows a disposition.
id=$(python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT exception_id FROM tasks ORDER BY exception_id LIMIT 1").fetchone()[0])' "$dir/stageguard.db")
sg review decide "$id" -c "$cfg" --disposition approve --by m1 \
	--at 2026-11-20T13:00:00Z
expect_status 0 "decide"

sg report -c "$cfg" --out "$scratch/r1.xlsx"
expect_status 0 "report"
expect_err "r1.xlsx" "says what it wrote"
sg report -c "$cfg" --out "$scratch/r2.xlsx"
expect_status 0 "report again"
cmp -s "$scratch/r1.xlsx" "$scratch/r2.xlsx" ||
	fail "the same ledger gave two different workbooks"

# inspect: facts about the workbook, one per line, from openpyxl.
out=$($PYTHON3 - "$scratch/r1.xlsx" "$dir/stageguard.db" "$id" <<'PY'
import sqlite3, sys, zipfile, datetime
import openpyxl
path, db, decided = sys.argv[1], sys.argv[2], sys.argv[3]
wb = openpyxl.load_workbook(path)
print("sheets=" + "|".join(wb.sheetnames))
ex = wb["Exceptions"]
header_row = None
for row in ex.iter_rows(min_row=1, max_row=10):
    vals = [c.value for c in row]
    if "Review note" in vals:
        header_row = row[0].row
        header = vals
        break
print("exceptions_header=" + str(header_row is not None))
rows = [r for r in ex.iter_rows(min_row=header_row + 1) if any(c.value is not None for c in r)]
n = sqlite3.connect(db).execute("SELECT count(*) FROM exceptions").fetchone()[0]
print("exception_rows=%d ledger=%d" % (len(rows), n))
col = {h: i for i, h in enumerate(header) if h}
formulas = sum(1 for ws in wb for r in ws.iter_rows() for c in r if c.data_type == "f")
print("formulas=%d" % formulas)
texts = [c.value for ws in wb for r in ws.iter_rows() for c in r if isinstance(c.value, str) and c.value == "=1+2"]
print("formula_name_as_text=%d" % len(texts))
dates = [r[col["Detected"]].value for r in rows]
print("detected_are_dates=" + str(all(isinstance(d, datetime.datetime) for d in dates)))
amounts = [r[col["Amount"]] for r in rows if r[col["Amount"]].value is not None]
print("amounts_numeric=" + str(all(isinstance(a.value, (int, float)) for a in amounts) and len(amounts) > 0))
print("freeze=" + str(ex.freeze_panes))
print("autofilter=" + str(bool(ex.auto_filter.ref)))
disp = [r[col["Disposition"]].value for r in rows if r[col["Exception"]].value == decided]
print("decided=" + str(disp))
z = zipfile.ZipFile(path)
charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
print("charts=%d" % len(charts))
PY
)
expect_out "sheets=Summary|Exceptions|Review queue|Stage ages|Owners and teams|Evidence gaps|Data quality|Trend|Definitions" "sheet names"
expect_out "exceptions_header=True" "the exceptions header"
n=$(printf '%s\n' "$out" | sed -n 's/^exception_rows=\([0-9]*\) ledger=\([0-9]*\)$/\1 \2/p')
set -- $n
expect_eq "${1:-x}" "${2:-y}" "one row per exception of the ledger"
expect_out "formulas=0" "no formula anywhere"
expect_out "formula_name_as_text=" "the CRM name kept"
case "$out" in *"formula_name_as_text=0"*) fail "the =1+2 name is not text" ;; esac
expect_out "detected_are_dates=True" "detection times are dates"
expect_out "amounts_numeric=True" "amounts are numbers"
expect_out "autofilter=True" "the exceptions list is filterable"
expect_out "decided=['approve']" "the disposition shown"
expect_out "charts=3" "three native charts"

# run with sinks named in the config writes them, relative to the config.
python3 - "$cfg" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["sinks"] = {"xlsx": {"out": "out/pilot.xlsx"}}
json.dump(c, open(p, "w"), indent=2)
PY
mkdir -p "$dir/out"
sg run -c "$cfg" --as-of 2026-11-21T12:00:00Z
expect_status 0 "run with an xlsx sink"
[ -s "$dir/out/pilot.xlsx" ] || fail "run did not write out/pilot.xlsx"

# An output folder that does not exist: the sink failed (4), the run is
# recorded and the message says how to write the outputs again.
sg report -c "$cfg" --out "$scratch/no/such/dir/r.xlsx"
expect_status 4 "unwritable output"
expect_err "no/such/dir" "names the path"

# An unknown sink option is a config error naming the JSON path.
python3 - "$cfg" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["sinks"] = {"xlsx": {"outfile": "x.xlsx"}}
json.dump(c, open(p, "w"), indent=2)
PY
sg report -c "$cfg" --out "$scratch/r3.xlsx"
expect_status 2 "unknown sink option"
expect_err "sinks.xlsx" "names the section"

finish
