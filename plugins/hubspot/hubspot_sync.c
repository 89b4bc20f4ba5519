/*
 * hubspot_sync.c - the incremental pull (docs/connectors/hubspot.md,
 * "Incremental sync").
 *
 * The state (host->state_get "sync") keeps the time the last complete
 * pull started, by the portal's clock less a margin, and the id of the
 * snapshot it wrote.  The next pull searches for the deals, engagements
 * and evidence records modified since; every deal one of them belongs to
 * is read again whole (properties, histories, activities, evidence: a
 * deal is the unit), archived deals are dropped, and the other deals are
 * replayed from the snapshot, so every deal of the pipeline is still
 * emitted: the core judges the whole pipeline.
 *
 * A full pull instead when there is no state, the snapshot is not the one
 * the state names, the settings that shape the records changed, the last
 * full pull is older than full_sync_days (deletions of engagements and
 * changed associations are only seen by a full pull), or so many deals
 * changed that reading them one by one would cost more.
 */
#include "hubspot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_canonical.h"
#include "sg_path.h"

#define HUBSPOT_SYNC_KEY "sync"
/* Changes become searchable a few seconds late, and a clock may be off:
 * the next search starts this long before the pull did. */
#define HUBSPOT_SYNC_MARGIN_MS (5LL * 60 * 1000)
#define HUBSPOT_BATCH_HISTORY 50        /* batch read with history */
#define HUBSPOT_BATCH_READ 100          /* batch read without */
#define HUBSPOT_BATCH_LINKS 1000        /* v4 association batch read */

enum hubspot_sync_step {
	SYNC_DEALS = 0, SYNC_EVIDENCE, SYNC_ACTIVITIES, SYNC_ARCHIVED,
	SYNC_READ_DEALS, SYNC_READ_LINKS, SYNC_REPLAY, SYNC_DONE
};

struct hubspot_sync {
	int step;
	long long since_ms;     /* the last pull's cursor */
	long long last_deals;   /* deals the last pull emitted */
	long long full_at;      /* when the last full pull was, epoch s */
	char *old_dir;          /* the last snapshot, replayed */
	struct hubspot_search search;
	json_t *properties;     /* what the search asks for (a subject) */
	size_t kind;            /* the engagement kind being read */
	json_t *refresh;        /* set of deal ids read again */
	json_t *gone;           /* set of deal ids archived or deleted */
	json_t *order;          /* refresh as an array, in batches */
	size_t next;            /* the next index into order */
	struct sg_replay *replay; /* the deals kept */
	unsigned changed[3];    /* deals, evidence, engagements changed */
};

void hubspot_sync_free(struct hubspot_sync *y)
{
	if (y == NULL)
		return;
	hubspot_search_release(&y->search);
	json_decref(y->properties);
	sg_replay_free(y->replay);
	json_decref(y->refresh);
	json_decref(y->gone);
	json_decref(y->order);
	free(y->old_dir);
	free(y);
}

static int hubspot_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* --- Planning: incremental or full. --- */

static int hubspot_full(struct hubspot_state *s, const char *why)
{
	s->host->log(s->host->ctx, SG_LOG_INFO, "a full pull: %s", why);
	return SG_OK;
}

