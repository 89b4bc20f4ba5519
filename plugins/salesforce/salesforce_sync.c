/*
 * salesforce_sync.c - the incremental pull (docs/connectors/salesforce.md,
 * "Incremental sync").
 *
 * The state (host->state_get "sync") keeps the time the last complete
 * pull began, by the org's clock (the Date of its answers) less a
 * margin, and the id of the snapshot it wrote.  The next pull asks which
 * opportunities changed since (SystemModstamp >= the cursor, not
 * limited to the filter, so one that left the pipeline is seen), which
 * had a Task, Event, EmailMessage or evidence record change, and which
 * were deleted (queryAll); every opportunity concerned is read again
 * whole, 200 at a time (its record, both histories, activities and
 * evidence: IN lists of its ids), and the others are replayed from the
 * snapshot, so every opportunity of the pipeline is still emitted.
 *
 * A full pull instead when there is no state, the snapshot is not the one
 * the state names, the settings changed, the last full pull is older
 * than a week (deleted activities are only seen by a full pull), or a
 * quarter of the opportunities changed (reading them by id costs more).
 */
#include "salesforce_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SALESFORCE_SYNC_KEY "sync"
/* Changes may be committed a little after their SystemModstamp, and a
 * clock may be off: the next pull looks this far back. */
#define SALESFORCE_SYNC_MARGIN (5 * 60)
#define SALESFORCE_CHUNK 200            /* ids in one IN list */
#define SALESFORCE_FULL_EVERY (7 * 86400)

enum salesforce_sync_step {
	SYNC_OPPORTUNITIES = 0, SYNC_TASKS, SYNC_EVENTS, SYNC_EMAILS,
	SYNC_EVIDENCE, SYNC_DELETED, SYNC_READ
};

struct salesforce_sync {
	int step;
	sg_time since;          /* the last pull's cursor */
	long long last_count;   /* opportunities the last pull emitted */
	long long full_at;      /* when the last full pull was */
	char *old_dir;          /* the last snapshot, replayed */
	json_t *refresh;        /* set: opportunities read again */
	json_t *order;          /* refresh as an array */
	size_t chunk;           /* the first id of the chunk being read */
	char *scope;            /* "('id1', 'id2')": the chunk's ids */
	const char *link;       /* the id field of the discovery query */
	unsigned changed[3];    /* opportunities, related, deleted */
	struct sg_replay *replay;
};

void salesforce_sync_free(struct salesforce_sync *y)
{
	if (y == NULL)
		return;
	json_decref(y->refresh);
	json_decref(y->order);
	free(y->scope);
	free(y->old_dir);
	sg_replay_free(y->replay);
	free(y);
}

static int salesforce_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* --- Planning. --- */

static int salesforce_full(struct salesforce_state *s, const char *why)
{
	s->host->log(s->host->ctx, SG_LOG_INFO, "a full pull: %s", why);
	return SG_OK;
}

static const char *salesforce_state_text(json_t *st, const char *key)
{
	const char *v = json_string_value(json_object_get(st, key));

	return v != NULL ? v : "";
}

int salesforce_sync_plan(struct salesforce_state *s, const char *dir,
			 const char *settings, struct sg_error *err)
{
	const char *text = s->host->state_get(s->host->ctx,
					      SALESFORCE_SYNC_KEY);
	json_t *st = text != NULL ? json_loads(text, 0, NULL) : NULL;
	struct salesforce_sync *y;
	char *id = dir != NULL ? sg_snapshot_id(dir) : NULL;
	int rc = SG_OK;

	if (dir == NULL)
		rc = salesforce_full(s, "no snapshot_dir to merge changes "
				     "into");
	else if (st == NULL)
		rc = salesforce_full(s, "no earlier pull recorded");
	else if (id == NULL ||
		 strcmp(id, salesforce_state_text(st, "snapshot")) != 0)
		rc = salesforce_full(s, "the snapshot is not the one the last "
				     "recorded pull wrote");
	else if (strcmp(settings, salesforce_state_text(st, "settings")) != 0)
		rc = salesforce_full(s, "the settings that shape the records "
				     "changed");
	else if ((long long)time(NULL) - json_integer_value(json_object_get(
			 st, "full_at")) >= SALESFORCE_FULL_EVERY)
		rc = salesforce_full(s, "the last full pull is a week old");
	else if ((y = calloc(1, sizeof(*y))) == NULL ||
		 (y->refresh = json_object()) == NULL ||
		 (y->old_dir = strdup(dir)) == NULL) {
		salesforce_sync_free(y);
		rc = salesforce_nomem(err);
	} else {
		y->since = (sg_time)json_integer_value(json_object_get(
			st, "cursor"));
		y->last_count = json_integer_value(json_object_get(
			st, "opportunities"));
		y->full_at = json_integer_value(json_object_get(st,
								"full_at"));
		s->sync = y;
	}
	free(id);
	json_decref(st);
	return rc;
}

