/*
 * ledger_read.c - the ledger read by the outputs: review tasks at an
 * instant, exceptions with their tasks, counts by type and owner,
 * evidence gaps, events, runs, and the tables an audit archives.
 *
 * One definition of "open at t" serves them all (LEDGER_OPEN_AT), so the
 * review queue, the report and pilot status always agree.
 */
#include "ledger_db.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sg_strtab.h"

/* The review task of exception e was open at ?1: raised by then and not
 * decided by then. */
#define LEDGER_OPEN_AT \
	"(e.detected_at <= ?1 AND (e.decided_at IS NULL OR e.decided_at > ?1))"

int sg_ledger_read_begin(struct sg_ledger *ledger, struct sg_error *err)
{
	if (!sqlite3_get_autocommit(ledger->db))
		return SG_OK;
	ledger->read_depth = 0;
	if (ledger_exec(ledger, "BEGIN", "cannot start reading", err) != SG_OK)
		return SG_ERR_LEDGER;
	ledger->read_depth = 1;
	return SG_OK;
}

void sg_ledger_read_end(struct sg_ledger *ledger)
{
	if (ledger->read_depth == 0)
		return;
	ledger->read_depth = 0;
	ledger_rollback(ledger);
}

/* Steps stmt to the end, calling row(stmt) for each row; finalizes. */
static int ledger_walk(struct sg_ledger *ledger, sqlite3_stmt *stmt,
		       int (*row)(void *arg, sqlite3_stmt *stmt,
				  struct sg_error *err),
		       void *arg, const char *what, struct sg_error *err)
{
	int rc = SG_OK, step = SQLITE_DONE;

	while (rc == SG_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		rc = row(arg, stmt, err);
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = ledger_fail(ledger, err, what);
	sqlite3_finalize(stmt);
	return rc;
}

/* Prepares sql, binds times[i] to ?(i + 1), and walks it. */
static int ledger_walk_sql(struct sg_ledger *ledger, const char *sql,
			   const sg_time *times, int time_count,
			   int (*row)(void *arg, sqlite3_stmt *stmt,
				      struct sg_error *err),
			   void *arg, const char *what, struct sg_error *err)
{
	sqlite3_stmt *stmt;
	int rc = ledger_prepare(ledger, sql, &stmt, err), i;

	if (rc != SG_OK)
		return rc;
	for (i = 0; i < time_count; i++)
		ledger_bind_time(stmt, i + 1, times[i]);
	return ledger_walk(ledger, stmt, row, arg, what, err);
}

/* ---- tasks ---- */

int sg_ledger_task_counts(struct sg_ledger *ledger, sg_time t,
			  struct sg_task_counts *out, struct sg_error *err)
{
	static const char sql[] =
		"SELECT coalesce(sum(" LEDGER_OPEN_AT "), 0),"
		" coalesce(sum(" LEDGER_OPEN_AT " AND e.due_at < ?1), 0),"
		" coalesce(sum(e.status = 'closed' AND e.decided_at <= ?1),"
		" 0) FROM exceptions e";
	sqlite3_stmt *stmt;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ledger_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	ledger_bind_time(stmt, 1, t);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		out->open = ledger_col_count(stmt, 0);
		out->overdue = ledger_col_count(stmt, 1);
		out->decided = ledger_col_count(stmt, 2);
	} else {
		rc = ledger_fail(ledger, err, "cannot count the review tasks");
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* A typed callback and its argument, carried through ledger_walk(). */
typedef void (*ledger_any_fn)(void);

struct ledger_each {
	ledger_any_fn fn;
	void *arg;
};

static int ledger_task_row(void *arg, sqlite3_stmt *stmt,
			   struct sg_error *err)
{
	const struct ledger_each *e = arg;
	int (*fn)(void *, const struct sg_task_record *, struct sg_error *) =
		(int (*)(void *, const struct sg_task_record *,
			 struct sg_error *))e->fn;
	struct sg_task_record rec;

	rec.exception_id = ledger_col_text(stmt, 0);
	rec.created_at = ledger_col_time(stmt, 1);
	rec.due_at = ledger_col_time(stmt, 2);
	rec.disposition = ledger_col_text(stmt, 3);
	rec.decided_at = ledger_col_time(stmt, 4);
	return fn(e->arg, &rec, err);
}

int sg_ledger_each_task(struct sg_ledger *ledger,
			int (*fn)(void *arg, const struct sg_task_record *rec,
				  struct sg_error *err),
			void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT exception_id, created_at, due_at, disposition,"
		" decided_at FROM tasks";
	struct ledger_each e = { (ledger_any_fn)fn, arg };

	return ledger_walk_sql(ledger, sql, NULL, 0, ledger_task_row, &e,
			       "cannot read the review tasks", err);
}

/* ---- runs ---- */

static int ledger_run_row(void *arg, sqlite3_stmt *stmt,
			  struct sg_error *err)
{
	const struct ledger_each *e = arg;
	int (*fn)(void *, sg_time, struct sg_error *) =
		(int (*)(void *, sg_time, struct sg_error *))e->fn;

	return fn(e->arg, ledger_col_time(stmt, 0), err);
}

int sg_ledger_each_run_as_of(struct sg_ledger *ledger, sg_time from,
			     sg_time until, sg_time t,
			     int (*fn)(void *arg, sg_time as_of,
				       struct sg_error *err),
			     void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT as_of FROM runs WHERE as_of >= ?1 AND as_of < ?2"
		" AND as_of <= ?3 ORDER BY seq";
	struct ledger_each e = { (ledger_any_fn)fn, arg };
	const sg_time times[] = { from, until, t };

	return ledger_walk_sql(ledger, sql, times, 3, ledger_run_row, &e,
			       "cannot read the runs", err);
}

/* ---- exceptions with their tasks ---- */

/* The review rows' columns; "missing" is made from the detail in C
 * (ledger_review_missing): two json_each subqueries a row were 0.9 s a
 * walk at half a million exceptions. */
#define LEDGER_REVIEW_COLUMNS \
	"SELECT " LEDGER_RECORD_COLUMNS "," \
	" NULL," \
	" CASE WHEN e.type = 'forecast_impact'" \
	"  THEN json_extract(e.detail, '$.amount') END," \
	" CASE WHEN e.type = 'forecast_impact'" \
	"  THEN json_extract(e.detail, '$.currency') END," \
	" 1, coalesce(e.reviewer, e.assignee), e.status," \
	" e.disposition, e.decided_by, e.decision_note, e.detected_at," \
	" e.due_at, e.decided_at"

/* The columns after the record's (LEDGER_RECORD_COLUMNS). */
enum ledger_review_column {
	RR_MISSING = LR_COUNT, RR_AMOUNT, RR_CURRENCY, RR_HAS_TASK,
	RR_ASSIGNEE, RR_STATUS, RR_DISPOSITION, RR_DECIDED_BY,
	RR_DECISION_NOTE, RR_CREATED_AT, RR_DUE_AT, RR_DECIDED_AT
};

/*
 * A queue's columns: the review rows' without the detail, the note and
 * the amount, in the same places.  The open tasks are sorted by due
 * time, and SQLite's sorter carries every column selected: at half a
 * million tasks the notes alone are 160 MB to sort, a second more.
 */
#define LEDGER_QUEUE_COLUMNS \
	"SELECT e.id, e.type, e.verdict, e.opportunity_id," \
	" e.opportunity_name, e.owner_id, e.assignee, e.from_stage," \
	" e.to_stage, e.stage, e.event_at, e.detected_at, e.due_at, NULL," \
	" NULL, NULL, NULL, NULL," \
	" 1, coalesce(e.reviewer, e.assignee), e.status," \
	" e.disposition, e.decided_by, e.decision_note, e.detected_at," \
	" e.due_at, e.decided_at"

static const char *const ledger_review_sql[] = {
	[SG_ROWS_EXCEPTIONS] = LEDGER_REVIEW_COLUMNS
	" FROM exceptions e WHERE e.first_seen <= ?1"
	" ORDER BY e.opportunity_id, e.event_at, e.type, e.from_stage,"
	" e.to_stage, e.id",
	[SG_ROWS_OPEN_AT] = LEDGER_QUEUE_COLUMNS
	" FROM exceptions e"
	" WHERE " LEDGER_OPEN_AT " ORDER BY e.due_at, e.id",
	[SG_ROWS_RAISED_IN] = LEDGER_REVIEW_COLUMNS
	" FROM exceptions e WHERE e.first_seen >= ?2 AND e.first_seen < ?3"
	" AND e.first_seen <= ?1",
};

/* A walk of review rows: the callback, and the text "missing" is made
 * in. */
struct ledger_review_walk {
	struct ledger_each each;
	char *buf;
	size_t cap;
};

/* Appends n bytes of text and a NUL to w->buf at *len; -1 when out of
 * memory. */
static int ledger_review_append(struct ledger_review_walk *w, size_t *len,
				const char *text, size_t n)
{
	if (*len + n + 1 > w->cap) {
		size_t cap = (*len + n + 1) * 2;
		char *grown = realloc(w->buf, cap);

		if (grown == NULL)
			return -1;
		w->buf = grown;
		w->cap = cap;
	}
	memcpy(w->buf + *len, text, n);
	*len += n;
	w->buf[*len] = '\0';
	return 0;
}

/* The array at key of detail joined with ", " in array order, as
 * group_concat over json_each gave it: NULL when there is no such
 * array or it is empty; a string as its text, anything else as its
 * JSON. */
static int ledger_review_join(struct ledger_review_walk *w, json_t *detail,
			      const char *key, const char **out)
{
	json_t *array = json_object_get(detail, key), *v;
	size_t i, len = 0;

	*out = NULL;
	if (!json_is_array(array) || json_array_size(array) == 0)
		return 0;
	json_array_foreach(array, i, v) {
		char *dumped = NULL;
		const char *text;
		size_t n;
		int bad;

		if (i > 0 && ledger_review_append(w, &len, ", ", 2) != 0)
			return -1;
		if (json_is_string(v)) {
			text = json_string_value(v);
			n = json_string_length(v);
		} else {
			dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			if (dumped == NULL)
				return -1;
			text = dumped;
			n = strlen(dumped);
		}
		bad = ledger_review_append(w, &len, text, n);
		free(dumped);
		if (bad)
			return -1;
	}
	*out = w->buf;
	return 0;
}

/* The detail's "missing" criteria, else its "fields". Most details hold
 * neither: those are not parsed. */
static int ledger_review_missing(struct ledger_review_walk *w,
				 const char *detail, const char **out,
				 struct sg_error *err)
{
	json_t *j;
	int bad;

	*out = NULL;
	if (detail == NULL || (strstr(detail, "\"missing\"") == NULL &&
			       strstr(detail, "\"fields\"") == NULL))
		return SG_OK;
	j = json_loads(detail, 0, NULL);
	if (j == NULL)
		return SG_OK;   /* read as no array, as json_each would */
	bad = ledger_review_join(w, j, "missing", out) != 0 ||
	      (*out == NULL && ledger_review_join(w, j, "fields", out) != 0);
	json_decref(j);
	return bad ? sg_error_set(err, SG_ERR_NOMEM, "out of memory") :
		     SG_OK;
}

static int ledger_review_row(void *arg, sqlite3_stmt *stmt,
			     struct sg_error *err)
{
	struct ledger_review_walk *w = arg;
	const struct ledger_each *e = &w->each;
	int (*fn)(void *, const struct sg_review_row *, struct sg_error *) =
		(int (*)(void *, const struct sg_review_row *,
			 struct sg_error *))e->fn;
	struct sg_review_row row;
	int rc;

	ledger_read_record(stmt, &row.ex);
	rc = ledger_review_missing(w, row.ex.details, &row.missing, err);
	if (rc != SG_OK)
		return rc;
	row.amount = ledger_col_text(stmt, RR_AMOUNT);
	row.currency = ledger_col_text(stmt, RR_CURRENCY);
	row.has_task = sqlite3_column_int(stmt, RR_HAS_TASK);
	row.assignee = ledger_col_text(stmt, RR_ASSIGNEE);
	row.status = ledger_col_text(stmt, RR_STATUS);
	row.disposition = ledger_col_text(stmt, RR_DISPOSITION);
	row.decided_by = ledger_col_text(stmt, RR_DECIDED_BY);
	row.decision_note = ledger_col_text(stmt, RR_DECISION_NOTE);
	row.created_at = ledger_col_time(stmt, RR_CREATED_AT);
	row.due_at = ledger_col_time(stmt, RR_DUE_AT);
	row.decided_at = ledger_col_time(stmt, RR_DECIDED_AT);
	return fn(e->arg, &row, err);
}

int sg_ledger_each_review_row(struct sg_ledger *ledger,
			      const struct sg_review_rows_query *q,
			      int (*fn)(void *arg,
					const struct sg_review_row *row,
					struct sg_error *err),
			      void *arg, struct sg_error *err)
{
	struct ledger_review_walk w = { { (ledger_any_fn)fn, arg }, NULL, 0 };
	const sg_time times[] = { q->t, q->from, q->until };
	int rc;

	if (q->which < SG_ROWS_EXCEPTIONS || q->which > SG_ROWS_RAISED_IN)
		return sg_error_set(err, SG_ERR_INTERNAL, "ledger: no such "
				    "review rows (%d)", q->which);
	rc = ledger_walk_sql(ledger, ledger_review_sql[q->which], times,
			     q->which == SG_ROWS_RAISED_IN ? 3 : 1,
			     ledger_review_row, &w,
			     "cannot read the exceptions and their tasks", err);
	free(w.buf);
	return rc;
}

/* ---- counts ---- */

/* A row of (text, count, count), as the type counts and the evidence
 * gaps give. */
static int ledger_text_counts_row(void *arg, sqlite3_stmt *stmt,
				  struct sg_error *err)
{
	const struct ledger_each *e = arg;
	int (*fn)(void *, const char *, size_t, size_t, struct sg_error *) =
		(int (*)(void *, const char *, size_t, size_t,
			 struct sg_error *))e->fn;

	return fn(e->arg, ledger_col_text(stmt, 0), ledger_col_count(stmt, 1),
		  ledger_col_count(stmt, 2), err);
}

/*
 * Counts by a text, added up in C over one scan: a GROUP BY had SQLite
 * sort every exception by the text first (by owner, at half a million
 * exceptions, 0.86 s against 0.37 s for the scan).  sql gives the text
 * (column 0) and `width` integers to add (columns 1 on); fn gets each
 * text with its sums, in the order GROUP BY ... ORDER BY gave: NULL
 * first, then by the texts' bytes.  A text is interned (sg_strtab) and
 * its sums kept by its symbol.
 */
#define LEDGER_GROUP_WIDTH_MAX 8

typedef int (*ledger_group_fn)(void *arg, const char *text,
			       const size_t *sums, struct sg_error *err);

struct ledger_groups {
	int width;
	struct sg_strtab *texts;
	size_t *sums;           /* width per symbol */
	size_t cap;             /* symbols room is made for */
	int empty_seen;         /* symbol 0, "", is a group */
	size_t null_rows;
	size_t null_sums[LEDGER_GROUP_WIDTH_MAX];
};

static int ledger_group_room(struct ledger_groups *g, sg_sym sym)
{
	size_t cap = g->cap ? g->cap : 64, w = (size_t)g->width;
	size_t *grown;

	while (cap <= sym)
		cap *= 2;
	if (cap == g->cap)
		return 0;
	grown = realloc(g->sums, cap * w * sizeof(*grown));
	if (grown == NULL)
		return -1;
	memset(grown + g->cap * w, 0, (cap - g->cap) * w * sizeof(*grown));
	g->sums = grown;
	g->cap = cap;
	return 0;
}

static int ledger_group_add(void *arg, sqlite3_stmt *stmt,
			    struct sg_error *err)
{
	struct ledger_groups *g = arg;
	const char *text = ledger_col_text(stmt, 0);
	size_t *sums = g->null_sums;
	sg_sym sym;
	int i;

	if (text != NULL) {
		if (sg_strtab_intern(g->texts, text, (size_t)
				     sqlite3_column_bytes(stmt, 0), &sym) !=
		    SG_OK || ledger_group_room(g, sym) != 0)
			return sg_error_set(err, SG_ERR_NOMEM,
					    "out of memory");
		sums = g->sums + (size_t)sym * (size_t)g->width;
		g->empty_seen |= sym == 0;
	} else {
		g->null_rows++;
	}
	for (i = 0; i < g->width; i++)
		sums[i] += (size_t)sqlite3_column_int64(stmt, i + 1);
	return SG_OK;
}

struct ledger_group_ref {
	const char *text;
	const size_t *sums;
};

static int ledger_group_cmp(const void *a, const void *b)
{
	const struct ledger_group_ref *x = a, *y = b;

	return strcmp(x->text, y->text);
}

static int ledger_group_sums(struct sg_ledger *ledger, const char *sql,
			     sg_time t, int width, ledger_group_fn fn,
			     void *arg, const char *what, struct sg_error *err)
{
	struct ledger_groups g;
	struct ledger_group_ref *order = NULL;
	size_t n = 0, i, count = 0;
	int rc;

	if (width < 1 || width > LEDGER_GROUP_WIDTH_MAX)
		return sg_error_set(err, SG_ERR_INTERNAL, "ledger: %d sums "
				    "to a group", width);
	memset(&g, 0, sizeof(g));
	g.width = width;
	rc = sg_strtab_new(&g.texts, err);
	if (rc == SG_OK)
		rc = ledger_walk_sql(ledger, sql, &t, 1, ledger_group_add, &g,
				     what, err);
	if (rc == SG_OK)
		count = sg_strtab_count(g.texts);
	if (rc == SG_OK && count > 0 &&
	    (order = malloc(count * sizeof(*order))) == NULL)
		rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	for (i = g.empty_seen ? 0 : 1; rc == SG_OK && i < count; i++) {
		order[n].text = sg_strtab_text(g.texts, (sg_sym)i);
		order[n++].sums = g.sums + i * (size_t)width;
	}
	if (rc == SG_OK)
		qsort(order, n, sizeof(*order), ledger_group_cmp);
	if (rc == SG_OK && g.null_rows > 0)
		rc = fn(arg, NULL, g.null_sums, err);
	for (i = 0; rc == SG_OK && i < n; i++)
		rc = fn(arg, order[i].text, order[i].sums, err);
	free(order);
	free(g.sums);
	sg_strtab_free(g.texts);
	return rc;
}

static int ledger_type_group(void *arg, const char *type, const size_t *sums,
			     struct sg_error *err)
{
	const struct ledger_each *e = arg;
	int (*fn)(void *, const char *, size_t, size_t, struct sg_error *) =
		(int (*)(void *, const char *, size_t, size_t,
			 struct sg_error *))e->fn;

	return fn(e->arg, type, sums[0], sums[1], err);
}

int sg_ledger_type_counts(struct sg_ledger *ledger, sg_time t,
			  int (*fn)(void *arg, const char *type,
				    size_t count, size_t open,
				    struct sg_error *err),
			  void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT e.type, 1, coalesce(" LEDGER_OPEN_AT ", 0)"
		" FROM exceptions e WHERE e.first_seen <= ?1";
	struct ledger_each e = { (ledger_any_fn)fn, arg };

	return ledger_group_sums(ledger, sql, t, 2, ledger_type_group, &e,
				 "cannot count the exceptions", err);
}

static int ledger_owner_group(void *arg, const char *owner_id,
			      const size_t *sums, struct sg_error *err)
{
	const struct ledger_each *e = arg;
	int (*fn)(void *, const struct sg_owner_counts *, struct sg_error *) =
		(int (*)(void *, const struct sg_owner_counts *,
			 struct sg_error *))e->fn;
	struct sg_owner_counts row;

	row.owner_id = owner_id;
	row.exceptions = sums[0];
	row.block = sums[1];
	row.review = sums[2];
	row.open_reviews = sums[3];
	row.overdue = sums[4];
	return fn(e->arg, &row, err);
}

int sg_ledger_owner_counts(struct sg_ledger *ledger, sg_time t,
			   int (*fn)(void *arg,
				     const struct sg_owner_counts *row,
				     struct sg_error *err),
			   void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT e.owner_id, 1, e.verdict = 'block',"
		" e.verdict = 'review', coalesce(" LEDGER_OPEN_AT ", 0),"
		" coalesce(" LEDGER_OPEN_AT " AND e.due_at < ?1, 0)"
		" FROM exceptions e WHERE e.first_seen <= ?1";
	struct ledger_each e = { (ledger_any_fn)fn, arg };

	return ledger_group_sums(ledger, sql, t, 5, ledger_owner_group, &e,
				 "cannot count the exceptions by owner", err);
}

int sg_ledger_evidence_gaps(struct sg_ledger *ledger, sg_time t,
			    int (*fn)(void *arg, const char *criterion,
				      size_t exceptions, size_t opportunities,
				      struct sg_error *err),
			    void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT j.value, count(*), count(DISTINCT e.opportunity_id)"
		" FROM exceptions e, json_each(e.detail, '$.missing') j"
		" WHERE e.type = 'missing_evidence' AND e.first_seen <= ?1"
		" GROUP BY j.value ORDER BY j.value";
	struct ledger_each e = { (ledger_any_fn)fn, arg };

	return ledger_walk_sql(ledger, sql, &t, 1, ledger_text_counts_row, &e,
			       "cannot count the evidence gaps", err);
}

/* ---- events ---- */

static int ledger_event_row(void *arg, sqlite3_stmt *stmt,
			    struct sg_error *err)
{
	const struct ledger_each *e = arg;
	int (*fn)(void *, const struct sg_event_record *, struct sg_error *) =
		(int (*)(void *, const struct sg_event_record *,
			 struct sg_error *))e->fn;
	struct sg_event_record ev;

	ev.seq = sqlite3_column_int64(stmt, 0);
	ev.type = ledger_col_text(stmt, 1);
	ev.at = ledger_col_time(stmt, 2);
	ev.run_id = ledger_col_text(stmt, 3);
	ev.exception_id = ledger_col_text(stmt, 4);
	ev.opportunity_id = ledger_col_text(stmt, 5);
	ev.detail = ledger_col_text(stmt, 6);
	ev.raised = sqlite3_column_int(stmt, 7) == 1;
	ev.exception_type = ledger_col_text(stmt, 8);
	ev.verdict = ledger_col_text(stmt, 9);
	ev.assignee = ledger_col_text(stmt, 10);
	ev.due_at = ledger_col_time(stmt, 11);
	return fn(e->arg, &ev, err);
}

int sg_ledger_each_event(struct sg_ledger *ledger, sg_time since,
			 const char *type,
			 int (*fn)(void *arg, const struct sg_event_record *ev,
				   struct sg_error *err),
			 void *arg, struct sg_error *err)
{
	/* The stored events and the exceptions' exception_raised ones,
	 * each in seq order (rowid; the index exceptions_raised). */
	static const char sql[] =
		"SELECT ev.seq, ev.type, ev.at, ev.run_id, ev.exception_id,"
		" ev.opportunity_id, " LEDGER_EVENT_DETAIL ","
		" 0, NULL, NULL, NULL, NULL"
		" FROM event_rows ev" LEDGER_EVENT_JOIN
		" WHERE (?1 IS NULL OR ev.at >= ?1)"
		" AND (?2 IS NULL OR ev.type = ?2)"
		" UNION ALL " LEDGER_RAISED_EVENTS
		" AND (?1 IS NULL OR e.detected_at >= ?1)"
		" AND (?2 IS NULL OR ?2 = 'exception_raised')"
		" ORDER BY 1";
	struct ledger_each e = { (ledger_any_fn)fn, arg };
	sqlite3_stmt *stmt;
	int rc = ledger_prepare(ledger, sql, &stmt, err);

	if (rc != SG_OK)
		return rc;
	ledger_bind_time(stmt, 1, since);
	ledger_bind_text(stmt, 2, type);
	return ledger_walk(ledger, stmt, ledger_event_row, &e,
			   "cannot read the events", err);
}

/* ---- the archived tables ---- */

static const char *const ledger_run_columns[] = {
	"id", "seq", "started_at", "finished_at", "as_of", "since", "source",
	"snapshot_at", "config_sha256", "tool_version", "opportunities",
	"evaluated", "paused", "exceptions", "new_exceptions"
};
static const int ledger_run_kinds[] = {
	SG_CELL_TEXT, SG_CELL_INT, SG_CELL_TIME, SG_CELL_TIME, SG_CELL_TIME,
	SG_CELL_TIME, SG_CELL_TEXT, SG_CELL_TIME, SG_CELL_TEXT, SG_CELL_TEXT,
	SG_CELL_INT, SG_CELL_INT, SG_CELL_INT, SG_CELL_INT, SG_CELL_INT
};

static const char *const ledger_task_columns[] = {
	"exception_id", "assignee", "created_at", "due_at", "status",
	"disposition", "decided_by", "decided_at", "decision_note"
};
static const int ledger_task_kinds[] = {
	SG_CELL_TEXT, SG_CELL_TEXT, SG_CELL_TIME, SG_CELL_TIME, SG_CELL_TEXT,
	SG_CELL_TEXT, SG_CELL_TEXT, SG_CELL_TIME, SG_CELL_TEXT
};

static const char *const ledger_history_columns[] = {
	"seq", "exception_id", "at", "action", "actor", "detail"
};
static const int ledger_history_kinds[] = {
	SG_CELL_INT, SG_CELL_TEXT, SG_CELL_TIME, SG_CELL_TEXT, SG_CELL_TEXT,
	SG_CELL_TEXT
};

#define LEDGER_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The columns of SG_LEDGER_TASKS, read from the exception's own row: the
 * view tasks says the same for other readers of the file (ledger_schema.c,
 * version 3), and tests/check_ledger.c holds the two to it.
 */
#define LEDGER_TASK_COLUMNS \
	"e.id, coalesce(e.reviewer, e.assignee), e.detected_at, e.due_at," \
	" e.status, e.disposition, e.decided_by, e.decided_at," \
	" e.decision_note"

static const struct {
	const char *sql;
	const char *const *names;
	const int *kinds;
	size_t count;
} ledger_tables[SG_LEDGER_TABLE_COUNT] = {
	[SG_LEDGER_RUNS] = {
		"SELECT id, seq, started_at, finished_at, as_of, since,"
		" source, snapshot_at, config_sha256, tool_version,"
		" opportunities, evaluated, paused, exceptions, new_exceptions"
		" FROM runs ORDER BY seq",
		ledger_run_columns, ledger_run_kinds,
		LEDGER_COUNT(ledger_run_columns) },
	[SG_LEDGER_TASKS] = {
		/* "+": by a scan and a sort, not the id index (see
		 * sg_ledger_each_exception()). */
		"SELECT " LEDGER_TASK_COLUMNS
		" FROM exceptions e NOT INDEXED ORDER BY e.id",
		ledger_task_columns, ledger_task_kinds,
		LEDGER_COUNT(ledger_task_columns) },
	[SG_LEDGER_TASK_HISTORY] = {
		"SELECT seq, exception_id, at, action, actor, detail"
		" FROM task_history ORDER BY seq",
		ledger_history_columns, ledger_history_kinds,
		LEDGER_COUNT(ledger_history_columns) },
};

_Static_assert(LEDGER_COUNT(ledger_run_columns) ==
	       LEDGER_COUNT(ledger_run_kinds), "a kind per run column");
_Static_assert(LEDGER_COUNT(ledger_task_columns) ==
	       LEDGER_COUNT(ledger_task_kinds), "a kind per task column");
_Static_assert(LEDGER_COUNT(ledger_history_columns) ==
	       LEDGER_COUNT(ledger_history_kinds),
	       "a kind per history column");

void sg_ledger_table_columns(int table, const char *const **names,
			     const int **kinds, size_t *count)
{
	if (table < 0 || table >= SG_LEDGER_TABLE_COUNT) {
		*names = NULL;
		*kinds = NULL;
		*count = 0;
		return;
	}
	*names = ledger_tables[table].names;
	*kinds = ledger_tables[table].kinds;
	*count = ledger_tables[table].count;
}

/* The widest archived table. */
#define LEDGER_CELLS_MAX 15

struct ledger_cells {
	int table;
	int (*fn)(void *arg, const struct sg_cell *cells,
		  struct sg_error *err);
	void *arg;
};

/* The row of table in the statement's columns from first on. */
static void ledger_fill_cells(sqlite3_stmt *stmt, int table, int first,
			      struct sg_cell *cells)
{
	size_t i;
	int col;

	for (i = 0; i < ledger_tables[table].count; i++) {
		col = first + (int)i;
		cells[i].kind = ledger_tables[table].kinds[i];
		cells[i].null = sqlite3_column_type(stmt, col) == SQLITE_NULL;
		cells[i].text = ledger_col_text(stmt, col);
		cells[i].number = sqlite3_column_int64(stmt, col);
	}
}

static int ledger_cells_row(void *arg, sqlite3_stmt *stmt,
			    struct sg_error *err)
{
	const struct ledger_cells *c = arg;
	struct sg_cell cells[LEDGER_CELLS_MAX];

	ledger_fill_cells(stmt, c->table, 0, cells);
	return c->fn(c->arg, cells, err);
}

int sg_ledger_each_table_row(struct sg_ledger *ledger, int table,
			     int (*fn)(void *arg, const struct sg_cell *cells,
				       struct sg_error *err),
			     void *arg, struct sg_error *err)
{
	struct ledger_cells c = { table, fn, arg };

	if (table < 0 || table >= SG_LEDGER_TABLE_COUNT)
		return sg_error_set(err, SG_ERR_INTERNAL, "ledger: no such "
				    "table (%d)", table);
	_Static_assert(LEDGER_COUNT(ledger_run_columns) <= LEDGER_CELLS_MAX,
		       "cells fit");
	return ledger_walk_sql(ledger, ledger_tables[table].sql, NULL, 0,
			       ledger_cells_row, &c, "cannot read the ledger",
			       err);
}

struct ledger_with_task {
	int (*fn)(void *arg, const struct sg_exception_record *rec,
		  const struct sg_cell *task, struct sg_error *err);
	void *arg;
};

static int ledger_with_task_row(void *arg, sqlite3_stmt *stmt,
				struct sg_error *err)
{
	const struct ledger_with_task *w = arg;
	struct sg_exception_record rec;
	struct sg_cell task[LEDGER_CELLS_MAX];

	ledger_read_record(stmt, &rec);
	ledger_fill_cells(stmt, SG_LEDGER_TASKS, LR_COUNT, task);
	return w->fn(w->arg, &rec, task, err);
}

int sg_ledger_each_exception_and_task(
	struct sg_ledger *ledger,
	int (*fn)(void *arg, const struct sg_exception_record *rec,
		  const struct sg_cell *task, struct sg_error *err),
	void *arg, struct sg_error *err)
{
	/* By a scan and a sort, as sg_ledger_each_exception(). */
	static const char sql[] =
		"SELECT " LEDGER_RECORD_COLUMNS ", " LEDGER_TASK_COLUMNS
		" FROM exceptions e NOT INDEXED ORDER BY e.id";
	struct ledger_with_task w = { fn, arg };

	return ledger_walk_sql(ledger, sql, NULL, 0, ledger_with_task_row, &w,
			       "cannot read the exceptions", err);
}
