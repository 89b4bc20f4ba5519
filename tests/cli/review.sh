#!/bin/sh
# review.sh - `stageguard review list|show|decide|import` on the basic
# fixture's run: the queue and its filters, overdue at a later as-of, the
# task view, decisions and the disposition_recorded event, every refusal
# (exit 2, nothing changed), and all-or-nothing CSV import.
. "$(dirname "$0")/lib.sh"

dir=$(copy_fixture basic)
cfg="$dir/stageguard.json"
db="$dir/stageguard.db"
asof=2026-11-20T12:00:00Z

q() { sqlite3 "$db" "$1"; }
# A fingerprint of what a decision may change.
state() {
	q "select (select count(*) from events) || '/' ||
		(select count(*) from task_history) || '/' ||
		(select group_concat(exception_id || status || assignee ||
			coalesce(disposition, '') || coalesce(decided_by, ''))
		 from (select * from tasks order by exception_id))"
}

# Before any run: no ledger yet.
sg review list -c "$cfg"
expect_status 2 "list without a ledger"
expect_err "no ledger here yet" "says the ledger is missing"
[ -e "$db" ] && fail "review list created a ledger"

sg run -c "$cfg" --as-of $asof
expect_status 0 "run"

ids_all="0789484b6629f0ec 08636748e13668a1 1cb8ae627504553d 1e51cc1bd3c1b447 1f76fe9c4ed5c775 2cd1a6b0c6e5e6bd 4ac9c70190c55fa8 62b37808b31f97bc 7c4b7f8165576819 7c5f5f8efbc9a4af"
me=1e51cc1bd3c1b447   # O2 missing_evidence, revops
so=1f76fe9c4ed5c775   # O2 seller_only, same move
rg=4ac9c70190c55fa8   # O4 regression, m1

# ---- list ----
sg review list -c "$cfg" --as-of $asof
expect_status 0 "review list"
expect_eq "$(printf '%s\n' "$out" | head -1 | tr -s ' ')" \
	"ID DUE ASSIGNEE TYPE VERDICT OPPORTUNITY STAGE/MOVE STATUS" "table header"
expect_eq "$(printf '%s\n' "$out" | sed -n '2,11p' | awk '{print $1}' | tr '\n' ' ')" \
	"$ids_all " "sorted by due, then id"
expect_eq "$(printf '%s\n' "$out" | grep "^$me" | tr -s ' ')" \
	"$me 2026-11-22T12:00:00Z revops missing_evidence block O2 discovery -> qualification open" \
	"one row"
expect_out "10 review tasks: 10 open (0 overdue at 2026-11-20T12:00:00Z), 0 closed" "summary"
# Columns line up: every row has STATUS at the header's column.
col=$(printf '%s\n' "$out" | head -1 | awk '{print index($0, "STATUS")}')
expect_eq "$(printf '%s\n' "$out" | sed -n '2,11p' | cut -c"$col"- | sort -u)" "open" "aligned STATUS column"

sg review list -c "$cfg" --as-of $asof --format jsonl
expect_eq "$(json 'len(rows)')" 10 "jsonl rows"
expect_eq "$(json '" ".join(r["id"] for r in rows)')" "$ids_all" "jsonl order"
expect_eq "$(json '[(r["status"], r["overdue"], r["due_at"], r["assignee"]) for r in rows if r["id"] == "'$rg'"]')" \
	"[('open', False, '2026-11-22T12:00:00Z', 'm1')]" "jsonl fields"
sg review list -c "$cfg" --as-of $asof --format jsonl --assignee m1
expect_eq "$(json 'len(rows)')" 7 "--assignee m1"
sg review list -c "$cfg" --as-of $asof --format jsonl --type no_next_step
expect_eq "$(json 'sorted(r["opportunity_id"] for r in rows)')" "['O3', 'O5']" "--type"
sg review list -c "$cfg" --as-of $asof --format jsonl --verdict block
expect_eq "$(json 'sorted(r["type"] for r in rows)')" \
	"['missing_evidence', 'required_field']" "--verdict"
sg review list -c "$cfg" --as-of $asof --format jsonl --assignee revops --verdict review
expect_eq "$(json '[r["id"] for r in rows]')" "['$so']" "filters combine"