int salesforce_sync_commit(struct salesforce_state *s, const char *settings,
			   struct sg_error *err)
{
	const char *pull_id = sg_snapshot_pull_id(s->snapshot);
	char *text;
	json_t *st;
	int rc;

	if (pull_id == NULL)
		return SG_OK;
	st = json_pack("{s:I, s:s, s:s, s:I, s:I}", "cursor",
		       (json_int_t)(s->pull_started - SALESFORCE_SYNC_MARGIN),
		       "snapshot", pull_id, "settings", settings,
		       "opportunities",
		       (json_int_t)json_object_size(s->opportunities),
		       "full_at", (json_int_t)(s->sync != NULL ?
					       s->sync->full_at :
					       (long long)time(NULL)));
	text = st != NULL ? json_dumps(st, JSON_COMPACT) : NULL;
	json_decref(st);
	if (text == NULL)
		return salesforce_nomem(err);
	rc = s->host->state_put(s->host->ctx, SALESFORCE_SYNC_KEY, text, err);
	free(text);
	return rc;
}

/* --- What changed. --- */

static int salesforce_mark(struct salesforce_state *s, json_t *records,
			   struct sg_error *err)
{
	json_t *r;
	size_t i;

	json_array_foreach(records, i, r) {
		const char *id = json_string_value(json_object_get(
			r, s->sync->link));

		if (id == NULL || id[0] == '\0')
			continue;
		if (json_object_set_new(s->sync->refresh, id, json_true()))
			return salesforce_nomem(err);
		s->sync->changed[s->sync->step == SYNC_OPPORTUNITIES ? 0 :
				 s->sync->step == SYNC_DELETED ? 2 : 1]++;
	}
	return SG_OK;
}

/* The SOQL of a discovery step: the ids changed since the cursor. */
static char *salesforce_changed_query(struct salesforce_state *s, int step)
{
	char since[SG_TIME_ISO_SIZE], *q = NULL;
	const char *object, *link;

	sg_time_format_iso(s->sync->since, since);
	switch (step) {
	case SYNC_OPPORTUNITIES:
	case SYNC_DELETED:
		object = "Opportunity";
		link = "Id";
		break;
	case SYNC_TASKS:
		object = "Task";
		link = "WhatId";
		break;
	case SYNC_EVENTS:
		object = "Event";
		link = "WhatId";
		break;
	case SYNC_EMAILS:
		object = "EmailMessage";
		link = "RelatedToId";
		break;
	default:
		object = json_string_value(json_object_get(s->evidence_object,
							   "object"));
		link = json_string_value(json_object_get(s->evidence_object,
							 "opportunity"));
	}
	s->sync->link = link;
	if (salesforce_append(&q, "SELECT Id, ") != 0 ||
	    (strcmp(link, "Id") != 0 && salesforce_append(&q, link) != 0) ||
	    (strcmp(link, "Id") == 0 && salesforce_append(&q,
							  "SystemModstamp"))
	    || salesforce_append(&q, " FROM ") != 0 ||
	    salesforce_append(&q, object) != 0 ||
	    salesforce_append(&q, " WHERE SystemModstamp >= ") != 0 ||
	    salesforce_append(&q, since) != 0 ||
	    (step == SYNC_DELETED &&
	     salesforce_append(&q, " AND IsDeleted = true") != 0) ||
	    salesforce_append(&q, " ORDER BY Id") != 0) {
		free(q);
		return NULL;
	}
	return q;
}

/* One page of the discovery step under way: 1 more, 0 at its end; 2
 * when the first page shows a full pull costs less. */
static int salesforce_sync_discover(struct salesforce_state *s,
				    struct salesforce_sync *y,
				    struct sg_error *err)
{
	char *q;
	int rc;

	if (y->step == SYNC_EVIDENCE && s->evidence_object == NULL)
		return 0;
	q = salesforce_changed_query(s, y->step);
	if (q == NULL)
		return salesforce_nomem(err);
	rc = salesforce_query_page(s, q, y->step == SYNC_DELETED,
				   y->step == SYNC_DELETED ?
				   "deleted opportunities" :
				   "changed records", salesforce_mark, err);
	free(q);
	/* A few changes are cheap whatever the size of the org. */
	if (rc >= 0 && y->step == SYNC_OPPORTUNITIES && s->page == 1 &&
	    s->query_total > SALESFORCE_CHUNK &&
	    s->query_total * 4 >= y->last_count) {
		s->host->log(s->host->ctx, SG_LOG_INFO, "a full pull: %lld "
			     "opportunities changed of %lld", s->query_total,
			     y->last_count);
		return 2;
	}
	return rc;
}

