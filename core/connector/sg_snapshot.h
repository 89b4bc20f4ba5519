/*
 * sg_snapshot.h - what a CRM connector keeps of its pulls: each complete
 * pull as a folder in the canonical CSV layout with snapshot.json, so
 * `--source csv:DIR` reproduces a run offline and the next pull can
 * merge what changed into it; a pull that stops leaves what it had read,
 * with a checkpoint, for the next to resume.
 *
 * A pull writes into DIR.partial, record by record, with the canonical
 * writer (core/util/sg_canonical_records.c); sg_snapshot_commit() puts
 * it in DIR's place (the old one moved aside first, so a whole snapshot
 * is always there).  After each complete page a connector calls
 * sg_snapshot_checkpoint() with where it is; the files are flushed and
 * their lengths written to DIR.partial/checkpoint.json, atomically.  The
 * next full pull with the same settings within a day cuts the files back
 * to those lengths and hands the connector its position again.
 *
 * Every function taking a snapshot accepts NULL and does nothing: a
 * connector configured without a snapshot calls them all the same.
 */
#ifndef SG_SNAPSHOT_H
#define SG_SNAPSHOT_H

#include <jansson.h>

#include "sg_plugin.h"

struct sg_snapshot;

struct sg_snapshot_spec {
	const char *dir;        /* where the snapshot is kept */
	const char *source;     /* snapshot.json's "source": "hubspot" */
	sg_time extracted_at;   /* snapshot.json's "extracted_at" */
	const char *const *extras; /* opportunities.csv's extra columns */
	size_t extra_count;
	const char *settings;   /* what shapes the records: a checkpoint
				 * taken with other settings is not resumed */
	int may_resume;         /* a full pull: a checkpoint is taken up */
};

/*
 * Starts a pull's folder.  When spec->may_resume and DIR.partial holds a
 * checkpoint of the same settings younger than a day, its files are cut
 * back to the checkpoint (owners.csv emptied: owners are read again) and
 * sg_snapshot_resumed() gives the position; else the folder starts
 * empty.  SG_ERR_IO naming the path, or SG_ERR_NOMEM.
 */
int sg_snapshot_start(struct sg_snapshot **out,
		      const struct sg_snapshot_spec *spec,
		      struct sg_error *err);

/* The position the connector checkpointed, when this pull resumes one
 * (borrowed), with the time the stopped pull began; NULL when not. */
json_t *sg_snapshot_resumed(const struct sg_snapshot *snap, sg_time *started);

/* Each record, written as the connector emits it. */
void sg_snapshot_owner(struct sg_snapshot *snap, const struct sg_rec_owner *o);
void sg_snapshot_opportunity(struct sg_snapshot *snap,
			     const struct sg_rec_opportunity *o);
void sg_snapshot_stage_event(struct sg_snapshot *snap,
			     const struct sg_rec_stage_event *e);
void sg_snapshot_field_change(struct sg_snapshot *snap,
			      const struct sg_rec_field_change *c);
void sg_snapshot_activity(struct sg_snapshot *snap,
			  const struct sg_rec_activity *a);
void sg_snapshot_evidence(struct sg_snapshot *snap,
			  const struct sg_rec_evidence *e);

/*
 * A page is complete: the files flushed, and checkpoint.json written
 * with their lengths, position (a JSON object the connector reads back
 * from sg_snapshot_resumed(); not stolen) and started (when the pull
 * began: a resumed pull's next sync looks for changes from then).
 */
int sg_snapshot_checkpoint(struct sg_snapshot *snap, json_t *position,
			   sg_time started, struct sg_error *err);

/* The pull completed: snapshot.json written, the folder in DIR's place. */
int sg_snapshot_commit(struct sg_snapshot *snap, struct sg_error *err);

/* The id naming this pull in snapshot.json ("pull_id"), and the folder
 * it writes (DIR.partial); NULL for NULL. */
const char *sg_snapshot_pull_id(const struct sg_snapshot *snap);
const char *sg_snapshot_folder(const struct sg_snapshot *snap);

/* What was read cannot be resumed (the connector found its position
 * gone): the folder goes with sg_snapshot_free() as a fresh one would. */
void sg_snapshot_discard(struct sg_snapshot *snap);

/* An uncommitted folder is removed unless it holds a checkpoint. */
void sg_snapshot_free(struct sg_snapshot *snap);

/* The pull_id of the snapshot kept in dir (malloc'd), NULL when there is
 * none or it is not whole (a canonical file missing). */
char *sg_snapshot_id(const char *dir);

#endif