# Overdue: open and due strictly before as-of (due 2026-11-22T12:00:00Z).
sg review list -c "$cfg" --status overdue --as-of 2026-11-22T12:00:00Z --format jsonl
expect_eq "$(json 'len(rows)')" 0 "not overdue at the due second"
sg review list -c "$cfg" --status overdue --as-of 2026-11-22T12:00:01Z --format jsonl
expect_eq "$(json 'len(rows)')" 10 "overdue a second later"
expect_eq "$(json 'all(r["overdue"] for r in rows)')" True "overdue flags"
sg review list -c "$cfg" --status overdue --as-of 2026-11-23T00:00:00Z
expect_out "10 review tasks: 10 open (10 overdue at 2026-11-23T00:00:00Z), 0 closed" "overdue summary"
expect_eq "$(printf '%s\n' "$out" | grep -c ' overdue$')" 10 "overdue STATUS"

# ---- show ----
sg review show 1e51cc -c "$cfg" --as-of $asof
expect_status 0 "show by prefix"
expect_out "Exception $me: missing_evidence (block)" "show title"
expect_out 'Opportunity: O2 "Missing evidence, seller only", owner u2' "show opportunity"
expect_out "Move: discovery -> qualification at 2026-11-05T09:30:00Z" "show move"
expect_out "Stage: qualification for 15.1 days at detection" "show stage age"
expect_out "Evidence missing: pain" "evidence missing"
expect_out "Evidence present: (none)" "evidence present"
expect_out "Forecast impact: none" "no forecast impact"
expect_out "  $so  seller_only (review)" "related exception"
expect_out "Review note:" "note heading"
expect_out "Evidence" "note body"
expect_out "Task: open, assigned to revops, due 2026-11-22T12:00:00Z" "task line"
expect_out "2026-11-20T12:00:00Z  event #1 exception_raised (run " "history"
sg review show 0789484b -c "$cfg"
expect_out "Forecast impact: pipeline -> best_case, 5000.00 USD" "forecast impact"
sg review show 62b378 -c "$cfg"
expect_out "Stage: discovery for 50.5 days at detection (limit 14)" "stage_age age"
sg review show $me --ledger "$db"
expect_status 0 "show with --ledger only"

# ---- decide ----
before=$(state)
sg review decide 1e51cc1b -c "$cfg" --disposition approve --by max \
	--note "buyer confirmed by phone" --at 2026-11-21T09:30:00Z
expect_status 0 "decide approve"
expect_eq "$out" "exception $me: approve by max at 2026-11-21T09:30:00Z; the task is closed" "decide output"
expect_eq "$(q "select status||'|'||disposition||'|'||decided_by||'|'||decided_at||'|'||decision_note from tasks where exception_id='$me'")" \
	"closed|approve|max|1795253400|buyer confirmed by phone" "task closed"
expect_eq "$(q "select action||'|'||actor from task_history where exception_id='$me'")" "decided|max" "task history"
sg events -c "$cfg" --type disposition_recorded
expect_eq "$(json 'len(rows)')" 1 "one disposition_recorded event"
expect_eq "$(json '[(r["exception_id"], r["opportunity_id"], r["at"], r["exception_type"], r["disposition"], r["by"], r["note"], r["raised_at"], r["hours"], r["overdue"], r["assignee"], r["source"]) for r in rows]')" \
	"[('$me', 'O2', '2026-11-21T09:30:00Z', 'missing_evidence', 'approve', 'max', 'buyer confirmed by phone', '2026-11-20T12:00:00Z', 21.5, False, 'revops', 'cli')]" \
	"disposition_recorded content"

# ---- refusals: exit 2, clear message, nothing changed ----
before=$(state)
sg review decide $me -c "$cfg" --disposition correct --by ann --at 2026-11-21T10:00:00Z
expect_status 2 "second disposition"
expect_err "already closed (approve by max at 2026-11-21T09:30:00Z); a second disposition is refused" "second disposition message"
expect_eq "$(state)" "$before" "second disposition changed nothing"
sg review decide $rg -c "$cfg" --disposition frobnicate --by ann
expect_status 2 "unknown disposition"
expect_err 'unknown disposition "frobnicate": expected approve, correct, escalate, reassign, log or block' "unknown disposition message"
sg review decide ffffffffffffffff -c "$cfg" --disposition approve --by ann
expect_status 2 "unknown exception"
expect_err 'no exception "ffffffffffffffff" in the ledger' "unknown exception message"
sg review decide $rg -c "$cfg" --disposition approve --by ann --at 2026-11-20T11:59:59Z
expect_status 2 "before raised"
expect_err "decision time 2026-11-20T11:59:59Z is before exception $rg was raised (2026-11-20T12:00:00Z)" "before raised message"
sg review decide $rg -c "$cfg" --disposition reassign --by ann --at 2026-11-21T00:00:00Z
expect_status 2 "reassign without --to"
expect_err "reassign needs the new assignee (--to ASSIGNEE" "reassign message"
sg review decide $rg -c "$cfg" --disposition reassign --to m1 --by ann --at 2026-11-21T00:00:00Z
expect_status 2 "reassign to the same assignee"
expect_err "already assigned to m1" "same assignee message"
sg review decide 4ac9c -c "$cfg" --disposition approve --by ann
expect_status 2 "short prefix"
expect_err "at least 6" "short prefix message"
sg review decide $rg -c "$cfg" --disposition approve --by ann --at yesterday
expect_status 2 "bad --at"
expect_err "--at" "names --at"
sg review decide $rg -c "$cfg" --disposition approve
expect_status 2 "no --by"
sg review decide $rg -c "$cfg" --disposition approve --by ann --to bob
expect_status 2 "--to without reassign"
expect_eq "$(state)" "$before" "refusals changed nothing"