/* The next chunk of ids as an IN list; 0 when none is left. */
static int salesforce_next_chunk(struct salesforce_sync *y,
				 struct sg_error *err)
{
	size_t i, end = y->chunk + SALESFORCE_CHUNK;

	free(y->scope);
	y->scope = NULL;
	if (y->chunk >= json_array_size(y->order))
		return 0;
	if (salesforce_append(&y->scope, "(") != 0)
		return salesforce_nomem(err);
	for (i = y->chunk; i < end && i < json_array_size(y->order); i++)
		if ((i > y->chunk && salesforce_append(&y->scope, ", ") != 0) ||
		    salesforce_soql_quote(&y->scope, json_string_value(
			    json_array_get(y->order, i))) != 0)
			return salesforce_nomem(err);
	if (salesforce_append(&y->scope, ")") != 0)
		return salesforce_nomem(err);
	y->chunk = i;
	return 1;
}

/*
 * One step of finding what changed: 1 while more follows; 0 when the
 * opportunities to read again are known and the first chunk is set (the
 * pull goes on with the usual queries, scoped); 2 for a full pull.
 */
int salesforce_sync_step(struct salesforce_state *s, struct sg_error *err)
{
	struct salesforce_sync *y = s->sync;
	const char *id;
	json_t *v;
	int rc = salesforce_sync_discover(s, y, err);

	if (rc < 0 || rc == 2)
		return rc;
	if (rc == 1)
		return 1;
	s->page = 0;
	json_object_clear(s->seen_locators);
	if (++y->step < SYNC_READ)
		return 1;
	y->order = json_array();
	if (y->order == NULL)
		return salesforce_nomem(err);
	json_object_foreach(y->refresh, id, v)
		if (json_array_append_new(y->order, json_string(id)) != 0)
			return salesforce_nomem(err);
	y->chunk = 0;
	rc = salesforce_next_chunk(y, err);
	return rc < 0 ? rc : rc == 1 ? 0 : 3;
}

/* The chunk's queries are done: the next chunk (1), or none left (0). */
int salesforce_sync_next(struct salesforce_state *s, struct sg_error *err)
{
	return salesforce_next_chunk(s->sync, err);
}

/* The field of each query that names its opportunity. */
static const char *salesforce_scope_field(const struct salesforce_state *s)
{
	switch (s->phase) {
	case SF_OPPORTUNITIES:
		return "Id";
	case SF_HISTORY:
	case SF_FIELD_HISTORY:
		return "OpportunityId";
	case SF_TASKS:
	case SF_EVENTS:
		return "WhatId";
	case SF_EMAILS:
		return "RelatedToId";
	default:
		return json_string_value(json_object_get(s->evidence_object,
							 "opportunity"));
	}
}

char *salesforce_scoped(struct salesforce_state *s, const char *q)
{
	char *condition = NULL, *out;

	if (s->sync->scope == NULL ||
	    salesforce_append(&condition, salesforce_scope_field(s)) != 0 ||
	    salesforce_append(&condition, " IN ") != 0 ||
	    salesforce_append(&condition, s->sync->scope) != 0) {
		free(condition);
		return NULL;
	}
	out = salesforce_soql_and(q, condition);
	free(condition);
	return out;
}

/* --- The other opportunities, from the last snapshot. --- */

static int salesforce_kept(void *arg, const char *id, int is_opportunity)
{
	struct salesforce_state *s = arg;

	if (json_object_get(s->sync->refresh, id) != NULL)
		return 0;
	return !is_opportunity || json_object_set_new(
		s->opportunities, id, json_true()) == 0 ? 1 : -1;
}

int salesforce_sync_replay(struct salesforce_state *s, struct sg_error *err)
{
	struct salesforce_sync *y = s->sync;
	int rc = SG_OK;

	if (y->replay == NULL)
		rc = sg_replay_open(&y->replay, y->old_dir, s->host,
				    s->snapshot, salesforce_kept, s, err);
	if (rc == SG_OK)
		rc = sg_replay_step(y->replay, err);
	if (rc < 0)
		return sg_error_prefix(err, "the last snapshot (delete it for "
				       "a full pull): ");
	if (rc == 0)
		s->host->log(s->host->ctx, SG_LOG_INFO, "an incremental pull: "
			     "changed since the last: %u opportunities, %u "
			     "related records, %u deleted; %zu read again, "
			     "%llu records kept from the snapshot",
			     y->changed[0], y->changed[1], y->changed[2],
			     json_object_size(y->refresh),
			     sg_replay_count(y->replay));
	return rc;
}
