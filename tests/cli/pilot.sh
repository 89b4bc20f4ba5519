#!/bin/sh
# pilot.sh - a scripted 30-day pilot on generated data: daily runs (two
# days missed), dispositions in the ledger (on time, late, after as-of,
# and none: overdue), then `metrics --compare` checked against values that
# a Python script computes independently from the CSV files, the exceptions
# of a full `check --dry-run` and the ledger's tasks; and `pilot status`.
. "$(dirname "$0")/lib.sh"

: "${top_builddir:=$(pwd)}"
gen="$top_builddir/tools/sg-gen"
if [ ! -x "$gen" ]; then
	echo "SKIP: $gen is not built" >&2
	exit 77
fi

final=2026-12-28T06:00:00Z
"$gen" --opps 120 --seed 11 --out "$scratch/data" --as-of $final \
	--span-days 150 --config-out "$scratch/sg.json" --quiet ||
	{ echo "FAIL: sg-gen" >&2; exit 1; }
cfg="$scratch/sg.json"

# Each day's export holds what was known at 06:00 that day.  Days 10 and
# 18 have no run.
python3 - "$scratch" "$STAGEGUARD" "$cfg" <<'EOF' || fail "daily runs"
import csv, datetime as dt, os, shutil, subprocess, sys
scratch, sg, cfg = sys.argv[1:4]
src = os.path.join(scratch, "data")

def ts(s):
    s = s.strip()
    if not s:
        return None
    if len(s) == 10:
        s += "T00:00:00Z"
    return int(dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())

def read(name):
    with open(os.path.join(src, name), newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]

timecol = {"stage_history.csv": "changed_at", "field_history.csv": "changed_at",
           "activities.csv": "occurred_at", "evidence.csv": "observed_at"}