# ---- reassign: the task stays open with the new assignee ----
sg review decide $rg -c "$cfg" --disposition reassign --to ann --by max \
	--at 2026-11-21T11:00:00Z --note "ann owns EMEA"
expect_status 0 "reassign"
expect_eq "$out" "exception $rg: reassigned to ann by max at 2026-11-21T11:00:00Z; the task stays open" "reassign output"
expect_eq "$(q "select status||'|'||assignee||'|'||due_at from tasks where exception_id='$rg'")" \
	"open|ann|1795348800" "reassigned task"
sg review list -c "$cfg" --assignee ann --as-of $asof --format jsonl
expect_eq "$(json '[(r["id"], r["status"]) for r in rows]')" "[('$rg', 'open')]" "listed under ann"
sg review show $rg -c "$cfg"
expect_out "reassigned by max: m1 -> ann (\"ann owns EMEA\")" "reassign in history"
expect_out "disposition_recorded: reassign by max, 23.00 hours after raised, on time" "reassign event in history"
# ... and a later disposition closes it, late.
sg review decide $rg -c "$cfg" --disposition block --by ann --at 2026-11-23T11:00:00Z
expect_status 0 "decide after reassign"
sg events -c "$cfg" --type disposition_recorded
expect_eq "$(json '[(r["disposition"], r.get("to"), r["hours"], r["overdue"], r["assignee"]) for r in rows if r["exception_id"] == "'$rg'"]')" \
	"[('reassign', 'ann', 23.0, False, 'm1'), ('block', None, 71.0, True, 'ann')]" "reassign and late decision events"

# Overdue at a later as-of: the two closed tasks are not.
sg review list -c "$cfg" --status overdue --as-of 2026-11-23T00:00:00Z
expect_out "8 review tasks: 8 open (8 overdue at 2026-11-23T00:00:00Z), 0 closed" "overdue after decisions"
sg review list -c "$cfg" --status all --as-of 2026-11-23T00:00:00Z
expect_out "10 review tasks: 8 open (8 overdue at 2026-11-23T00:00:00Z), 2 closed" "all after decisions"
expect_eq "$(printf '%s\n' "$out" | grep "^$rg" | awk '{print $NF}')" "closed:block" "closed STATUS"

# ---- import: all or nothing ----
cat > "$scratch/bad.csv" <<EOF
exception_id,disposition,decided_by,decided_at,note
0789484b6629f0ec,approve,max,2026-11-21T10:00:00Z,"fine, approved"
08636748e13668a1,frobnicate,max,2026-11-21T10:00:00Z,
1cb8ae627504553d,log,,2026-11-21T10:00:00Z,
1f76fe9c4ed5c775,log,max,2026-11-21 10:00,
2cd1a6b0c6e5e6bd,log,max,2026-11-19T10:00:00Z,
$me,correct,max,2026-11-22T10:00:00Z,
ffffffffffffffff,log,max,2026-11-22T10:00:00Z,
62b37808b31f97bc,reassign,max,2026-11-22T10:00:00Z,
0789484b6629f0ec,log,max,2026-11-22T10:00:00Z,
7c4b7f8165576819,log,max
EOF
before=$(state)
sg review import "$scratch/bad.csv" -c "$cfg"
expect_status 2 "import with bad rows"
expect_eq "$(printf '%s\n' "$err" | grep -c "^$scratch/bad.csv:[0-9]*: ")" 9 "every bad row listed"
expect_err "bad.csv:3: unknown disposition \"frobnicate\"" "row 3"
expect_err "bad.csv:4: decided_by is empty" "row 4"
expect_err "bad.csv:5: decided_at: " "row 5"
expect_err "bad.csv:6: decision time 2026-11-19T10:00:00Z is before exception 2cd1a6b0c6e5e6bd was raised" "row 6"
expect_err "bad.csv:7: the review task of exception $me is already closed" "row 7"
expect_err "bad.csv:8: no exception \"ffffffffffffffff\" in the ledger" "row 8"
expect_err "bad.csv:9: reassign needs the new assignee" "row 9"
expect_err "bad.csv:10: exception 0789484b6629f0ec is already on line 2" "row 10 (duplicate)"
expect_err "bad.csv:11: 3 fields, the header has 5" "row 11"
expect_err "9 of 10 rows are bad; nothing was recorded" "summary"
case "$err" in *"bad.csv:2:"*) fail "the good row is listed as bad" ;; esac
expect_eq "$(state)" "$before" "bad import recorded nothing"

