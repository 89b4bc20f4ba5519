/*
 * hubspot_replay.c - records read back from a canonical folder and
 * emitted again: the deals an incremental pull keeps from the last
 * snapshot, or the pages a stopped pull had completed when it resumes.
 * Owners are never replayed: every pull reads them anew.
 */
#include "hubspot_int.h"

#include <stdlib.h>
#include <string.h>

#include "sg_canonical_records.h"

#define HUBSPOT_REPLAY_ROWS 50000       /* rows per pull() call */

struct hubspot_replay {
	char *dir;
	json_t *skip;           /* deal ids not replayed (borrowed) */
	int rewrite;            /* also written to the new snapshot */
	int file;               /* the file being read */
	struct sg_canonical_reader *reader;
	unsigned long long count;
};

int hubspot_replay_open(struct hubspot_replay **out, const char *dir,
			json_t *skip, int rewrite, struct sg_error *err)
{
	struct hubspot_replay *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL || (r->dir = strdup(dir)) == NULL) {
		free(r);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	r->skip = skip;
	r->rewrite = rewrite;
	r->file = SG_CANON_OPPORTUNITIES;
	*out = r;
	return SG_OK;
}

unsigned long long hubspot_replay_count(const struct hubspot_replay *r)
{
	return r != NULL ? r->count : 0;
}

void hubspot_replay_free(struct hubspot_replay *r)
{
	if (r == NULL)
		return;
	sg_canonical_reader_free(r->reader);
	free(r->dir);
	free(r);
}

static int hubspot_replayed(const struct hubspot_replay *r, const char *deal)
{
	return r->skip == NULL || json_object_get(r->skip, deal) == NULL;
}

static int hubspot_replay_opportunity(struct hubspot_state *s,
				      struct hubspot_replay *r,
				      const struct sg_rec_opportunity *o,
				      const struct sg_where *where,
				      struct sg_error *err)
{
	int rc = s->host->emit_opportunity(s->host->ctx, o, where, err);

	if (rc == SG_OK && json_object_set_new(s->deals, o->id, json_true()))
		rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (rc == SG_OK && r->rewrite)
		hubspot_snapshot_opportunity(s, o);
	return rc;
}

static int hubspot_replay_record(struct hubspot_state *s,
				 struct hubspot_replay *r,
				 const struct sg_canonical_record *rec,
				 const struct sg_where *where,
				 struct sg_error *err)
{
	void *ctx = s->host->ctx;
	int rc;

	switch (rec->file) {
	case SG_CANON_OPPORTUNITIES:
		if (!hubspot_replayed(r, rec->as.opportunity.id))
			return SG_OK;
		return hubspot_replay_opportunity(s, r, &rec->as.opportunity,
						  where, err);
	case SG_CANON_STAGE_HISTORY:
		if (!hubspot_replayed(r, rec->as.stage_event.opportunity_id))
			return SG_OK;
		rc = s->host->emit_stage_event(ctx, &rec->as.stage_event,
					       where, err);
		if (rc == SG_OK && r->rewrite)
			hubspot_snapshot_stage_event(s, &rec->as.stage_event);
		return rc;
	case SG_CANON_FIELD_HISTORY:
		if (!hubspot_replayed(r, rec->as.field_change.opportunity_id))
			return SG_OK;
		rc = s->host->emit_field_change(ctx, &rec->as.field_change,
						where, err);
		if (rc == SG_OK && r->rewrite)
			hubspot_snapshot_field_change(s,
						      &rec->as.field_change);
		return rc;
	case SG_CANON_ACTIVITIES:
		if (!hubspot_replayed(r, rec->as.activity.opportunity_id))
			return SG_OK;
		rc = s->host->emit_activity(ctx, &rec->as.activity, where,
					    err);
		if (rc == SG_OK && r->rewrite)
			hubspot_snapshot_activity(s, &rec->as.activity);
		return rc;
	case SG_CANON_EVIDENCE:
		if (!hubspot_replayed(r, rec->as.evidence.opportunity_id))
			return SG_OK;
		rc = s->host->emit_evidence(ctx, &rec->as.evidence, where,
					    err);
		if (rc == SG_OK && r->rewrite)
			hubspot_snapshot_evidence(s, &rec->as.evidence);
		return rc;
	default:
		return SG_OK;
	}
}

int hubspot_replay_step(struct hubspot_state *s, struct hubspot_replay *r,
			struct sg_error *err)
{
	struct sg_canonical_record rec;
	struct sg_where where;
	unsigned n;
	int rc;

	if (r->reader == NULL) {
		rc = sg_canonical_reader_open(&r->reader, r->dir, r->file, err);
		if (rc != SG_OK)
			return rc;
	}
	where.path = sg_canonical_file(r->file)->file;
	for (n = 0; n < HUBSPOT_REPLAY_ROWS; n++) {
		rc = sg_canonical_reader_next(r->reader, &rec, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		where.line = rec.line;
		rc = hubspot_replay_record(s, r, &rec, &where, err);
		if (rc != SG_OK)
			return rc;
		r->count++;
	}
	if (n == HUBSPOT_REPLAY_ROWS)
		return 1;
	sg_canonical_reader_free(r->reader);
	r->reader = NULL;
	return ++r->file < SG_CANON_FILE_COUNT ? 1 : 0;
}
