/*
 * sg_review.c - the review queue (list, show, decide, import), the
 * measurement event export, and stage_corrected events (DESIGN §6-§7).
 *
 * Writes are single transactions (BEGIN IMMEDIATE ... COMMIT): a refusal
 * or a failure rolls back everything of the request.  Reads that span
 * several statements run inside one read transaction so they see one
 * state of the ledger.
 */
#include "sg_review.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sg_config.h"
#include "util/sg_csv.h"

static const char *const rv_disposition_names[SG_DISP_COUNT] = {
	"approve", "correct", "escalate", "reassign", "log", "block",
};

static const char *const rv_event_types[] = {
	"exception_raised", "disposition_recorded", "stage_corrected",
	"run_completed",
};

/* Exception types whose moves count as flagged (DESIGN §7). */
#define RV_FLAGGED_TYPES \
	"('missing_evidence', 'required_field', 'skipped_stage'," \
	" 'seller_only', 'regression')"

/* Flags for JSON written to the ledger and printed. */
#define RV_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

const char *sg_disposition_name(int disposition)
{
	if (disposition < 0 || disposition >= SG_DISP_COUNT)
		return NULL;
	return rv_disposition_names[disposition];
}

int sg_disposition_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < SG_DISP_COUNT; i++)
		if (strcmp(name, rv_disposition_names[i]) == 0)
			return i;
	return -1;
}

int sg_event_type_known(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < sizeof(rv_event_types) / sizeof(rv_event_types[0]);
	     i++)
		if (strcmp(name, rv_event_types[i]) == 0)
			return 1;
	return 0;
}

/* ---- small helpers ---- */

/* SG_ERR_LEDGER naming the ledger, what was done and SQLite's message. */
static int rv_fail(struct sg_ledger *ledger, struct sg_error *err,
		   const char *what)
{
	sqlite3 *db = sg_ledger_db(ledger);

	return sg_error_set_at(err, SG_ERR_LEDGER, sg_ledger_path(ledger), 0,
			       0, "ledger: %s: %s", what, sqlite3_errmsg(db));
}

static int rv_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

static int rv_prepare(struct sg_ledger *ledger, const char *sql,
		      sqlite3_stmt **stmt, struct sg_error *err)
{
	*stmt = NULL;
	if (sqlite3_prepare_v2(sg_ledger_db(ledger), sql, -1, stmt, NULL) !=
	    SQLITE_OK)
		return rv_fail(ledger, err, "cannot prepare a query");
	return SG_OK;
}

static int rv_exec(struct sg_ledger *ledger, const char *sql,
		   const char *what, struct sg_error *err)
{
	if (sqlite3_exec(sg_ledger_db(ledger), sql, NULL, NULL, NULL) !=
	    SQLITE_OK)
		return rv_fail(ledger, err, what);
	return SG_OK;
}

/* Rolls back the open transaction, if any, keeping err as it is. */
static void rv_rollback(struct sg_ledger *ledger)
{
	sqlite3 *db = sg_ledger_db(ledger);

	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static void rv_bind_text(sqlite3_stmt *stmt, int index, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, s, -1, SQLITE_STATIC);
}

static void rv_bind_time(sqlite3_stmt *stmt, int index, sg_time t)
{
	if (t == SG_TIME_NONE)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_int64(stmt, index, t);
}

/* A copy of column i as text into *out (NULL for SQL NULL). */
static int rv_col_text(sqlite3_stmt *stmt, int i, char **out)
{
	const unsigned char *text;

	*out = NULL;
	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return SG_OK;
	text = sqlite3_column_text(stmt, i);
	if (text == NULL)
		return SG_ERR_NOMEM;
	*out = strdup((const char *)text);
	return *out ? SG_OK : SG_ERR_NOMEM;
}

static sg_time rv_col_time(sqlite3_stmt *stmt, int i)
{
	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return SG_TIME_NONE;
	return sqlite3_column_int64(stmt, i);
}

/* Column i parsed as a JSON document, or NULL (NULL column, bad JSON). */
static json_t *rv_col_json(sqlite3_stmt *stmt, int i)
{
	const char *text;

	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return NULL;
	text = (const char *)sqlite3_column_text(stmt, i);
	return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

static int rv_record_json(void *arg, const struct sg_exception_record *rec,
			  struct sg_error *err)
{
	json_t **out = arg;
	struct sg_text text = { NULL, 0, 0 };
	int rc = sg_exception_record_append_json(&text, rec);

	if (rc == SG_OK)
		*out = json_loads(text.s, 0, NULL);
	sg_text_release(&text);
	if (rc == SG_ERR_NOMEM || (rc == SG_OK && *out == NULL))
		return rv_nomem(err);
	/* A record that is not JSON is shown without its members. */
	return SG_OK;
}

/* The exception's JSON object (DESIGN §8) as recorded, or NULL. */
static int rv_exception_json(struct sg_ledger *ledger, const char *id,
			     json_t **out, struct sg_error *err)
{
	struct sg_exception_filter only = { id, NULL };

	*out = NULL;
	return sg_ledger_each_exception(ledger, &only, rv_record_json, out,
					err);
}

/* "YYYY-MM-DDTHH:MM:SSZ" or "-" for an absent time. */
static const char *rv_iso(sg_time t, char *buf)
{
	if (t == SG_TIME_NONE) {
		strcpy(buf, "-");
		return buf;
	}
	return sg_time_format_iso(t, buf);
}

/* ---- opening ---- */

int sg_review_open_ledger(struct sg_ledger **out, const char *config_path,
			  const char *ledger_path, struct sg_error *err)
{
	struct sg_config *config = NULL;
	const char *path = ledger_path;
	int rc = SG_OK;

	*out = NULL;
	if (path == NULL) {
		rc = sg_config_load(&config, config_path ? config_path :
					     "stageguard.json", err);
		if (rc != SG_OK)
			return rc;
		path = config->ledger_path;
		if (path == NULL) {
			rc = sg_error_set(err, SG_ERR_USAGE, "%s names no "
					  "ledger: add \"ledger\": "
					  "\"stageguard.db\" or pass --ledger "
					  "FILE", config->path);
			goto out;
		}
	}
	if (access(path, F_OK) != 0) {
		rc = sg_error_set_at(err, SG_ERR_NOTFOUND, path, 0, 0,
				     "no ledger here yet; `stageguard run` "
				     "(or `stageguard init`) creates it");
		goto out;
	}
	rc = sg_ledger_open(out, path, err);
out:
	sg_config_free(config);
	return rc;
}

/* ---- reading tasks ---- */

#define RV_TASK_COLUMNS \
	"e.id, e.type, e.verdict, e.opportunity_id, e.owner_id," \
	" e.from_stage, e.to_stage, e.stage, e.note, e.event_at," \
	" e.detected_at, e.first_seen, e.last_seen, t.assignee," \
	" t.created_at, t.due_at, t.status, t.disposition, t.decided_by," \
	" t.decision_note, t.decided_at," \
	" e.opportunity_name"

/* The number of columns RV_TASK_COLUMNS selects. */
#define RV_TASK_NCOLS 22

static void rv_task_clear(struct sg_review_task *t)
{
	free(t->id);
	free(t->type);
	free(t->verdict);
	free(t->opportunity_id);
	free(t->opportunity_name);
	free(t->owner_id);
	free(t->from_stage);
	free(t->to_stage);
	free(t->stage);
	free(t->note);
	free(t->assignee);
	free(t->disposition);
	free(t->decided_by);
	free(t->decision_note);
	memset(t, 0, sizeof(*t));
}

/* Fills t from the current row of a RV_TASK_COLUMNS query. */
static int rv_read_task(sqlite3_stmt *stmt, sg_time as_of,
			struct sg_review_task *t)
{
	char **text[] = {
		&t->id, &t->type, &t->verdict, &t->opportunity_id,
		&t->owner_id, &t->from_stage, &t->to_stage, &t->stage,
		&t->note,
	};
	char *status = NULL;
	size_t i;
	int rc = SG_OK;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < sizeof(text) / sizeof(text[0]) && rc == SG_OK; i++)
		rc = rv_col_text(stmt, (int)i, text[i]);
	t->event_at = rv_col_time(stmt, 9);
	t->detected_at = rv_col_time(stmt, 10);
	t->first_seen = rv_col_time(stmt, 11);
	t->last_seen = rv_col_time(stmt, 12);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 13, &t->assignee);
	t->created_at = rv_col_time(stmt, 14);
	t->due_at = rv_col_time(stmt, 15);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 16, &status);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 17, &t->disposition);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 18, &t->decided_by);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 19, &t->decision_note);
	t->decided_at = rv_col_time(stmt, 20);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 21, &t->opportunity_name);
	t->closed = status != NULL && strcmp(status, "closed") == 0;
	t->overdue = !t->closed && t->due_at != SG_TIME_NONE &&
		     as_of != SG_TIME_NONE && t->due_at < as_of;
	free(status);
	if (rc != SG_OK)
		rv_task_clear(t);
	return rc;
}

