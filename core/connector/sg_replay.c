/*
 * sg_replay.c - a canonical folder emitted again through the host (see
 * the header).
 */
#include "sg_replay.h"

#include <stdlib.h>
#include <string.h>

#include "sg_canonical_records.h"

#define SG_REPLAY_ROWS 50000    /* rows per call */

struct sg_replay {
	char *dir;
	const struct sg_host *host;
	struct sg_snapshot *rewrite;
	sg_replay_keep_fn keep;
	void *arg;
	int file;               /* the file being read */
	struct sg_canonical_reader *reader;
	unsigned long long count;
};

int sg_replay_open(struct sg_replay **out, const char *dir,
		   const struct sg_host *host, struct sg_snapshot *rewrite,
		   sg_replay_keep_fn keep, void *arg, struct sg_error *err)
{
	struct sg_replay *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL || (r->dir = strdup(dir)) == NULL) {
		free(r);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	r->host = host;
	r->rewrite = rewrite;
	r->keep = keep;
	r->arg = arg;
	r->file = SG_CANON_OPPORTUNITIES;
	*out = r;
	return SG_OK;
}

unsigned long long sg_replay_count(const struct sg_replay *r)
{
	return r != NULL ? r->count : 0;
}

void sg_replay_free(struct sg_replay *r)
{
	if (r == NULL)
		return;
	sg_canonical_reader_free(r->reader);
	free(r->dir);
	free(r);
}

/* The opportunity a record belongs to. */
static const char *replay_opportunity(const struct sg_canonical_record *rec)
{
	switch (rec->file) {
	case SG_CANON_OPPORTUNITIES:
		return rec->as.opportunity.id;
	case SG_CANON_STAGE_HISTORY:
		return rec->as.stage_event.opportunity_id;
	case SG_CANON_FIELD_HISTORY:
		return rec->as.field_change.opportunity_id;
	case SG_CANON_ACTIVITIES:
		return rec->as.activity.opportunity_id;
	default:
		return rec->as.evidence.opportunity_id;
	}
}

static int replay_emit(struct sg_replay *r,
		       const struct sg_canonical_record *rec,
		       const struct sg_where *where, struct sg_error *err)
{
	const struct sg_host *h = r->host;
	int rc;

	switch (rec->file) {
	case SG_CANON_OPPORTUNITIES:
		rc = h->emit_opportunity(h->ctx, &rec->as.opportunity, where,
					 err);
		if (rc == SG_OK)
			sg_snapshot_opportunity(r->rewrite,
						&rec->as.opportunity);
		return rc;
	case SG_CANON_STAGE_HISTORY:
		rc = h->emit_stage_event(h->ctx, &rec->as.stage_event, where,
					 err);
		if (rc == SG_OK)
			sg_snapshot_stage_event(r->rewrite,
						&rec->as.stage_event);
		return rc;
	case SG_CANON_FIELD_HISTORY:
		rc = h->emit_field_change(h->ctx, &rec->as.field_change, where,
					  err);
		if (rc == SG_OK)
			sg_snapshot_field_change(r->rewrite,
						 &rec->as.field_change);
		return rc;
	case SG_CANON_ACTIVITIES:
		rc = h->emit_activity(h->ctx, &rec->as.activity, where, err);
		if (rc == SG_OK)
			sg_snapshot_activity(r->rewrite, &rec->as.activity);
		return rc;
	default:
		rc = h->emit_evidence(h->ctx, &rec->as.evidence, where, err);
		if (rc == SG_OK)
			sg_snapshot_evidence(r->rewrite, &rec->as.evidence);
		return rc;
	}
}

int sg_replay_step(struct sg_replay *r, struct sg_error *err)
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
	for (n = 0; n < SG_REPLAY_ROWS; n++) {
		rc = sg_canonical_reader_next(r->reader, &rec, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		rc = r->keep != NULL ?
			r->keep(r->arg, replay_opportunity(&rec),
				rec.file == SG_CANON_OPPORTUNITIES) : 1;
		if (rc < 0)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		if (rc == 0)
			continue;
		where.line = rec.line;
		rc = replay_emit(r, &rec, &where, err);
		if (rc != SG_OK)
			return rc;
		r->count++;
	}
	if (n == SG_REPLAY_ROWS)
		return 1;
	sg_canonical_reader_free(r->reader);
	r->reader = NULL;
	return ++r->file < SG_CANON_FILE_COUNT ? 1 : 0;
}