int hubspot_sync_plan(struct hubspot_state *s, struct sg_error *err)
{
	const char *text = s->host->state_get(s->host->ctx, HUBSPOT_SYNC_KEY);
	json_t *st = text != NULL ? json_loads(text, 0, NULL) : NULL;
	char settings[32], *dir = hubspot_snapshot_path(s), *id = NULL;
	struct hubspot_sync *y;
	long long now = (long long)time(NULL);
	int rc = SG_OK;

	hubspot_settings_id(s, settings, sizeof(settings));
	if (dir == NULL)
		rc = hubspot_full(s, "no snapshot_dir to merge changes into");
	else if (st == NULL)
		rc = hubspot_full(s, "no earlier pull recorded");
	else if ((id = sg_snapshot_id(dir)) == NULL ||
		 strcmp(id, json_string_value(json_object_get(st,
							      "snapshot")) ?
			json_string_value(json_object_get(st, "snapshot")) :
			"") != 0)
		rc = hubspot_full(s, "the snapshot is not the one the last "
				  "recorded pull wrote");
	else if (strcmp(settings, json_string_value(json_object_get(
			st, "settings")) ? json_string_value(json_object_get(
			st, "settings")) : "") != 0)
		rc = hubspot_full(s, "the settings that shape the records "
				  "changed");
	else if (now - json_integer_value(json_object_get(st, "full_at")) >=
		 s->config->full_sync_days * 86400)
		rc = hubspot_full(s, "the last full pull is older than "
				  "full_sync_days");
	else {
		y = calloc(1, sizeof(*y));
		if (y == NULL || (y->refresh = json_object()) == NULL ||
		    (y->gone = json_object()) == NULL) {
			hubspot_sync_free(y);
			rc = hubspot_nomem(err);
		} else {
			y->since_ms = json_integer_value(json_object_get(
				st, "cursor_ms"));
			y->last_deals = json_integer_value(json_object_get(
				st, "deals"));
			y->full_at = json_integer_value(json_object_get(
				st, "full_at"));
			y->old_dir = dir;
			dir = NULL;
			hubspot_search_init(&y->search, "deals", "deals",
					    y->since_ms);
			s->sync = y;
		}
	}
	free(id);
	free(dir);
	json_decref(st);
	return rc;
}

int hubspot_sync_commit(struct hubspot_state *s, struct sg_error *err)
{
	const char *pull_id = sg_snapshot_pull_id(s->snapshot);
	char settings[32], *text;
	json_t *st;
	int rc;

	if (pull_id == NULL)
		return SG_OK;
	hubspot_settings_id(s, settings, sizeof(settings));
	st = json_pack("{s:I, s:s, s:s, s:I, s:I}", "cursor_ms",
		       (json_int_t)s->pull_started * 1000 -
		       HUBSPOT_SYNC_MARGIN_MS, "snapshot", pull_id,
		       "settings", settings, "deals",
		       (json_int_t)json_object_size(s->deals), "full_at",
		       (json_int_t)(s->sync != NULL ? s->sync->full_at :
				    (long long)time(NULL)));
	text = st != NULL ? json_dumps(st, JSON_COMPACT) : NULL;
	json_decref(st);
	if (text == NULL)
		return hubspot_nomem(err);
	rc = s->host->state_put(s->host->ctx, HUBSPOT_SYNC_KEY, text, err);
	free(text);
	return rc;
}

/* --- Finding what changed. --- */

static int hubspot_mark(json_t *set, const char *id, struct sg_error *err)
{
	return json_object_set_new(set, id, json_true()) == 0 ? SG_OK :
		hubspot_nomem(err);
}

/* Too many changes: reading them by id would cost more than reading
 * the pipeline, 50 deals a page. */
static int hubspot_too_many(const struct hubspot_sync *y)
{
	return y->search.total > 0 && y->search.total * 3 >=
	       y->last_deals * 2;
}

static int hubspot_sync_deals(struct hubspot_state *s,
			      struct hubspot_sync *y, struct sg_error *err)
{
	json_t *results, *r;
	size_t i;
	int rc = hubspot_search_page(s, &y->search, &results, err);

	if (rc < 0)
		return rc;
	if (y->search.page == 1 && hubspot_too_many(y)) {
		json_decref(results);
		s->host->log(s->host->ctx, SG_LOG_INFO, "a full pull: %lld "
			     "deals changed of %lld", y->search.total,
			     y->last_deals);
		return 2;
	}
	json_array_foreach(results, i, r)
		if (hubspot_mark(y->refresh, json_string_value(json_object_get(
			r, "id")), err) != SG_OK) {
			rc = err->code;
			break;
		}
	y->changed[0] += (unsigned)json_array_size(results);
	json_decref(results);
	return rc;
}

/* The deals records changed elsewhere belong to are read again. */
static int hubspot_refresh_linked(struct hubspot_state *s,
				  struct hubspot_sync *y, const char *object,
				  size_t kind, json_t *results,
				  unsigned *count, struct sg_error *err)
{
	json_t *ids = json_array(), *links = NULL, *list, *d, *r;
	const char *from;
	size_t i;
	int rc = SG_OK;

	if (ids == NULL)
		return hubspot_nomem(err);
	/* The sink's own review tasks change no deal. */
	json_array_foreach(results, i, r)
		if (kind >= hubspot_kind_count() ||
		    !hubspot_is_own_task(kind, r))
			json_array_append(ids, json_object_get(r, "id"));
	*count += (unsigned)json_array_size(ids);
	if (json_array_size(ids) > 0)
		rc = hubspot_associations(s, object, "deals", ids, object,
					  &links, err);
	json_object_foreach(links, from, list)
		json_array_foreach(list, i, d)
			if (rc == SG_OK)
				rc = hubspot_mark(y->refresh,
						  json_string_value(d), err);
	json_decref(links);
	json_decref(ids);
	return rc;
}