void sg_review_tasks_release(struct sg_review_tasks *tasks)
{
	size_t i;

	if (tasks == NULL)
		return;
	for (i = 0; i < tasks->count; i++)
		rv_task_clear(&tasks->items[i]);
	free(tasks->items);
	tasks->items = NULL;
	tasks->count = 0;
}

int sg_review_list(struct sg_ledger *ledger,
		   const struct sg_review_filter *filter,
		   struct sg_review_tasks *out, struct sg_error *err)
{
	static const char sql[] =
		"SELECT " RV_TASK_COLUMNS
		" FROM tasks t JOIN exceptions e ON e.id = t.exception_id"
		" WHERE (?1 = 2 OR t.status = 'open')"
		" AND (?1 <> 1 OR t.due_at < ?2)"
		" AND (?3 IS NULL OR t.assignee = ?3)"
		" AND (?4 IS NULL OR e.type = ?4)"
		" AND (?5 IS NULL OR e.verdict = ?5)"
		" ORDER BY t.due_at, e.id";
	sqlite3_stmt *stmt = NULL;
	size_t capacity = 0;
	int rc, step;

	out->items = NULL;
	out->count = 0;
	rc = rv_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	sqlite3_bind_int(stmt, 1, filter->status);
	rv_bind_time(stmt, 2, filter->as_of);
	rv_bind_text(stmt, 3, filter->assignee);
	rv_bind_text(stmt, 4, filter->type);
	rv_bind_text(stmt, 5, filter->verdict);
	for (;;) {
		step = sqlite3_step(stmt);
		if (step != SQLITE_ROW)
			break;
		if (out->count == capacity) {
			size_t n = capacity ? capacity * 2 : 32;
			struct sg_review_task *grown;

			grown = realloc(out->items, n * sizeof(*grown));
			if (grown == NULL) {
				rc = rv_nomem(err);
				goto out;
			}
			out->items = grown;
			capacity = n;
		}
		if (rv_read_task(stmt, filter->as_of,
				 &out->items[out->count]) != SG_OK) {
			rc = rv_nomem(err);
			goto out;
		}
		out->count++;
	}
	if (step != SQLITE_DONE)
		rc = rv_fail(ledger, err, "cannot list the review tasks");
out:
	sqlite3_finalize(stmt);
	if (rc != SG_OK)
		sg_review_tasks_release(out);
	return rc;
}

/* ---- resolving an id ---- */

int sg_review_resolve(struct sg_ledger *ledger, const char *id_or_prefix,
		      char **id, struct sg_error *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t len = strlen(id_or_prefix);
	char *found[2] = { NULL, NULL };
	int rc, step, n = 0;

	*id = NULL;
	rc = rv_prepare(ledger, "SELECT id FROM exceptions WHERE id >= ?1"
			" ORDER BY id LIMIT 2", &stmt, err);
	if (rc != SG_OK)
		return rc;
	rv_bind_text(stmt, 1, id_or_prefix);
	while (n < 2) {
		const char *text;

		step = sqlite3_step(stmt);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = rv_fail(ledger, err,
				     "cannot look up the exception");
			goto out;
		}
		text = (const char *)sqlite3_column_text(stmt, 0);
		if (text == NULL || strncmp(text, id_or_prefix, len) != 0)
			break;
		found[n] = strdup(text);
		if (found[n] == NULL) {
			rc = rv_nomem(err);
			goto out;
		}
		n++;
	}
	/* The smallest id >= the text is the text itself when it exists. */
	if (n >= 1 && strcmp(found[0], id_or_prefix) == 0) {
		*id = found[0];
		found[0] = NULL;
	} else if (len < SG_REVIEW_PREFIX_MIN) {
		rc = sg_error_set(err, n ? SG_ERR_USAGE : SG_ERR_NOTFOUND,
				  n ? "exception id \"%s\": give the whole id "
				  "or at least %d of its characters" :
				  "no exception \"%s\" in the ledger "
				  "(at least %d characters of an id are "
				  "needed)", id_or_prefix,
				  SG_REVIEW_PREFIX_MIN);
	} else if (n == 0) {
		rc = sg_error_set(err, SG_ERR_NOTFOUND,
				  "no exception \"%s\" in the ledger; see "
				  "`stageguard review list --status all`",
				  id_or_prefix);
	} else if (n == 2) {
		rc = sg_error_set(err, SG_ERR_REFUSED,
				  "exception id prefix \"%s\" is ambiguous "
				  "(%s, %s, ...); give more characters",
				  id_or_prefix, found[0], found[1]);
	} else {
		*id = found[0];
		found[0] = NULL;
	}
out:
	free(found[0]);
	free(found[1]);
	sqlite3_finalize(stmt);
	return rc;
}

/* ---- show ---- */

static void rv_entries_free(struct sg_review_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(e[i].action);
		free(e[i].actor);
		free(e[i].run_id);
		json_decref(e[i].detail);
	}
	free(e);
}

void sg_review_detail_free(struct sg_review_detail *detail)
{
	if (detail == NULL)
		return;
	rv_task_clear(&detail->task);
	json_decref(detail->exception);
	json_decref(detail->related);
	rv_entries_free(detail->history, detail->history_count);
	free(detail);
}

