/*
 * review_events.c - the measurement event export, and the stage_corrected
 * events of flagged moves that a later stage event reverted.
 */
#include "review_internal.h"

#include "sg_exception.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static json_t *rv_string_or_null(const char *text)
{
	return text != NULL ? json_string(text) : json_null();
}

/* Builds the exported object of one event. */
static json_t *rv_event_json(const struct sg_event_record *ev)
{
	char at[SG_TIME_ISO_SIZE];
	json_t *obj, *detail;
	int bad = 0;

	obj = json_object();
	if (obj == NULL)
		return NULL;
	bad |= json_object_set_new(obj, "seq", json_integer(ev->seq));
	bad |= json_object_set_new(obj, "type", rv_string_or_null(ev->type));
	bad |= json_object_set_new(obj, "at", json_string(
				   sg_time_format_iso(ev->at, at)));
	bad |= json_object_set_new(obj, "run_id",
				   rv_string_or_null(ev->run_id));
	bad |= json_object_set_new(obj, "exception_id",
				   rv_string_or_null(ev->exception_id));
	bad |= json_object_set_new(obj, "opportunity_id",
				   rv_string_or_null(ev->opportunity_id));
	detail = ev->detail != NULL ?
		 json_loads(ev->detail, JSON_DECODE_ANY, NULL) : NULL;
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

struct rv_events {
	sg_event_fn fn;
	void *arg;
};

static int rv_event(void *arg, const struct sg_event_record *ev,
		    struct sg_error *err)
{
	const struct rv_events *x = arg;
	json_t *obj = rv_event_json(ev);
	int rc;

	if (obj == NULL)
		return rv_nomem(err);
	rc = x->fn(x->arg, obj, err);
	json_decref(obj);
	return rc;
}

int sg_review_events(struct sg_ledger *ledger, sg_time since,
		     const char *type, sg_event_fn fn, void *arg,
		     struct sg_error *err)
{
	struct rv_events x = { fn, arg };

	return sg_ledger_each_event(ledger, since, type, rv_event, &x, err);
}

/* ---- events as JSON text ---- */

/* The earliest and latest times SQLite's strftime() writes as
 * LEDGER_RAISED_DETAIL's due_at does (years 0000 to 9999). */
#define RV_TIME_MIN (-62167219200LL)
#define RV_TIME_MAX 253402300799LL

/*
 * Writes an exception_raised event read from its exception straight from
 * its fields: the bytes json_dumps() gives for rv_event_json()'s object
 * (its members in that order, jansson's escaping).  0 when written; 1
 * when the event must take the jansson path (a text jansson would
 * refuse, a due_at SQLite would not format), t then unchanged; -1 out of
 * memory.
 */
static int rv_raised_line(struct sg_text *t, const struct sg_event_record *ev)
{
	char seq[48], at[SG_TIME_ISO_SIZE], due[SG_TIME_ISO_SIZE];
	const struct {
		const char *key, *value;
	} members[] = {
		{ ",\"type\":", ev->type },
		{ ",\"at\":", sg_time_format_iso(ev->at, at) },
		{ ",\"run_id\":", ev->run_id },
		{ ",\"exception_id\":", ev->exception_id },
		{ ",\"opportunity_id\":", ev->opportunity_id },
		{ ",\"exception_type\":", ev->exception_type },
		{ ",\"verdict\":", ev->verdict },
		{ ",\"assignee\":", ev->assignee },
		{ ",\"due_at\":", sg_time_format_iso(ev->due_at, due) },
	};
	size_t start = t->len, i;
	int rc;

	if (ev->due_at == SG_TIME_NONE || ev->due_at < RV_TIME_MIN ||
	    ev->due_at > RV_TIME_MAX)
		return 1;
	snprintf(seq, sizeof(seq), "{\"seq\":%lld", ev->seq);
	rc = sg_text_append(t, seq, strlen(seq));
	for (i = 0; rc == SG_OK && i < sizeof(members) / sizeof(members[0]);
	     i++) {
		rc = sg_text_append(t, members[i].key, strlen(members[i].key));
		if (rc == SG_OK)
			rc = sg_text_append_json_string(t, members[i].value);
	}
	if (rc == SG_OK)
		rc = sg_text_append(t, "}", 1);
	if (rc == SG_OK)
		return 0;
	t->len = start;
	if (t->s != NULL)
		t->s[start] = '\0';
	return rc == SG_ERR_NOMEM ? -1 : 1;
}

/* Any event through its jansson object; -1 out of memory. */
static int rv_object_line(struct sg_text *t, const struct sg_event_record *ev)
{
	json_t *obj = rv_event_json(ev);
	char *text;
	int rc;

	if (obj == NULL)
		return -1;
	text = json_dumps(obj, RV_JSON_FLAGS);
	json_decref(obj);
	if (text == NULL)
		return -1;
	rc = sg_text_append(t, text, strlen(text)) == SG_OK ? 0 : -1;
	free(text);
	return rc;
}

struct rv_lines {
	sg_event_line_fn fn;
	void *arg;
	struct sg_text text;
};

static int rv_line(void *arg, const struct sg_event_record *ev,
		   struct sg_error *err)
{
	struct rv_lines *x = arg;
	int r = 1;

	x->text.len = 0;
	if (ev->raised)
		r = rv_raised_line(&x->text, ev);
	if (r == 1)
		r = rv_object_line(&x->text, ev);
	if (r != 0)
		return rv_nomem(err);
	return x->fn(x->arg, x->text.s, x->text.len, err);
}

int sg_review_event_lines(struct sg_ledger *ledger, sg_time since,
			  const char *type, sg_event_line_fn fn, void *arg,
			  struct sg_error *err)
{
	struct rv_lines x = { fn, arg, { NULL, 0, 0 } };
	int rc;

	rc = sg_ledger_each_event(ledger, since, type, rv_line, &x, err);
	sg_text_release(&x.text);
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
	ledger_bind_time(ins, 1, ev->changed_at);
	ledger_bind_time(ins, 2, as_of);
	sqlite3_bind_value(ins, 3, sqlite3_column_value(row, 0));
	sqlite3_bind_value(ins, 4, sqlite3_column_value(row, 1));
	ledger_bind_text(ins, 5, detail);
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
		" AND NOT EXISTS (SELECT 1 FROM event_rows v"
		"  WHERE v.exception_id = e.id AND v.type = 'stage_corrected')"
		" ORDER BY e.opportunity_id, e.event_at, e.id";
	static const char insert_sql[] =
		"INSERT INTO event_rows (type, at, run_id, exception_id,"
		" opportunity_id, detail) VALUES ('stage_corrected', ?1,"
		" (SELECT id FROM runs WHERE as_of = ?2"
		"  ORDER BY seq DESC LIMIT 1), ?3, ?4, ?5)";
	sqlite3 *db = ledger->db;
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
		rc = ledger_exec(ledger, "BEGIN IMMEDIATE",
			     "cannot start noting corrections", err);
		if (rc != SG_OK)
			goto out;
	}
	rc = ledger_prepare(ledger, select_sql, &sel, err);
	if (rc == SG_OK)
		rc = ledger_prepare(ledger, insert_sql, &ins, err);
	if (rc != SG_OK)
		goto out;
	ledger_bind_time(sel, 1, as_of);
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
		rc = ledger_fail(ledger, err, "cannot read the flagged moves");
		goto out;
	}
	sqlite3_finalize(sel);
	sel = NULL;
	if (own)
		rc = ledger_exec(ledger, "COMMIT", "cannot commit the corrections",
			     err);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	if (rc != SG_OK && own)
		ledger_rollback(ledger);
	free(keys);
	if (rc == SG_OK && found != NULL)
		*found = n;
	return rc;
}