start = ts("2026-12-01T06:00:00Z")
for day in range(28):
    if day in (9, 17):
        continue
    as_of = start + day * 86400
    out = os.path.join(scratch, "day")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for name, col in timecol.items():
        head, rows = read(name)
        i = head.index(col)
        with open(os.path.join(out, name), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(head)
            w.writerows(r for r in rows if ts(r[i]) <= as_of)
    shutil.copy(os.path.join(src, "owners.csv"), out)
    head, rows = read("opportunities.csv")
    ci = head.index("created_at")
    with open(os.path.join(out, "opportunities.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(head)
        w.writerows(r for r in rows if not r[ci] or ts(r[ci]) <= as_of + 60)
    iso = dt.datetime.fromtimestamp(as_of, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(os.path.join(out, "snapshot.json"), "w") as f:
        f.write('{"extracted_at": "%s", "source": "test"}\n' % iso)
    p = subprocess.run([sg, "run", "-c", cfg, "--source", "csv:" + out,
                        "--as-of", iso, "--allow-stale", "-q"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("run %s: %d %s" % (iso, p.returncode, p.stderr))
EOF

# Dispositions: a third of the tasks decided 2, 30, 70 or 130 hours
# after they were raised (some after as-of), every fifth "correct".
python3 - "$scratch/stageguard.db" <<'EOF' || fail "dispositions"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT exception_id, created_at FROM tasks"
                  " ORDER BY exception_id").fetchall()
if len(rows) < 20:
    sys.exit("too few tasks: %d" % len(rows))
lags = [2, 30, 70, 130]
for k, (eid, created) in enumerate(rows):
    if k % 3 == 2:
        continue
    disp = "correct" if k % 5 == 0 else "approve"
    at = created + lags[k % 4] * 3600 + 60 * k
    db.execute("UPDATE exceptions SET status = 'closed', disposition = ?,"
               " decided_by = 'm001', decided_at = ? WHERE id = ?",
               (disp, at, eid))
db.commit()
EOF

sg check -c "$cfg" --source "csv:$scratch/data" --as-of $final \
	--since 1970-01-01T00:00:00Z --dry-run --format jsonl
expect_status 0 "full check at as-of"
printf '%s\n' "$out" >"$scratch/all.jsonl"

sg metrics -c "$cfg" --source "csv:$scratch/data" --as-of $final --compare \
	--format json
expect_status 0 "metrics --compare"
printf '%s\n' "$out" >"$scratch/metrics.json"

python3 - "$scratch" "$cfg" $final <<'EOF' || fail "measures differ from the independent computation"
import csv, datetime as dt, json, os, sqlite3, sys
scratch, cfgp, final = sys.argv[1:4]
cfg = json.load(open(cfgp))
src = os.path.join(scratch, "data")
DAY = 86400

def ts(s):
    s = (s or "").strip()
    if not s:
        return None
    if len(s) == 10:
        s += "T00:00:00Z"
    return int(dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())

def rows(name):
    with open(os.path.join(src, name), newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))

as_of = ts(final)
stages = {s["id"]: s for s in cfg["stages"]}
places = [p.lower() for p in cfg.get("placeholders", [])]
def missing(v):
    if v is None:
        return True
    v = v.strip()
    return not any(ch.isalnum() for ch in v) or v.lower() in places

opps = {}
for r in rows("opportunities.csv"):
    opps.setdefault(r["id"], r)
pid = cfg["pipeline"]["id"]
scope = {o for o, r in opps.items() if not r["pipeline"].strip() or r["pipeline"].strip() == pid}
events = {}
seen = set()
for r in rows("stage_history.csv"):
    key = tuple(r.values())
    if key in seen:
        continue
    seen.add(key)
    events.setdefault(r["opportunity_id"], []).append((ts(r["changed_at"]), r["to_stage"].strip(), r["from_stage"].strip()))
for o in events:
    events[o].sort(key=lambda e: e[0])
changes = {}
for r in rows("field_history.csv"):
    changes.setdefault((r["opportunity_id"], r["field"]), []).append((ts(r["changed_at"]), r["old_value"], r["new_value"]))
for k in changes:
    changes[k].sort(key=lambda c: c[0])

exc = [json.loads(l) for l in open(os.path.join(scratch, "all.jsonl")) if l.strip()]
paused = {e["opportunity_id"] for e in exc if e["type"] == "data_quality"}
live = [o for o in opps if o in scope and o not in paused]

def is_open(stage):
    return stage in stages and not stages[stage].get("closed", False)

def value_at(o, field, t):
    ch = changes.get((o, field))
    if not ch:
        return opps[o].get(field)
    before = [c for c in ch if c[0] <= t]
    return before[-1][2] if before else ch[0][1]

def limit(o, stage):
    seg = cfg.get("segments")
    if seg:
        v = (opps[o].get(seg["field"]) or "").strip()
        d = seg["max_age_days"].get(v, {})
        if stage in d:
            return round(d[stage] * DAY)
    m = stages[stage].get("max_age_days")
    return None if m is None else round(m * DAY)

ROUT = {"stage_age", "skipped_stage", "missing_evidence", "required_field", "regression", "no_next_step"}
FLAG = {"missing_evidence", "required_field", "skipped_stage", "seller_only", "regression"}

db = sqlite3.connect(os.path.join(scratch, "stageguard.db"))
tasks = db.execute("SELECT exception_id, created_at, due_at, disposition, decided_at FROM tasks").fetchall()
tasks = [t for t in tasks if t[1] <= as_of]
correct = {t[0] for t in tasks if t[3] == "correct" and t[4] <= as_of}

def measure(start, end, disp):
    until = min(end, as_of + 1)
    m = {}
    flagged_opp = set()
    evaluated = set()
    ages = 0
    for o in live:
        ev = events.get(o, [])
        for i, (at, st, _) in enumerate(ev):
            hi = ev[i + 1][0] if i + 1 < len(ev) else float("inf")
            if is_open(st) and max(at, start) < min(hi, until):
                evaluated.add(o)
        # stints: actual moves only
        stints = []
        cur = None
        for at, st, _ in ev:
            if cur is not None and st == cur[0]:
                continue
            if cur is not None:
                stints.append((cur[0], cur[1], at))
            cur = (st, at)
        if cur is not None:
            stints.append((cur[0], cur[1], as_of + 1))
        for st, entered, stop in stints:
            if not is_open(st):
                continue
            L = limit(o, st)
            if L is not None and max(entered + L + 1, start) < min(stop, until):
                ages += 1
                flagged_opp.add(o)
    m["exceptions_stage_age"] = ages
    t = min(as_of, end - 1)
    nns = 0
    if t >= start:
        for o in live:
            cur = None
            for at, st, _ in events.get(o, []):
                if at <= t:
                    cur = st
            if not is_open(cur):
                continue
            step = value_at(o, "next_step", t)
            date = value_at(o, "next_step_date", t)
            if missing(step) or (not missing(date) and ts(date) // DAY < t // DAY):
                nns += 1
                flagged_opp.add(o)
    m["exceptions_no_next_step"] = nns
    moves = {}
    for tname in ["missing_evidence", "required_field", "skipped_stage", "regression", "seller_only", "forecast_impact"]:
        m["exceptions_" + tname] = 0
    for e in exc:
        if e["type"] in ("data_quality", "stage_age", "no_next_step"):
            continue
        at = ts(e["event_at"])
        if not (start <= at < until):
            continue
        m["exceptions_" + e["type"]] += 1
        if e["type"] in ROUT:
            flagged_opp.add(e["opportunity_id"])
        k = (e["opportunity_id"], at, e["from_stage"], e["to_stage"])
        moves.setdefault(k, []).append(e)
    m["exceptions_data_quality"] = len(paused)
    m["opportunities_evaluated"] = len(evaluated)
    n = len(flagged_opp & evaluated)
    m["opportunities_with_exception"] = n
    m["stage_progression_exception_rate"] = n / len(evaluated) if evaluated else None
    m["false_progressions"] = sum(1 for es in moves.values() if any(e["type"] in ("missing_evidence", "seller_only") for e in es))
    fl = corr = 0
    for (o, at, frm, to), es in moves.items():
        if not any(e["type"] in FLAG for e in es):
            continue
        fl += 1
        rev = False
        if frm is not None:
            ev = events[o]
            j = next(i for i, x in enumerate(ev) if x[0] == at and x[1] == to)
            for x in ev[j + 1:]:
                if x[0] > as_of or x[0] - at > 14 * DAY:
                    break
                if x[1] == frm:
                    rev = True
                    break
        d = disp and any(e["id"] in correct for e in es)
        corr += rev or d
    m["flagged_moves"] = fl
    m["stage_corrections"] = corr
    m["stage_correction_rate"] = corr / fl if fl else None
    m["paused"] = len(paused)
    if disp:
        hours = sorted((t[4] - t[1]) / 3600 for t in tasks if t[4] is not None and t[4] <= as_of and start <= t[4] < until)
        m["dispositions_recorded"] = len(hours)
        if hours:
            k = len(hours)
            m["approval_turnaround_median_hours"] = hours[k // 2] if k % 2 else (hours[k // 2 - 1] + hours[k // 2]) / 2
            m["approval_turnaround_p90_hours"] = hours[-(-9 * k // 10) - 1]
        else:
            m["approval_turnaround_median_hours"] = m["approval_turnaround_p90_hours"] = None
        T = min(end, as_of)
        m["reviews_open_past_due"] = sum(1 for t in tasks if t[1] <= T and t[2] < T and (t[4] is None or t[4] > as_of or t[4] > T))
    else:
        for k in ("dispositions_recorded", "approval_turnaround_median_hours", "approval_turnaround_p90_hours", "reviews_open_past_due"):
            m[k] = None
    return m

got = json.load(open(os.path.join(scratch, "metrics.json")))
ps = ts(cfg["pilot"]["start"])
wins = {"baseline": (ps - cfg["pilot"]["baseline_days"] * DAY, ps, False),
        "pilot": (ps, ps + cfg["pilot"]["days"] * DAY, True)}
bad = 0
for name, (s, e, disp) in wins.items():
    want = measure(s, e, disp)
    have = got[name]["measures"]
    for k, v in want.items():
        h = have.get(k, "absent")
        same = (h is None and v is None) or (v is not None and h is not None and h != "absent" and abs(h - v) < 1e-9)
        if not same:
            print("%s %s: metrics %r, independent %r" % (name, k, h, v), file=sys.stderr)
            bad += 1
    print("%s: %s" % (name, {k: want[k] for k in ("opportunities_evaluated", "stage_progression_exception_rate", "flagged_moves", "stage_corrections", "dispositions_recorded", "reviews_open_past_due")}))
b = got["baseline"]
if sorted(b["not_applicable"]) != sorted(["stage_corrections_by_disposition", "dispositions_recorded", "approval_turnaround_median_hours", "approval_turnaround_p90_hours", "reviews_open_past_due"]):
    print("baseline not_applicable: %r" % b["not_applicable"], file=sys.stderr); bad += 1
if len(got["weekly"]) != 4 or got["weekly"][3]["end"] != "2026-12-29T00:00:00Z":
    print("weekly: %r" % [(w["start"], w["end"]) for w in got["weekly"]], file=sys.stderr); bad += 1
p = got["pilot"]["measures"]
# The pilot has dispositions, late ones and open overdue ones.
if not (p["dispositions_recorded"] > 5 and p["reviews_open_past_due"] > 0 and p["approval_turnaround_p90_hours"] > 48):
    print("pilot lacks late or overdue reviews: %r" % p, file=sys.stderr); bad += 1
if not (got["pilot"]["measures"]["opportunities_evaluated"] > 10 and got["baseline"]["measures"]["opportunities_evaluated"] > 10):
    print("too few evaluated", file=sys.stderr); bad += 1
rows = {r["measure"]: r for r in got["comparison"]}
r = rows["opportunities_evaluated"]
if r["change"] != r["pilot"] - r["baseline"]:
    bad += 1
if rows["reviews_open_past_due"]["not_applicable"] != ["baseline"] or rows["reviews_open_past_due"]["change"] is not None:
    bad += 1
sys.exit(1 if bad else 0)
EOF

# pilot status: day 28 of 30, 26 runs, days 10 and 18 missed.
sg pilot status -c "$cfg" --as-of $final
expect_status 0 "pilot status"
expect_out "day 28 of 30" "pilot day"
expect_out "runs: 26 done, 2 missed (days without a run: 2026-12-10, 2026-12-18)" "runs missed"
expect_out "threshold: HOLDS" "threshold holds"
sg pilot status -c "$cfg" --as-of $final --format json
expect_status 0 "pilot status json"
printf '%s\n' "$out" >"$scratch/status.json"
python3 - "$scratch" $final <<'EOF' || fail "pilot status counts"
import datetime as dt, json, os, sqlite3, sys
scratch, final = sys.argv[1:3]
as_of = int(dt.datetime.fromisoformat(final.replace("Z", "+00:00")).timestamp())
st = json.load(open(os.path.join(scratch, "status.json")))
db = sqlite3.connect(os.path.join(scratch, "stageguard.db"))
t = db.execute("SELECT created_at, due_at, decided_at FROM tasks").fetchall()
opened = [x for x in t if x[0] <= as_of and (x[2] is None or x[2] > as_of)]
want = {"day": 28, "runs_done": 26, "runs_missed": 2, "state": "running",
        "open_reviews": len(opened), "overdue_reviews": sum(1 for x in opened if x[1] < as_of),
        "missed_days": ["2026-12-10", "2026-12-18"]}
bad = [(k, st.get(k), v) for k, v in want.items() if st.get(k) != v]
if bad or not st["threshold"]["holds"] or st["overdue_reviews"] == 0:
    sys.exit("status: %r" % (bad or st))
EOF

# The threshold fails when an exception loses its note or its task.
python3 - "$scratch/stageguard.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
eid = db.execute("SELECT id FROM exceptions ORDER BY id LIMIT 1").fetchone()[0]
db.execute("UPDATE exceptions SET note = '' WHERE id = ?", (eid,))
db.commit()
EOF
sg pilot status -c "$cfg" --as-of $final
expect_out "threshold: DOES NOT HOLD" "threshold fails"
expect_out "1 of " "reason counted"
expect_out "carry no review note" "reason named"

# Before and after the pilot.
sg pilot status -c "$cfg" --as-of 2026-11-15T00:00:00Z
expect_out "not started" "not started"
expect_out "runs: 0 done, 0 missed" "nothing before the start"
sg pilot status -c "$cfg" --as-of 2027-01-05T00:00:00Z
expect_out ": ended" "ended"
expect_out "runs: 26 done, 4 missed" "days after the last run are missed"

finish