static int rv_show_task(struct sg_ledger *ledger, const char *id,
			sg_time as_of, struct sg_review_detail *d,
			struct sg_error *err)
{
	static const char sql[] =
		"SELECT " RV_TASK_COLUMNS
		" FROM exceptions e LEFT JOIN tasks t"
		" ON t.exception_id = e.id WHERE e.id = ?1";
	sqlite3_stmt *stmt = NULL;
	int rc, step;

	rc = rv_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	rv_bind_text(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_DONE) {
		rc = sg_error_set(err, SG_ERR_NOTFOUND,
				  "no exception \"%s\" in the ledger", id);
	} else if (step != SQLITE_ROW) {
		rc = rv_fail(ledger, err, "cannot read the exception");
	} else if (rv_read_task(stmt, as_of, &d->task) != SG_OK) {
		rc = rv_nomem(err);
	}
	sqlite3_finalize(stmt);
	if (rc == SG_OK)
		rc = rv_exception_json(ledger, d->task.id, &d->exception, err);
	if (rc == SG_OK && d->exception == NULL) {
		d->exception = json_object();
		if (d->exception == NULL)
			rc = rv_nomem(err);
	}
	return rc;
}

/* The stored JSON of the other exceptions raised on the same move. */
static int rv_show_related(struct sg_ledger *ledger,
			   struct sg_review_detail *d, struct sg_error *err)
{
	static const char sql[] =
		"SELECT id FROM exceptions WHERE opportunity_id = ?1"
		" AND event_at = ?2 AND from_stage IS ?3 AND to_stage = ?4"
		" AND id <> ?5 ORDER BY type, id";
	const struct sg_review_task *t = &d->task;
	sqlite3_stmt *stmt = NULL;
	int rc, step;

	d->related = json_array();
	if (d->related == NULL)
		return rv_nomem(err);
	if (t->to_stage == NULL || t->event_at == SG_TIME_NONE)
		return SG_OK;
	rc = rv_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	rv_bind_text(stmt, 1, t->opportunity_id);
	rv_bind_time(stmt, 2, t->event_at);
	rv_bind_text(stmt, 3, t->from_stage);
	rv_bind_text(stmt, 4, t->to_stage);
	rv_bind_text(stmt, 5, t->id);
	for (;;) {
		json_t *obj;

		step = sqlite3_step(stmt);
		if (step != SQLITE_ROW)
			break;
		rc = rv_exception_json(ledger,
				       (const char *)sqlite3_column_text(stmt, 0),
				       &obj, err);
		if (rc == SG_OK && obj != NULL &&
		    json_array_append_new(d->related, obj) != 0)
			rc = rv_nomem(err);
		if (rc != SG_OK)
			break;
	}
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = rv_fail(ledger, err, "cannot read related exceptions");
	sqlite3_finalize(stmt);
	return rc;
}

static int rv_show_history(struct sg_ledger *ledger,
			   struct sg_review_detail *d, struct sg_error *err)
{
	static const char sql[] =
		"SELECT 0, seq, at, action, actor, NULL, detail"
		" FROM task_history WHERE exception_id = ?1"
		" UNION ALL"
		" SELECT 1, seq, at, type, NULL, run_id, detail"
		" FROM events WHERE exception_id = ?1"
		" ORDER BY 3, 1, 2";
	sqlite3_stmt *stmt = NULL;
	size_t capacity = 0;
	int rc, step;

	rc = rv_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	rv_bind_text(stmt, 1, d->task.id);
	for (;;) {
		struct sg_review_entry *e;

		step = sqlite3_step(stmt);
		if (step != SQLITE_ROW)
			break;
		if (d->history_count == capacity) {
			size_t n = capacity ? capacity * 2 : 8;
			struct sg_review_entry *grown;

			grown = realloc(d->history, n * sizeof(*grown));
			if (grown == NULL) {
				rc = rv_nomem(err);
				break;
			}
			d->history = grown;
			capacity = n;
		}
		e = &d->history[d->history_count++];
		memset(e, 0, sizeof(*e));
		e->is_event = sqlite3_column_int(stmt, 0) == 1;
		e->seq = sqlite3_column_int64(stmt, 1);
		e->at = rv_col_time(stmt, 2);
		e->detail = rv_col_json(stmt, 6);
		if (rv_col_text(stmt, 3, &e->action) != SG_OK ||
		    rv_col_text(stmt, 4, &e->actor) != SG_OK ||
		    rv_col_text(stmt, 5, &e->run_id) != SG_OK) {
			rc = rv_nomem(err);
			break;
		}
	}
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = rv_fail(ledger, err, "cannot read the task's history");
	sqlite3_finalize(stmt);
	return rc;
}

int sg_review_show(struct sg_ledger *ledger, const char *id, sg_time as_of,
		   struct sg_review_detail **out, struct sg_error *err)
{
	struct sg_review_detail *d;
	int rc;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return rv_nomem(err);
	/* One read transaction: the three reads see one ledger state. */
	rc = rv_exec(ledger, "BEGIN", "cannot read the ledger", err);
	if (rc == SG_OK)
		rc = rv_show_task(ledger, id, as_of, d, err);
	if (rc == SG_OK)
		rc = rv_show_related(ledger, d, err);
	if (rc == SG_OK)
		rc = rv_show_history(ledger, d, err);
	rv_rollback(ledger);
	if (rc != SG_OK) {
		sg_review_detail_free(d);
		return rc;
	}
	*out = d;
	return SG_OK;
}

/* ---- deciding ---- */

/* What a decision is judged against: the exception and its task. */
struct rv_state {
	int found, has_task, closed;
	sg_time raised, due_at, decided_at;
	char *opportunity_id, *type, *assignee, *disposition, *decided_by;
};

static void rv_state_clear(struct rv_state *s)
{
	free(s->opportunity_id);
	free(s->type);
	free(s->assignee);
	free(s->disposition);
	free(s->decided_by);
	memset(s, 0, sizeof(*s));
}

/* The statements of a decision, prepared once per request. */
struct rv_stmts {
	sqlite3_stmt *state, *close, *reassign, *history, *event;
};

static const char *const rv_stmt_sql[] = {
	"SELECT min(e.detected_at, e.first_seen), e.opportunity_id, e.type,"
	" t.exception_id IS NOT NULL, t.status = 'closed', t.assignee,"
	" t.due_at, t.disposition, t.decided_by, t.decided_at"
	" FROM exceptions e LEFT JOIN tasks t ON t.exception_id = e.id"
	" WHERE e.id = ?1",

	"UPDATE tasks SET status = 'closed', disposition = ?2,"
	" decided_by = ?3, decided_at = ?4, decision_note = ?5"
	" WHERE exception_id = ?1 AND status = 'open'",

	"UPDATE tasks SET assignee = ?2"
	" WHERE exception_id = ?1 AND status = 'open'",

	"INSERT INTO task_history (exception_id, at, action, actor, detail)"
	" VALUES (?1, ?2, ?3, ?4, ?5)",

	"INSERT INTO events (type, at, run_id, exception_id, opportunity_id,"
	" detail) VALUES ('disposition_recorded', ?1, NULL, ?2, ?3, ?4)",
};