cat > "$scratch/good.csv" <<EOF
decided_at,exception_id,disposition,decided_by,note,to
2026-11-21T10:00:00Z,0789484b6629f0ec,approve,max,"fine, approved",
2026-11-24,62b37808b31f97bc,reassign,max,,bob
2026-11-22T13:00:00+01:00,$so,correct,max,,
EOF
sg review import "$scratch/good.csv" -c "$cfg"
expect_status 0 "good import"
expect_eq "$out" "3 dispositions recorded from $scratch/good.csv" "import output"
expect_eq "$(q "select decision_note||'|'||decided_at from tasks where exception_id='0789484b6629f0ec'")" \
	"fine, approved|1795255200" "imported note and time"
expect_eq "$(q "select status||'|'||assignee from tasks where exception_id='62b37808b31f97bc'")" "open|bob" "imported reassign"
sg events -c "$cfg" --type disposition_recorded
expect_eq "$(json '[(r["exception_id"], r["overdue"], r["hours"]) for r in rows if r["source"] == "import"]')" \
	"[('0789484b6629f0ec', False, 22.0), ('62b37808b31f97bc', True, 84.0), ('$so', False, 48.0)]" "import events"
# Importing the same file again: closed tasks are refused, nothing changes.
before=$(state)
sg review import "$scratch/good.csv" -c "$cfg"
expect_status 2 "second import"
expect_err "good.csv:2: the review task of exception 0789484b6629f0ec is already closed" "second import refused"
expect_eq "$(state)" "$before" "second import recorded nothing"
printf 'exception_id,disposition,decided_by,when\n' > "$scratch/hdr.csv"
sg review import "$scratch/hdr.csv" -c "$cfg"
expect_status 2 "unknown column"
expect_err 'hdr.csv:1:4: unknown column "when"' "names the column"
sg review import "$scratch/none.csv" -c "$cfg"
expect_status 2 "missing file"
# Text that is not UTF-8, in an import or a note: refused, named.
before=$(state)
printf 'exception_id,disposition,decided_by,decided_at,note\n7c4b7f8165576819,log,max,2026-11-22T10:00:00Z,d\351j\340 vu\n' \
	>"$scratch/latin1.csv"
sg review import "$scratch/latin1.csv" -c "$cfg"
expect_status 2 "an import that is not UTF-8"
expect_err "latin1.csv:2:5: the byte 0xE9 after 1 bytes of the field is not UTF-8" \
	"names the line, field and byte"
sg review decide 7c4b7f8165576819 -c "$cfg" --disposition log --by max \
	--note "$(printf 'd\351j\340 vu')"
expect_status 2 "a note that is not UTF-8"
expect_err "the note is not UTF-8 text (the byte 0xE9 after 1 bytes)" "says so"
expect_eq "$(state)" "$before" "neither recorded anything"

# ---- usage ----
sg review
expect_status 2 "no subcommand"
sg review frob
expect_status 2 "unknown subcommand"
expect_err 'unknown subcommand "frob"' "names it"
sg review --help
expect_status 0 "help"
expect_out "reassign" "help explains reassign"
sg review list -c "$cfg" --status later
expect_status 2 "bad --status"
sg review list -c "$cfg" --type bogus
expect_status 2 "bad --type"
sg review list -c "$cfg" --verdict maybe
expect_status 2 "bad --verdict"
sg review list -c "$cfg" --format xml
expect_status 2 "bad --format"
sg review list -c "$cfg" --bogus
expect_status 2 "unknown option"
sg review show -c "$cfg"
expect_status 2 "show without id"
sg review show zzzzzzzz -c "$cfg"
expect_status 2 "show unknown id"

finish