/* One page of a search of changed records of object (an engagement
 * kind, or past them the evidence object); *done at its end. */
static int hubspot_sync_linked(struct hubspot_state *s,
			       struct hubspot_sync *y, const char *object,
			       size_t kind, unsigned *count, int *done,
			       struct sg_error *err)
{
	json_t *results;
	int rc;

	if (y->search.object == NULL || strcmp(y->search.object, object) != 0) {
		hubspot_search_release(&y->search);
		hubspot_search_init(&y->search, object, object, y->since_ms);
		json_decref(y->properties);
		y->properties = json_array();
		if (kind < hubspot_kind_count() &&
		    hubspot_kind_subject(kind) != NULL)
			json_array_append_new(y->properties, json_string(
				hubspot_kind_subject(kind)));
		y->search.properties = y->properties;
	}
	rc = hubspot_search_page(s, &y->search, &results, err);
	if (rc < 0)
		return rc;
	*done = rc == 0;
	rc = hubspot_refresh_linked(s, y, object, kind, results, count, err);
	json_decref(results);
	if (*done)
		y->search.object = NULL;
	return rc;
}

static int hubspot_gone_page(struct hubspot_state *s, json_t *results,
			     struct sg_error *err)
{
	json_t *r;
	size_t i;

	json_array_foreach(results, i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));

		if (id != NULL && hubspot_mark(s->sync->gone, id, err) != SG_OK)
			return err->code;
	}
	return SG_OK;
}

/* Archived deals are in no search: they are listed apart. */
static int hubspot_sync_archived(struct hubspot_state *s,
				 struct sg_error *err)
{
	const char *params[] = { "limit", "100", "archived", "true",
				 "properties", "hs_object_id" };

	return hubspot_list_page(s, "/crm/v3/objects/deals", params, 6,
				 "archived deals", hubspot_gone_page, err);
}

/* The deals to read again, in batches, the archived left out. */
static int hubspot_sync_order(struct hubspot_sync *y, struct sg_error *err)
{
	const char *id;
	json_t *v;

	y->order = json_array();
	if (y->order == NULL)
		return hubspot_nomem(err);
	json_object_foreach(y->refresh, id, v)
		if (json_object_get(y->gone, id) == NULL &&
		    json_array_append_new(y->order, json_string(id)) != 0)
			return hubspot_nomem(err);
	/* A deleted one is noted as gone when a batch read misses it. */
	json_object_update(y->refresh, y->gone);
	y->next = 0;
	return SG_OK;
}

/* --- Reading the changed deals again. --- */

static json_t *hubspot_slice(json_t *a, size_t from, size_t n)
{
	json_t *out = json_array();
	size_t i;

	for (i = from; out != NULL && i < from + n && i < json_array_size(a);
	     i++)
		json_array_append(out, json_array_get(a, i));
	return out;
}

static int hubspot_sync_read_deals(struct hubspot_state *s,
				   struct hubspot_sync *y,
				   struct sg_error *err)
{
	json_t *ids = hubspot_slice(y->order, y->next, HUBSPOT_BATCH_HISTORY);
	json_t *results = NULL;
	int rc;

	if (ids == NULL)
		return hubspot_nomem(err);
	y->next += json_array_size(ids);
	rc = json_array_size(ids) == 0 ? SG_OK :
		hubspot_batch_read(s, "deals", ids, s->properties_query,
				   s->history_query, "deals changed",
				   &results, y->gone, err);
	if (rc == SG_OK)
		rc = hubspot_emit_deals(s, results, err);
	json_decref(results);
	json_decref(ids);
	return rc;
}

/* The deals read again that are the pilot's, in batches of links. */
static int hubspot_sync_emitted(struct hubspot_state *s,
				struct hubspot_sync *y, struct sg_error *err)
{
	const char *id;
	json_t *v;