static sqlite3_stmt **rv_stmt_slot(struct rv_stmts *st, size_t i)
{
	sqlite3_stmt **slots[] = {
		&st->state, &st->close, &st->reassign, &st->history,
		&st->event,
	};

	return slots[i];
}

#define RV_STMT_COUNT (sizeof(rv_stmt_sql) / sizeof(rv_stmt_sql[0]))

static void rv_stmts_finalize(struct rv_stmts *st)
{
	size_t i;

	for (i = 0; i < RV_STMT_COUNT; i++) {
		sqlite3_finalize(*rv_stmt_slot(st, i));
		*rv_stmt_slot(st, i) = NULL;
	}
}

static int rv_stmts_prepare(struct sg_ledger *ledger, struct rv_stmts *st,
			    struct sg_error *err)
{
	size_t i;
	int rc;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < RV_STMT_COUNT; i++) {
		rc = rv_prepare(ledger, rv_stmt_sql[i], rv_stmt_slot(st, i),
				err);
		if (rc != SG_OK) {
			rv_stmts_finalize(st);
			return rc;
		}
	}
	return SG_OK;
}

static int rv_load_state(struct sg_ledger *ledger, struct rv_stmts *st,
			 const char *id, struct rv_state *s,
			 struct sg_error *err)
{
	sqlite3_stmt *q = st->state;
	int rc = SG_OK, step;

	memset(s, 0, sizeof(*s));
	rv_bind_text(q, 1, id);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		s->found = 1;
		s->raised = rv_col_time(q, 0);
		s->has_task = sqlite3_column_int(q, 3);
		s->closed = sqlite3_column_int(q, 4);
		s->due_at = rv_col_time(q, 6);
		s->decided_at = rv_col_time(q, 9);
		if (rv_col_text(q, 1, &s->opportunity_id) != SG_OK ||
		    rv_col_text(q, 2, &s->type) != SG_OK ||
		    rv_col_text(q, 5, &s->assignee) != SG_OK ||
		    rv_col_text(q, 7, &s->disposition) != SG_OK ||
		    rv_col_text(q, 8, &s->decided_by) != SG_OK)
			rc = rv_nomem(err);
	} else if (step != SQLITE_DONE) {
		rc = rv_fail(ledger, err, "cannot read the review task");
	}
	sqlite3_reset(q);
	if (rc != SG_OK)
		rv_state_clear(s);
	return rc;
}

/*
 * Judges decision d against state s.  Returns SG_OK, or SG_ERR_NOTFOUND /
 * SG_ERR_REFUSED with the reason in why (no position, no prefix).
 */
static int rv_judge(const struct sg_review_decision *d,
		    const struct rv_state *s, char *why, size_t size)
{
	char a[SG_TIME_ISO_SIZE], b[SG_TIME_ISO_SIZE];

	if (!s->found || !s->has_task) {
		snprintf(why, size, "no exception \"%.100s\" %s",
			 d->exception_id, s->found ? "has a review task" :
			 "in the ledger");
		return SG_ERR_NOTFOUND;
	}
	if (d->disposition < 0 || d->disposition >= SG_DISP_COUNT) {
		snprintf(why, size, "unknown disposition: expected approve, "
			 "correct, escalate, reassign, log or block");
		return SG_ERR_REFUSED;
	}
	if (d->by == NULL || d->by[0] == '\0') {
		snprintf(why, size, "who decided is missing (--by, or the "
			 "decided_by column)");
		return SG_ERR_REFUSED;
	}
	if (strlen(d->by) > SG_REVIEW_NAME_MAX) {
		snprintf(why, size, "who decided is longer than %d bytes",
			 SG_REVIEW_NAME_MAX);
		return SG_ERR_REFUSED;
	}
	if (d->note != NULL && strlen(d->note) > SG_REVIEW_NOTE_MAX) {
		snprintf(why, size, "the note is longer than %d bytes",
			 SG_REVIEW_NOTE_MAX);
		return SG_ERR_REFUSED;
	}
	if (s->closed) {
		snprintf(why, size, "the review task of exception %.100s is "
			 "already closed (%s by %.100s at %s); a second "
			 "disposition is refused", d->exception_id,
			 s->disposition ? s->disposition : "?",
			 s->decided_by ? s->decided_by : "?",
			 rv_iso(s->decided_at, a));
		return SG_ERR_REFUSED;
	}
	if (d->at == SG_TIME_NONE || d->at < s->raised) {
		snprintf(why, size, "decision time %s is before exception "
			 "%.100s was raised (%s)", rv_iso(d->at, a),
			 d->exception_id, rv_iso(s->raised, b));
		return SG_ERR_REFUSED;
	}
	if (d->disposition == SG_DISP_REASSIGN) {
		if (d->to == NULL || d->to[0] == '\0') {
			snprintf(why, size, "reassign needs the new assignee "
				 "(--to ASSIGNEE, or the to column)");
			return SG_ERR_REFUSED;
		}
		if (strlen(d->to) > SG_REVIEW_NAME_MAX) {
			snprintf(why, size, "the new assignee is longer than "
				 "%d bytes", SG_REVIEW_NAME_MAX);
			return SG_ERR_REFUSED;
		}
		if (s->assignee != NULL && strcmp(d->to, s->assignee) == 0) {
			snprintf(why, size, "exception %.100s is already "
				 "assigned to %.100s", d->exception_id,
				 s->assignee);
			return SG_ERR_REFUSED;
		}
	}
	return SG_OK;
}

static int rv_step_done(struct sg_ledger *ledger, sqlite3_stmt *stmt,
			const char *what, struct sg_error *err)
{
	int step = sqlite3_step(stmt);
	int changes = sqlite3_changes(sg_ledger_db(ledger));

	sqlite3_reset(stmt);
	if (step != SQLITE_DONE)
		return rv_fail(ledger, err, what);
	if (changes != 1)
		return sg_error_set(err, SG_ERR_INTERNAL, "ledger: %s: no row "
				    "changed", what);
	return SG_OK;
}

/* Dumps obj (consumed) as compact JSON into *text (malloc'd). */
static int rv_dump(json_t *obj, char **text, struct sg_error *err)
{
	*text = obj ? json_dumps(obj, RV_JSON_FLAGS) : NULL;
	json_decref(obj);
	return *text ? SG_OK : rv_nomem(err);
}

static json_t *rv_str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

