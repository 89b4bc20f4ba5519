/*
 * review_queue.c - the review queue read: tasks listed by a filter, an id
 * resolved from a prefix, one task shown with its exception, the other
 * exceptions of its move and its history.
 */
#include "review_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading tasks ---- */

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


#define RV_TASK_COLUMNS \
	"e.id, e.type, e.verdict, e.opportunity_id, e.owner_id," \
	" e.from_stage, e.to_stage, e.stage, e.note, e.event_at," \
	" e.detected_at, e.first_seen," \
	" coalesce((SELECT last_seen FROM sightings" \
	"  WHERE exception_id = e.id), e.first_seen)," \
	" coalesce(e.reviewer, e.assignee), e.detected_at, e.due_at," \
	" e.status, e.disposition, e.decided_by, e.decision_note," \
	" e.decided_at, e.opportunity_name, e.detail"

/* The number of columns RV_TASK_COLUMNS selects. */
#define RV_TASK_NCOLS 23

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
	free(t->details);
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
	t->event_at = ledger_col_time(stmt, 9);
	t->detected_at = ledger_col_time(stmt, 10);
	t->first_seen = ledger_col_time(stmt, 11);
	t->last_seen = ledger_col_time(stmt, 12);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 13, &t->assignee);
	t->created_at = ledger_col_time(stmt, 14);
	t->due_at = ledger_col_time(stmt, 15);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 16, &status);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 17, &t->disposition);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 18, &t->decided_by);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 19, &t->decision_note);
	t->decided_at = ledger_col_time(stmt, 20);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 21, &t->opportunity_name);
	if (rc == SG_OK)
		rc = rv_col_text(stmt, 22, &t->details);
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
		" FROM exceptions e"
		" WHERE (?1 = 2 OR e.status = 'open')"
		" AND (?1 <> 1 OR e.due_at < ?2)"
		" AND (?3 IS NULL OR coalesce(e.reviewer, e.assignee) = ?3)"
		" AND (?4 IS NULL OR e.type = ?4)"
		" AND (?5 IS NULL OR e.verdict = ?5)"
		" AND (?6 IS NULL OR NOT EXISTS (SELECT 1 FROM task_refs r"
		"  WHERE r.sink = ?6 AND r.exception_id = e.id"
		"  AND r.ref <> ''))"
		" ORDER BY e.due_at, e.id";
	sqlite3_stmt *stmt = NULL;
	size_t capacity = 0;
	int rc, step;

	out->items = NULL;
	out->count = 0;
	rc = ledger_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	sqlite3_bind_int(stmt, 1, filter->status);
	ledger_bind_time(stmt, 2, filter->as_of);
	ledger_bind_text(stmt, 3, filter->assignee);
	ledger_bind_text(stmt, 4, filter->type);
	ledger_bind_text(stmt, 5, filter->verdict);
	ledger_bind_text(stmt, 6, filter->without_ref_of);
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
		rc = ledger_fail(ledger, err, "cannot list the review tasks");
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
	rc = ledger_prepare(ledger, "SELECT id FROM exceptions WHERE id >= ?1"
			" ORDER BY id LIMIT 2", &stmt, err);
	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, id_or_prefix);
	while (n < 2) {
		const char *text;

		step = sqlite3_step(stmt);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = ledger_fail(ledger, err,
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
		" FROM exceptions e WHERE e.id = ?1";
	sqlite3_stmt *stmt = NULL;
	int rc, step;

	rc = ledger_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_DONE) {
		rc = sg_error_set(err, SG_ERR_NOTFOUND,
				  "no exception \"%s\" in the ledger", id);
	} else if (step != SQLITE_ROW) {
		rc = ledger_fail(ledger, err, "cannot read the exception");
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
	rc = ledger_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, t->opportunity_id);
	ledger_bind_time(stmt, 2, t->event_at);
	ledger_bind_text(stmt, 3, t->from_stage);
	ledger_bind_text(stmt, 4, t->to_stage);
	ledger_bind_text(stmt, 5, t->id);
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
		rc = ledger_fail(ledger, err, "cannot read related exceptions");
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
		" SELECT 1, ev.seq, ev.at, ev.type, NULL, ev.run_id, "
		LEDGER_EVENT_DETAIL
		" FROM event_rows ev" LEDGER_EVENT_JOIN
		" WHERE ev.exception_id = ?1"
		" UNION ALL"
		" SELECT 1, e.raised_seq, e.detected_at, 'exception_raised',"
		" NULL, e.first_run, " LEDGER_RAISED_DETAIL
		" FROM exceptions e WHERE e.id = ?1 AND e.raised_seq IS NOT NULL"
		" ORDER BY 3, 1, 2";
	sqlite3_stmt *stmt = NULL;
	size_t capacity = 0;
	int rc, step;

	rc = ledger_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, d->task.id);
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
		e->at = ledger_col_time(stmt, 2);
		e->detail = rv_col_json(stmt, 6);
		if (rv_col_text(stmt, 3, &e->action) != SG_OK ||
		    rv_col_text(stmt, 4, &e->actor) != SG_OK ||
		    rv_col_text(stmt, 5, &e->run_id) != SG_OK) {
			rc = rv_nomem(err);
			break;
		}
	}
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = ledger_fail(ledger, err, "cannot read the task's history");
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
	rc = ledger_exec(ledger, "BEGIN", "cannot read the ledger", err);
	if (rc == SG_OK)
		rc = rv_show_task(ledger, id, as_of, d, err);
	if (rc == SG_OK)
		rc = rv_show_related(ledger, d, err);
	if (rc == SG_OK)
		rc = rv_show_history(ledger, d, err);
	ledger_rollback(ledger);
	if (rc != SG_OK) {
		sg_review_detail_free(d);
		return rc;
	}
	*out = d;
	return SG_OK;
}