	json_decref(y->order);
	y->order = json_array();
	if (y->order == NULL)
		return hubspot_nomem(err);
	json_object_foreach(s->deals, id, v)
		if (json_array_append_new(y->order, json_string(id)) != 0)
			return hubspot_nomem(err);
	y->next = 0;
	y->kind = 0;
	return SG_OK;
}

/* Each record id linked to the deals: "associations": {"deals":
 * {"results": [{"id": deal}...]}}, as a listing gives them. */
static int hubspot_invert(json_t *links, json_t *by_record,
			  struct sg_error *err)
{
	const char *deal;
	json_t *list, *rid;
	size_t i;

	json_object_foreach(links, deal, list)
		json_array_foreach(list, i, rid) {
			const char *r = json_string_value(rid);
			json_t *deals = json_object_get(by_record, r);

			if (deals == NULL) {
				deals = json_array();
				if (deals == NULL ||
				    json_object_set_new(by_record, r, deals))
					return hubspot_nomem(err);
			}
			json_array_append_new(deals, json_pack("{s:s}", "id",
							       deal));
		}
	return SG_OK;
}

/* Reads the records of by_record (id -> deal links) and emits them. */
static int hubspot_read_linked(struct hubspot_state *s, const char *object,
			       size_t kind, json_t *by_record,
			       struct sg_error *err)
{
	char *fields = kind < hubspot_kind_count() ?
		strdup(hubspot_kind_properties(kind)) :
		hubspot_evidence_fields(s);
	json_t *ids = json_array(), *results, *r;
	const char *id;
	json_t *v;
	size_t i, from;
	int rc = SG_OK;

	if (fields == NULL || ids == NULL) {
		free(fields);
		json_decref(ids);
		return hubspot_nomem(err);
	}
	json_object_foreach(by_record, id, v)
		json_array_append_new(ids, json_string(id));
	for (from = 0; from < json_array_size(ids) && rc == SG_OK;
	     from += HUBSPOT_BATCH_READ) {
		json_t *batch = hubspot_slice(ids, from, HUBSPOT_BATCH_READ);

		results = NULL;
		rc = batch == NULL ? hubspot_nomem(err) :
			hubspot_batch_read(s, object, batch, fields, NULL,
					   object, &results, NULL, err);
		json_array_foreach(results, i, r)
			json_object_set_new(r, "associations", json_pack(
				"{s:{s:O}}", "deals", "results",
				json_object_get(by_record, json_string_value(
					json_object_get(r, "id")))));
		if (rc == SG_OK)
			rc = kind < hubspot_kind_count() ?
				hubspot_emit_engagements(s, kind, results,
							 err) :
				hubspot_emit_evidence_records(s, results, err);
		json_decref(results);
		json_decref(batch);
	}
	free(fields);
	json_decref(ids);
	return rc;
}

/*
 * One kind of record (the engagement kinds, then the evidence object)
 * for a batch of the deals read again: what they are linked to is read
 * and emitted for them.
 */
static int hubspot_sync_read_links(struct hubspot_state *s,
				   struct hubspot_sync *y,
				   struct sg_error *err)
{
	size_t kinds = hubspot_kind_count() + (s->evidence_object != NULL);
	const char *object = y->kind < hubspot_kind_count() ?
		hubspot_kind_object(y->kind) :
		json_string_value(json_object_get(s->evidence_object,
						  "object"));
	json_t *deals = hubspot_slice(y->order, y->next, HUBSPOT_BATCH_LINKS);
	json_t *links = NULL, *by_record = json_object();
	int rc = SG_OK;

	if (deals == NULL || by_record == NULL)
		rc = hubspot_nomem(err);
	if (rc == SG_OK && json_array_size(deals) > 0)
		rc = hubspot_associations(s, "deals", object, deals, object,
					  &links, err);
	if (rc == SG_OK)
		rc = hubspot_invert(links, by_record, err);
	if (rc == SG_OK && json_object_size(by_record) > 0)
		rc = hubspot_read_linked(s, object, y->kind, by_record, err);
	json_decref(links);
	json_decref(by_record);
	json_decref(deals);
	if (rc != SG_OK)
		return rc;
	y->next += HUBSPOT_BATCH_LINKS;
	if (y->next >= json_array_size(y->order)) {
		y->next = 0;
		y->kind++;
	}
	return y->kind < kinds ? 1 : 0;
}