/* Records decision d (already judged against s). */
static int rv_apply(struct sg_ledger *ledger, struct rv_stmts *st,
		    const struct sg_review_decision *d,
		    const struct rv_state *s, struct sg_error *err)
{
	char raised[SG_TIME_ISO_SIZE], at[SG_TIME_ISO_SIZE];
	char due[SG_TIME_ISO_SIZE], recorded[SG_TIME_ISO_SIZE];
	const char *disp = sg_disposition_name(d->disposition);
	const char *note = d->note && d->note[0] ? d->note : NULL;
	int reassign = d->disposition == SG_DISP_REASSIGN;
	char *history = NULL, *event = NULL;
	long long hundredths;
	json_t *obj;
	int rc;

	/* Hours from raised to decision, rounded half up to 0.01. */
	hundredths = ((long long)(d->at - s->raised) * 100 + 1800) / 3600;
	if (reassign)
		obj = json_pack("{s:s, s:s, s:o}", "from",
				s->assignee ? s->assignee : "", "to", d->to,
				"note", rv_str_or_null(note));
	else
		obj = json_pack("{s:s, s:o}", "disposition", disp, "note",
				rv_str_or_null(note));
	rc = rv_dump(obj, &history, err);
	if (rc != SG_OK)
		goto out;
	obj = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:f, s:b,"
			" s:o}",
			"exception_type", s->type ? s->type : "",
			"disposition", disp, "by", d->by,
			"note", rv_str_or_null(note),
			"raised_at", sg_time_format_iso(s->raised, raised),
			"decided_at", sg_time_format_iso(d->at, at),
			"due_at", rv_iso(s->due_at, due),
			"hours", (double)hundredths / 100.0,
			"overdue", s->due_at != SG_TIME_NONE &&
				   d->at > s->due_at,
			"assignee", rv_str_or_null(s->assignee));
	if (obj != NULL && reassign &&
	    json_object_set_new(obj, "to", json_string(d->to)) != 0) {
		json_decref(obj);
		obj = NULL;
	}
	if (obj != NULL &&
	    (json_object_set_new(obj, "source",
				 rv_str_or_null(d->source)) != 0 ||
	     json_object_set_new(obj, "recorded_at",
				 d->recorded_at == SG_TIME_NONE ? json_null() :
				 json_string(sg_time_format_iso(
					 d->recorded_at, recorded))) != 0)) {
		json_decref(obj);
		obj = NULL;
	}
	rc = rv_dump(obj, &event, err);
	if (rc != SG_OK)
		goto out;

	if (reassign) {
		rv_bind_text(st->reassign, 1, d->exception_id);
		rv_bind_text(st->reassign, 2, d->to);
		rc = rv_step_done(ledger, st->reassign,
				  "cannot reassign the review task", err);
	} else {
		rv_bind_text(st->close, 1, d->exception_id);
		rv_bind_text(st->close, 2, disp);
		rv_bind_text(st->close, 3, d->by);
		rv_bind_time(st->close, 4, d->at);
		rv_bind_text(st->close, 5, note);
		rc = rv_step_done(ledger, st->close,
				  "cannot close the review task", err);
	}
	if (rc != SG_OK)
		goto out;
	rv_bind_text(st->history, 1, d->exception_id);
	rv_bind_time(st->history, 2, d->at);
	rv_bind_text(st->history, 3, reassign ? "reassigned" : "decided");
	rv_bind_text(st->history, 4, d->by);
	rv_bind_text(st->history, 5, history);
	rc = rv_step_done(ledger, st->history,
			  "cannot record the task's history", err);
	if (rc != SG_OK)
		goto out;
	rv_bind_time(st->event, 1, d->at);
	rv_bind_text(st->event, 2, d->exception_id);
	rv_bind_text(st->event, 3, s->opportunity_id);
	rv_bind_text(st->event, 4, event);
	rc = rv_step_done(ledger, st->event,
			  "cannot record the disposition event", err);
out:
	free(history);
	free(event);
	return rc;
}

int sg_review_decide(struct sg_ledger *ledger,
		     const struct sg_review_decision *decision,
		     struct sg_error *err)
{
	struct rv_stmts st;
	struct rv_state s;
	char why[SG_ERROR_MESSAGE_MAX];
	int rc;

	memset(&s, 0, sizeof(s));
	rc = rv_stmts_prepare(ledger, &st, err);
	if (rc != SG_OK)
		return rc;
	rc = rv_exec(ledger, "BEGIN IMMEDIATE",
		     "cannot start recording the decision", err);
	if (rc == SG_OK)
		rc = rv_load_state(ledger, &st, decision->exception_id, &s,
				   err);
	if (rc == SG_OK) {
		rc = rv_judge(decision, &s, why, sizeof(why));
		if (rc != SG_OK)
			sg_error_set(err, rc, "%s", why);
	}
	if (rc == SG_OK)
		rc = rv_apply(ledger, &st, decision, &s, err);
	if (rc == SG_OK)
		rc = rv_exec(ledger, "COMMIT", "cannot commit the decision",
			     err);
	if (rc != SG_OK)
		rv_rollback(ledger);
	rv_state_clear(&s);
	rv_stmts_finalize(&st);
	return rc;
}

/* ---- import ---- */

enum rv_column {
	RV_COL_ID = 0,
	RV_COL_DISPOSITION,
	RV_COL_BY,
	RV_COL_AT,
	RV_COL_NOTE,
	RV_COL_TO,
	RV_COL_COUNT
};

static const char *const rv_column_names[RV_COL_COUNT] = {
	"exception_id", "disposition", "decided_by", "decided_at", "note",
	"to",
};

/* Columns 0 .. RV_COL_REQUIRED - 1 must be present. */
#define RV_COL_REQUIRED 4

/* One row of an import file. */
struct rv_row {
	long line;
	char *field[RV_COL_COUNT]; /* trimmed copies; NULL: no column */
	struct sg_review_decision d;
	char *problem;          /* NULL: good so far */
};

void sg_review_problems_release(struct sg_review_problems *problems)
{
	size_t i;

	if (problems == NULL)
		return;
	for (i = 0; i < problems->count; i++)
		free(problems->lines[i]);
	free(problems->lines);
	problems->lines = NULL;
	problems->count = 0;
}

/* A copy of text without leading and trailing blanks; NULL on memory. */
static char *rv_trimmed(const char *text)
{
	size_t len;

	while (*text == ' ' || *text == '\t' || *text == '\r' ||
	       *text == '\n')
		text++;
	len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
			   text[len - 1] == '\r' || text[len - 1] == '\n'))
		len--;
	return strndup(text, len);
}

