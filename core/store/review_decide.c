/*
 * review_decide.c - one decision on one review task, judged against the
 * task as it stands and recorded in one transaction.
 */
#include "review_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_utf8.h"

/* ---- deciding ---- */

void rv_state_clear(struct rv_state *s)
{
	free(s->opportunity_id);
	free(s->type);
	free(s->assignee);
	free(s->disposition);
	free(s->decided_by);
	memset(s, 0, sizeof(*s));
}

static const char *const rv_stmt_sql[] = {
	"SELECT min(e.detected_at, e.first_seen), e.opportunity_id, e.type,"
	" 1, e.status = 'closed', coalesce(e.reviewer, e.assignee),"
	" e.due_at, e.disposition, e.decided_by, e.decided_at"
	" FROM exceptions e WHERE e.id = ?1",

	"UPDATE exceptions SET status = 'closed', disposition = ?2,"
	" decided_by = ?3, decided_at = ?4, decision_note = ?5"
	" WHERE id = ?1 AND status = 'open'",

	/* The review task goes to the new assignee; the exception keeps
	 * whom it was routed to. */
	"UPDATE exceptions SET reviewer = ?2"
	" WHERE id = ?1 AND status = 'open'",

	"INSERT INTO task_history (exception_id, at, action, actor, detail)"
	" VALUES (?1, ?2, ?3, ?4, ?5)",

	"INSERT INTO event_rows (type, at, run_id, exception_id, opportunity_id,"
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

void rv_stmts_finalize(struct rv_stmts *st)
{
	size_t i;

	for (i = 0; i < RV_STMT_COUNT; i++) {
		sqlite3_finalize(*rv_stmt_slot(st, i));
		*rv_stmt_slot(st, i) = NULL;
	}
}

int rv_stmts_prepare(struct sg_ledger *ledger, struct rv_stmts *st,
		     struct sg_error *err)
{
	size_t i;
	int rc;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < RV_STMT_COUNT; i++) {
		rc = ledger_prepare(ledger, rv_stmt_sql[i], rv_stmt_slot(st, i),
				err);
		if (rc != SG_OK) {
			rv_stmts_finalize(st);
			return rc;
		}
	}
	return SG_OK;
}

int rv_load_state(struct sg_ledger *ledger, struct rv_stmts *st,
		  const char *id, struct rv_state *s,
		  struct sg_error *err)
{
	sqlite3_stmt *q = st->state;
	int rc = SG_OK, step;

	memset(s, 0, sizeof(*s));
	ledger_bind_text(q, 1, id);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		s->found = 1;
		s->raised = ledger_col_time(q, 0);
		s->has_task = sqlite3_column_int(q, 3);
		s->closed = sqlite3_column_int(q, 4);
		s->due_at = ledger_col_time(q, 6);
		s->decided_at = ledger_col_time(q, 9);
		if (rv_col_text(q, 1, &s->opportunity_id) != SG_OK ||
		    rv_col_text(q, 2, &s->type) != SG_OK ||
		    rv_col_text(q, 5, &s->assignee) != SG_OK ||
		    rv_col_text(q, 7, &s->disposition) != SG_OK ||
		    rv_col_text(q, 8, &s->decided_by) != SG_OK)
			rc = rv_nomem(err);
	} else if (step != SQLITE_DONE) {
		rc = ledger_fail(ledger, err, "cannot read the review task");
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
int rv_judge(const struct sg_review_decision *d,
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

int rv_step_done(struct sg_ledger *ledger, sqlite3_stmt *stmt,
		 const char *what, struct sg_error *err)
{
	int step = sqlite3_step(stmt);
	int changes = sqlite3_changes(ledger->db);

	sqlite3_reset(stmt);
	if (step != SQLITE_DONE)
		return ledger_fail(ledger, err, what);
	if (changes != 1)
		return sg_error_set(err, SG_ERR_INTERNAL, "ledger: %s: no row "
				    "changed", what);
	return SG_OK;
}

/* Dumps obj (consumed) as compact JSON into *text (malloc'd). */
int rv_dump(json_t *obj, char **text, struct sg_error *err)
{
	*text = obj ? json_dumps(obj, RV_JSON_FLAGS) : NULL;
	json_decref(obj);
	return *text ? SG_OK : rv_nomem(err);
}

json_t *rv_str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

/* Records decision d (already judged against s). */
int rv_apply(struct sg_ledger *ledger, struct rv_stmts *st,
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
		ledger_bind_text(st->reassign, 1, d->exception_id);
		ledger_bind_text(st->reassign, 2, d->to);
		rc = rv_step_done(ledger, st->reassign,
				  "cannot reassign the review task", err);
	} else {
		ledger_bind_text(st->close, 1, d->exception_id);
		ledger_bind_text(st->close, 2, disp);
		ledger_bind_text(st->close, 3, d->by);
		ledger_bind_time(st->close, 4, d->at);
		ledger_bind_text(st->close, 5, note);
		rc = rv_step_done(ledger, st->close,
				  "cannot close the review task", err);
	}
	if (rc != SG_OK)
		goto out;
	ledger_bind_text(st->history, 1, d->exception_id);
	ledger_bind_time(st->history, 2, d->at);
	ledger_bind_text(st->history, 3, reassign ? "reassigned" : "decided");
	ledger_bind_text(st->history, 4, d->by);
	ledger_bind_text(st->history, 5, history);
	rc = rv_step_done(ledger, st->history,
			  "cannot record the task's history", err);
	if (rc != SG_OK)
		goto out;
	ledger_bind_time(st->event, 1, d->at);
	ledger_bind_text(st->event, 2, d->exception_id);
	ledger_bind_text(st->event, 3, s->opportunity_id);
	ledger_bind_text(st->event, 4, event);
	rc = rv_step_done(ledger, st->event,
			  "cannot record the disposition event", err);
out:
	free(history);
	free(event);
	return rc;
}

/* A text of a decision is UTF-8, or the ledger, the reports and the
 * bundle would each fail on it later. */
static int rv_check_text(const char *what, const char *text,
			 struct sg_error *err)
{
	size_t n = text != NULL ? strlen(text) : 0;
	size_t ok = sg_utf8_valid_prefix(text, n);

	if (ok == n)
		return SG_OK;
	return sg_error_set(err, SG_ERR_PARSE, "the %s is not UTF-8 text (the "
			    "byte 0x%02X after %zu bytes): give it in UTF-8; "
			    "nothing was recorded", what,
			    (unsigned char)text[ok], ok);
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
	if (rv_check_text("note", decision->note, err) != SG_OK ||
	    rv_check_text("decider (--by)", decision->by, err) != SG_OK ||
	    rv_check_text("assignee (--to)", decision->to, err) != SG_OK)
		return err->code;
	rc = rv_stmts_prepare(ledger, &st, err);
	if (rc != SG_OK)
		return rc;
	rc = ledger_exec(ledger, "BEGIN IMMEDIATE",
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
		rc = ledger_exec(ledger, "COMMIT", "cannot commit the decision",
			     err);
	if (rc != SG_OK)
		ledger_rollback(ledger);
	rv_state_clear(&s);
	rv_stmts_finalize(&st);
	return rc;
}