/* --- The other deals, from the last snapshot. --- */

/* A deal not read again comes from the snapshot, and is the pilot's. */
static int hubspot_kept(void *arg, const char *deal, int is_deal)
{
	struct hubspot_state *s = arg;

	if (json_object_get(s->sync->refresh, deal) != NULL)
		return 0;
	return !is_deal || json_object_set_new(s->deals, deal,
					       json_true()) == 0 ? 1 : -1;
}

/* Up to a slice of the snapshot's rows: 0 when all are replayed. */
static int hubspot_sync_replay(struct hubspot_state *s,
			       struct hubspot_sync *y, struct sg_error *err)
{
	int rc = SG_OK;

	if (y->replay == NULL)
		rc = sg_replay_open(&y->replay, y->old_dir, s->host,
				    s->snapshot, hubspot_kept, s, err);
	if (rc == SG_OK)
		rc = sg_replay_step(y->replay, err);
	if (rc < 0)
		return sg_error_prefix(err, "the last snapshot (delete it for "
				       "a full pull): ");
	return rc;
}

static void hubspot_sync_report(struct hubspot_state *s,
				const struct hubspot_sync *y)
{
	s->host->log(s->host->ctx, SG_LOG_INFO, "an incremental pull: "
		     "changed since the last: %u deals, %u evidence records, "
		     "%u engagements; %zu deals read again (%zu archived or "
		     "deleted), %llu records kept from the snapshot",
		     y->changed[0], y->changed[1], y->changed[2],
		     json_object_size(y->refresh) - json_object_size(y->gone),
		     json_object_size(y->gone),
		     sg_replay_count(y->replay));
}

/* The step after one whose listing or search ended. */
static int hubspot_sync_advance(struct hubspot_state *s,
				struct hubspot_sync *y, struct sg_error *err)
{
	y->step++;
	s->page = 0;
	free(s->after);
	s->after = NULL;
	json_object_clear(s->seen_cursors);
	if (y->step == SYNC_EVIDENCE && s->evidence_object == NULL)
		y->step++;
	if (y->step == SYNC_READ_DEALS)
		return hubspot_sync_order(y, err);
	if (y->step == SYNC_READ_LINKS)
		return hubspot_sync_emitted(s, y, err);
	return SG_OK;
}

int hubspot_sync_step(struct hubspot_state *s, struct sg_error *err)
{
	struct hubspot_sync *y = s->sync;
	int rc, done = 0;

	switch (y->step) {
	case SYNC_DEALS:
		rc = hubspot_sync_deals(s, y, err);
		if (rc == 2) {
			hubspot_sync_free(y);
			s->sync = NULL;
			return 2;
		}
		done = rc == 0;
		break;
	case SYNC_EVIDENCE:
		rc = hubspot_sync_linked(s, y, json_string_value(
			json_object_get(s->evidence_object, "object")),
			hubspot_kind_count(), &y->changed[1], &done, err);
		break;
	case SYNC_ACTIVITIES:
		rc = hubspot_sync_linked(s, y, hubspot_kind_object(y->kind),
					 y->kind, &y->changed[2], &done, err);
		if (done && ++y->kind < hubspot_kind_count())
			done = 0;
		break;
	case SYNC_ARCHIVED:
		rc = hubspot_sync_archived(s, err);
		done = rc == 0;
		break;
	case SYNC_READ_DEALS:
		rc = hubspot_sync_read_deals(s, y, err);
		done = y->next >= json_array_size(y->order);
		break;
	case SYNC_READ_LINKS:
		rc = json_array_size(y->order) > 0 ?
			hubspot_sync_read_links(s, y, err) : 0;
		done = rc == 0;
		break;
	case SYNC_REPLAY:
		rc = hubspot_sync_replay(s, y, err);
		done = rc == 0;
		break;
	default:
		return 0;
	}
	if (rc < 0)
		return rc;
	if (done && hubspot_sync_advance(s, y, err) != SG_OK)
		return err->code;
	if (y->step == SYNC_DONE) {
		hubspot_sync_report(s, y);
		return 0;
	}
	return 1;
}