/* Sets the row's problem (the first one found wins). */
static int rv_problem(struct rv_row *row, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int rv_problem(struct rv_row *row, const char *fmt, ...)
{
	char buf[SG_ERROR_MESSAGE_MAX];
	va_list ap;

	if (row->problem != NULL)
		return SG_OK;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	row->problem = strdup(buf);
	return row->problem ? SG_OK : SG_ERR_NOMEM;
}

/* Maps header fields to columns; col[c] is the field index or -1. */
static int rv_read_header(const char *path, const struct sg_csv_record *rec,
			  int col[RV_COL_COUNT], struct sg_error *err)
{
	size_t i;
	int c;

	for (c = 0; c < RV_COL_COUNT; c++)
		col[c] = -1;
	for (i = 0; i < rec->count; i++) {
		char *name = rv_trimmed(rec->fields[i]);

		if (name == NULL)
			return rv_nomem(err);
		for (c = 0; c < RV_COL_COUNT; c++)
			if (strcasecmp(name, rv_column_names[c]) == 0)
				break;
		if (c == RV_COL_COUNT || col[c] >= 0) {
			int rc = sg_error_set_at(
				err, SG_ERR_PARSE, path, rec->line,
				(int)i + 1, "%s column \"%.100s\"; the "
				"columns are exception_id, disposition, "
				"decided_by, decided_at, and optionally "
				"note and to", c == RV_COL_COUNT ? "unknown" :
				"repeated", name);

			free(name);
			return rc;
		}
		free(name);
		col[c] = (int)i;
	}
	for (c = 0; c < RV_COL_REQUIRED; c++)
		if (col[c] < 0)
			return sg_error_set_at(err, SG_ERR_PARSE, path,
					       rec->line, 0, "the header "
					       "lacks the %s column "
					       "(required: exception_id, "
					       "disposition, "
					       "decided_by, decided_at)",
					       rv_column_names[c]);
	return SG_OK;
}

/* Copies and checks the fields of one record into row. */
static int rv_read_row(const struct sg_csv_record *rec,
		       const int col[RV_COL_COUNT], size_t header_count,
		       sg_time recorded_at, struct rv_row *row)
{
	struct sg_review_decision *d = &row->d;
	struct sg_error terr;
	int c;

	memset(row, 0, sizeof(*row));
	row->line = rec->line;
	d->at = SG_TIME_NONE;
	d->disposition = -1;
	d->source = "import";
	d->recorded_at = recorded_at;
	for (c = 0; c < RV_COL_COUNT; c++) {
		if (col[c] < 0 || (size_t)col[c] >= rec->count)
			continue;
		row->field[c] = rv_trimmed(rec->fields[col[c]]);
		if (row->field[c] == NULL)
			return SG_ERR_NOMEM;
	}
	if (rec->count != header_count)
		return rv_problem(row, "%zu fields, the header has %zu",
				  rec->count, header_count);
	d->exception_id = row->field[RV_COL_ID];
	d->by = row->field[RV_COL_BY];
	d->note = row->field[RV_COL_NOTE];
	d->to = row->field[RV_COL_TO];
	if (d->exception_id[0] == '\0')
		return rv_problem(row, "exception_id is empty");
	d->disposition =
		sg_disposition_from_name(row->field[RV_COL_DISPOSITION]);
	if (d->disposition < 0)
		return rv_problem(row, "unknown disposition \"%.100s\": "
				  "expected approve, correct, escalate, "
				  "reassign, log or block",
				  row->field[RV_COL_DISPOSITION]);
	if (d->by[0] == '\0')
		return rv_problem(row, "decided_by is empty");
	if (row->field[RV_COL_AT][0] == '\0')
		return rv_problem(row, "decided_at is empty");
	sg_error_clear(&terr);
	if (sg_time_parse_iso(&d->at, row->field[RV_COL_AT],
			      strlen(row->field[RV_COL_AT]), 0, 0,
			      &terr) != SG_OK) {
		d->at = SG_TIME_NONE;
		return rv_problem(row, "decided_at: %s", terr.message);
	}
	return SG_OK;
}

static void rv_rows_free(struct rv_row *rows, size_t n)
{
	size_t i;
	int c;

	for (i = 0; i < n; i++) {
		for (c = 0; c < RV_COL_COUNT; c++)
			free(rows[i].field[c]);
		free(rows[i].problem);
	}
	free(rows);
}

/* Reads every record of the file into *rows (header checked). */
static int rv_read_file(const char *path, sg_time recorded_at,
			struct rv_row **rows, size_t *count,
			struct sg_error *err)
{
	struct sg_csv *csv = NULL;
	struct sg_csv_record rec;
	size_t capacity = 0, header_count = 0;
	int col[RV_COL_COUNT];
	int rc, got;

	*rows = NULL;
	*count = 0;
	rc = sg_csv_open(&csv, path, err);
	if (rc != SG_OK)
		return rc;
	got = sg_csv_next(csv, &rec, err);
	if (got < 0) {
		rc = got;
		goto out;
	}
	if (got == 0) {
		rc = sg_error_set_at(err, SG_ERR_PARSE, path, 0, 0,
				     "empty file: expected a header row "
				     "exception_id,disposition,decided_by,"
				     "decided_at,note");
		goto out;
	}
	rc = rv_read_header(path, &rec, col, err);
	if (rc != SG_OK)
		goto out;
	header_count = rec.count;
	for (;;) {
		got = sg_csv_next(csv, &rec, err);
		if (got != 1)
			break;
		if (*count == capacity) {
			size_t n = capacity ? capacity * 2 : 64;
			struct rv_row *grown;

			if (*count >= SG_REVIEW_IMPORT_ROWS_MAX) {
				rc = sg_error_set_at(
					err, SG_ERR_PARSE, path, rec.line, 0,
					"more than %d rows; split the file",
					SG_REVIEW_IMPORT_ROWS_MAX);
				goto out;
			}
			grown = realloc(*rows, n * sizeof(*grown));
			if (grown == NULL) {
				rc = rv_nomem(err);
				goto out;
			}
			*rows = grown;
			capacity = n;
		}
		rc = rv_read_row(&rec, col, header_count, recorded_at,
				 &(*rows)[*count]);
		(*count)++;
		if (rc != SG_OK) {
			rc = rv_nomem(err);
			goto out;
		}
	}
	if (got < 0)
		rc = got;
out:
	sg_csv_free(csv);
	if (rc != SG_OK) {
		rv_rows_free(*rows, *count);
		*rows = NULL;
		*count = 0;
	}
	return rc;
}

/* Sorting rows by exception id, then line, to find repeated ids. */
static int rv_compare_rows(const void *a, const void *b)
{
	const struct rv_row *x = *(const struct rv_row *const *)a;
	const struct rv_row *y = *(const struct rv_row *const *)b;
	int c = strcmp(x->d.exception_id, y->d.exception_id);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Marks every row whose exception id an earlier row already names. */
static int rv_mark_repeats(struct rv_row *rows, size_t count,
			   struct sg_error *err)
{
	struct rv_row **order;
	size_t i, n = 0;
	int rc = SG_OK;

	order = malloc((count ? count : 1) * sizeof(*order));
	if (order == NULL)
		return rv_nomem(err);
	for (i = 0; i < count; i++)
		if (rows[i].d.exception_id != NULL &&
		    rows[i].d.exception_id[0] != '\0')
			order[n++] = &rows[i];
	qsort(order, n, sizeof(*order), rv_compare_rows);
	for (i = 1; i < n && rc == SG_OK; i++) {
		size_t first = i;

		while (first > 0 &&
		       strcmp(order[first - 1]->d.exception_id,
			      order[i]->d.exception_id) == 0)
			first--;
		if (first == i)
			continue;
		/* A repeat replaces any other reason: it is the one to fix. */
		free(order[i]->problem);
		order[i]->problem = NULL;
		if (rv_problem(order[i], "exception %.100s is already on line "
			       "%ld; one disposition per exception",
			       order[i]->d.exception_id,
			       order[first]->line) != SG_OK)
			rc = rv_nomem(err);
	}
	free(order);
	return rc;
}

static int rv_collect_problems(const char *path, struct rv_row *rows,
			       size_t count,
			       struct sg_review_problems *problems,
			       struct sg_error *err)
{
	size_t i, n = 0;

	for (i = 0; i < count; i++)
		n += rows[i].problem != NULL;
	if (n == 0)
		return SG_OK;
	problems->lines = calloc(n, sizeof(*problems->lines));
	if (problems->lines == NULL)
		return rv_nomem(err);
	for (i = 0; i < count; i++) {
		int len;
		char *line;

		if (rows[i].problem == NULL)
			continue;
		len = snprintf(NULL, 0, "%s:%ld: %s", path, rows[i].line,
			       rows[i].problem);
		line = len < 0 ? NULL : malloc((size_t)len + 1);
		if (line == NULL)
			return rv_nomem(err);
		snprintf(line, (size_t)len + 1, "%s:%ld: %s", path,
			 rows[i].line, rows[i].problem);
		problems->lines[problems->count++] = line;
	}
	return SG_OK;
}

int sg_review_import(struct sg_ledger *ledger, const char *path,
		     sg_time recorded_at, size_t *recorded,
		     struct sg_review_problems *problems,
		     struct sg_error *err)
{
	struct rv_row *rows = NULL;
	struct rv_stmts st;
	struct rv_state *states = NULL;
	char why[SG_ERROR_MESSAGE_MAX];
	size_t count = 0, i;
	int rc;

	*recorded = 0;
	problems->lines = NULL;
	problems->count = 0;
	memset(&st, 0, sizeof(st));
	rc = rv_read_file(path, recorded_at, &rows, &count, err);
	if (rc != SG_OK)
		return rc;
	rc = rv_mark_repeats(rows, count, err);
	if (rc != SG_OK)
		goto out;
	states = calloc(count ? count : 1, sizeof(*states));
	if (states == NULL) {
		rc = rv_nomem(err);
		goto out;
	}
	rc = rv_stmts_prepare(ledger, &st, err);
	if (rc != SG_OK)
		goto out;
	/* Validation and writes in one write transaction: nothing can
	 * change between judging a row and recording it. */
	rc = rv_exec(ledger, "BEGIN IMMEDIATE",
		     "cannot start the import", err);
	if (rc != SG_OK)
		goto out;
	for (i = 0; i < count; i++) {
		struct rv_row *row = &rows[i];

		if (row->problem != NULL)
			continue;
		rc = rv_load_state(ledger, &st, row->d.exception_id,
				   &states[i], err);
		if (rc != SG_OK)
			goto out;
		if (rv_judge(&row->d, &states[i], why, sizeof(why)) !=
		    SG_OK && rv_problem(row, "%s", why) != SG_OK) {
			rc = rv_nomem(err);
			goto out;
		}
	}
	rc = rv_collect_problems(path, rows, count, problems, err);
	if (rc != SG_OK)
		goto out;
	if (problems->count > 0) {
		rc = sg_error_set_at(err, SG_ERR_REFUSED, path, 0, 0,
				     "%zu of %zu rows are bad; nothing was "
				     "recorded", problems->count, count);
		goto out;
	}
	for (i = 0; i < count; i++) {
		rc = rv_apply(ledger, &st, &rows[i].d, &states[i], err);
		if (rc != SG_OK) {
			sg_error_prefix(err, "%s:%ld: ", path, rows[i].line);
			goto out;
		}
	}
	rc = rv_exec(ledger, "COMMIT", "cannot commit the import", err);
	if (rc == SG_OK)
		*recorded = count;
out:
	if (rc != SG_OK)
		rv_rollback(ledger);
	rv_stmts_finalize(&st);
	if (states != NULL)
		for (i = 0; i < count; i++)
			rv_state_clear(&states[i]);
	free(states);
	rv_rows_free(rows, count);
	return rc;
}

/* ---- events ---- */

/* The names the envelope of an exported event takes. */
static const char *const rv_envelope[] = {
	"seq", "type", "at", "run_id", "exception_id", "opportunity_id",
};

static int rv_is_envelope(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(rv_envelope) / sizeof(rv_envelope[0]); i++)
		if (strcmp(key, rv_envelope[i]) == 0)
			return 1;
	return 0;
}

static json_t *rv_col_string_or_null(sqlite3_stmt *stmt, int i)
{
	const char *text;

	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return json_null();
	text = (const char *)sqlite3_column_text(stmt, i);
	return text ? json_string(text) : NULL;
}

/* Builds the exported object of the current events row. */
static json_t *rv_event_json(sqlite3_stmt *stmt)
{
	char at[SG_TIME_ISO_SIZE];
	json_t *obj, *detail;
	int bad = 0;

	obj = json_object();
	if (obj == NULL)
		return NULL;
	bad |= json_object_set_new(obj, "seq", json_integer(
				   sqlite3_column_int64(stmt, 0)));
	bad |= json_object_set_new(obj, "type",
				   rv_col_string_or_null(stmt, 1));
	bad |= json_object_set_new(obj, "at", json_string(
				   sg_time_format_iso(
					   sqlite3_column_int64(stmt, 2),
					   at)));
	bad |= json_object_set_new(obj, "run_id",
				   rv_col_string_or_null(stmt, 3));
	bad |= json_object_set_new(obj, "exception_id",
				   rv_col_string_or_null(stmt, 4));
	bad |= json_object_set_new(obj, "opportunity_id",
				   rv_col_string_or_null(stmt, 5));
	detail = rv_col_json(stmt, 6);
	if (json_is_object(detail)) {
		const char *key;
		json_t *value;

		json_object_foreach(detail, key, value) {
			char name[300];

			if (!rv_is_envelope(key))
				snprintf(name, sizeof(name), "%s", key);
			else if (strcmp(key, "type") == 0)
				snprintf(name, sizeof(name),
					 "exception_type");
			else
				snprintf(name, sizeof(name), "detail_%.250s",
					 key);
			bad |= json_object_set(obj, name, value);
		}
	} else if (detail != NULL) {
		bad |= json_object_set(obj, "detail", detail);
	}
	json_decref(detail);
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

int sg_review_events(struct sg_ledger *ledger, sg_time since,
		     const char *type, sg_event_fn fn, void *arg,
		     struct sg_error *err)
{
	static const char sql[] =
		"SELECT seq, type, at, run_id, exception_id, opportunity_id,"
		" detail FROM events WHERE (?1 IS NULL OR at >= ?1)"
		" AND (?2 IS NULL OR type = ?2) ORDER BY seq";
	sqlite3_stmt *stmt = NULL;
	int rc, step;

	rc = rv_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	rv_bind_time(stmt, 1, since);
	rv_bind_text(stmt, 2, type);
	for (;;) {
		json_t *obj;

		step = sqlite3_step(stmt);
		if (step != SQLITE_ROW)
			break;
		obj = rv_event_json(stmt);
		if (obj == NULL) {
			rc = rv_nomem(err);
			break;
		}
		rc = fn(arg, obj, err);
		json_decref(obj);
		if (rc != SG_OK)
			break;
	}
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = rv_fail(ledger, err, "cannot read the events");
	sqlite3_finalize(stmt);
	return rc;
}

/* ---- stage_corrected ---- */

struct rv_opp_key {
	const char *id;
	uint32_t index;
};

static int rv_compare_keys(const void *a, const void *b)
{
	const struct rv_opp_key *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* Opportunities sorted by id, for lookups by the ledger's ids. */
static int rv_opp_keys(const struct sg_model *model,
		       const struct sg_model_view *view,
		       struct rv_opp_key **keys, struct sg_error *err)
{
	size_t i;

	*keys = malloc((view->opp_count ? view->opp_count : 1) *
		       sizeof(**keys));
	if (*keys == NULL)
		return rv_nomem(err);
	for (i = 0; i < view->opp_count; i++) {
		(*keys)[i].id = sg_model_str(model, view->opps[i].id);
		(*keys)[i].index = (uint32_t)i;
	}
	qsort(*keys, view->opp_count, sizeof(**keys), rv_compare_keys);
	return SG_OK;
}

/* The first event of opp that reverts a move to from_stage at event_at
 * (DESIGN §10 rule 40), or NULL. */
static const struct sg_stage_event *
rv_find_revert(const struct sg_model *model, const struct sg_model_view *v,
	       const struct sg_opportunity *opp, const char *from_stage,
	       sg_time event_at, sg_time as_of)
{
	uint32_t i;

	for (i = 0; i < opp->event_count; i++) {
		const struct sg_stage_event *ev =
			&v->events[opp->event_first + i];

		if (ev->changed_at <= event_at)
			continue;
		if (ev->changed_at > event_at + SG_REVIEW_CORRECTION_WINDOW ||
		    ev->changed_at > as_of)
			break;
		if (strcmp(sg_model_str(model, ev->to_stage), from_stage) ==
		    0)
			return ev;
	}
	return NULL;
}

static int rv_insert_corrected(struct sg_ledger *ledger, sqlite3_stmt *ins,
			       const struct sg_model *model,
			       sqlite3_stmt *row,
			       const struct sg_stage_event *ev,
			       sg_time as_of, struct sg_error *err)
{
	char event_at[SG_TIME_ISO_SIZE], reverted[SG_TIME_ISO_SIZE];
	char seen[SG_TIME_ISO_SIZE];
	sg_time moved = sqlite3_column_int64(row, 5);
	long long tenths = ((long long)(ev->changed_at - moved) * 10 +
			    43200) / 86400;
	const char *by = sg_model_str(model, ev->changed_by);
	char *detail = NULL;
	json_t *obj;
	int rc;

	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:f, s:s}",
			"exception_type",
			(const char *)sqlite3_column_text(row, 2),
			"from_stage",
			(const char *)sqlite3_column_text(row, 3),
			"to_stage",
			(const char *)sqlite3_column_text(row, 4),
			"event_at", sg_time_format_iso(moved, event_at),
			"reverted_at",
			sg_time_format_iso(ev->changed_at, reverted),
			"reverted_by", rv_str_or_null(by),
			"days", (double)tenths / 10.0,
			"seen_at", sg_time_format_iso(as_of, seen));
	rc = rv_dump(obj, &detail, err);
	if (rc != SG_OK)
		return rc;
	rv_bind_time(ins, 1, ev->changed_at);
	rv_bind_time(ins, 2, as_of);
	sqlite3_bind_value(ins, 3, sqlite3_column_value(row, 0));
	sqlite3_bind_value(ins, 4, sqlite3_column_value(row, 1));
	rv_bind_text(ins, 5, detail);
	rc = rv_step_done(ledger, ins, "cannot record a stage_corrected event",
			  err);
	free(detail);
	return rc;
}

int sg_review_note_corrections(struct sg_ledger *ledger,
			       const struct sg_model *model, sg_time as_of,
			       size_t *found, struct sg_error *err)
{
	static const char select_sql[] =
		"SELECT e.id, e.opportunity_id, e.type, e.from_stage,"
		" e.to_stage, e.event_at FROM exceptions e"
		" WHERE e.type IN " RV_FLAGGED_TYPES
		" AND e.from_stage IS NOT NULL AND e.to_stage IS NOT NULL"
		" AND e.event_at IS NOT NULL AND e.event_at < ?1"
		" AND NOT EXISTS (SELECT 1 FROM events v"
		"  WHERE v.type = 'stage_corrected'"
		"  AND v.exception_id = e.id)"
		" ORDER BY e.opportunity_id, e.event_at, e.id";
	static const char insert_sql[] =
		"INSERT INTO events (type, at, run_id, exception_id,"
		" opportunity_id, detail) VALUES ('stage_corrected', ?1,"
		" (SELECT id FROM runs WHERE as_of = ?2"
		"  ORDER BY seq DESC LIMIT 1), ?3, ?4, ?5)";
	sqlite3 *db = sg_ledger_db(ledger);
	sqlite3_stmt *sel = NULL, *ins = NULL;
	struct rv_opp_key *keys = NULL;
	struct sg_model_view view;
	int own = sqlite3_get_autocommit(db);
	size_t n = 0;
	int rc, step;

	if (found != NULL)
		*found = 0;
	sg_model_view(model, &view);
	rc = rv_opp_keys(model, &view, &keys, err);
	if (rc != SG_OK)
		return rc;
	if (own) {
		rc = rv_exec(ledger, "BEGIN IMMEDIATE",
			     "cannot start noting corrections", err);
		if (rc != SG_OK)
			goto out;
	}
	rc = rv_prepare(ledger, select_sql, &sel, err);
	if (rc == SG_OK)
		rc = rv_prepare(ledger, insert_sql, &ins, err);
	if (rc != SG_OK)
		goto out;
	rv_bind_time(sel, 1, as_of);
	for (;;) {
		struct rv_opp_key key, *hit;
		const struct sg_stage_event *ev;
		const char *from;

		step = sqlite3_step(sel);
		if (step != SQLITE_ROW)
			break;
		key.id = (const char *)sqlite3_column_text(sel, 1);
		from = (const char *)sqlite3_column_text(sel, 3);
		if (key.id == NULL || from == NULL)
			continue;
		hit = bsearch(&key, keys, view.opp_count, sizeof(*keys),
			      rv_compare_keys);
		if (hit == NULL)
			continue;
		ev = rv_find_revert(model, &view, &view.opps[hit->index],
				    from, sqlite3_column_int64(sel, 5),
				    as_of);
		if (ev == NULL)
			continue;
		rc = rv_insert_corrected(ledger, ins, model, sel, ev, as_of,
					 err);
		if (rc != SG_OK)
			goto out;
		n++;
	}
	if (step != SQLITE_DONE) {
		rc = rv_fail(ledger, err, "cannot read the flagged moves");
		goto out;
	}
	sqlite3_finalize(sel);
	sel = NULL;
	if (own)
		rc = rv_exec(ledger, "COMMIT", "cannot commit the corrections",
			     err);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	if (rc != SG_OK && own)
		rv_rollback(ledger);
	free(keys);
	if (rc == SG_OK && found != NULL)
		*found = n;
	return rc;
}
