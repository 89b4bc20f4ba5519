/*
 * sg_replay.h - records read back from a canonical folder (a snapshot a
 * connector kept) and emitted again through the host: the opportunities
 * an incremental pull keeps from the last snapshot, or the pages a
 * stopped pull had read when it resumes.  Owners are never replayed:
 * every pull reads them anew.  A slice of rows per call, so a pull()
 * stays short.
 */
#ifndef SG_REPLAY_H
#define SG_REPLAY_H

#include "sg_plugin.h"
#include "sg_snapshot.h"

struct sg_replay;

/*
 * Which records are emitted: keep(arg, opportunity_id, is_opportunity)
 * returns 1 to emit the record (an opportunity, or a record of one), 0
 * to leave it, or -1 out of memory.  NULL keeps everything.
 */
typedef int (*sg_replay_keep_fn)(void *arg, const char *opportunity_id,
				 int is_opportunity);

/* Replays dir through host; each record emitted is also written to
 * rewrite (NULL: to none). */
int sg_replay_open(struct sg_replay **out, const char *dir,
		   const struct sg_host *host, struct sg_snapshot *rewrite,
		   sg_replay_keep_fn keep, void *arg, struct sg_error *err);

/* A slice of the rows: 1 when more follows, 0 at the end; a row the
 * canonical reader refuses is SG_ERR_PARSE naming file, line, column. */
int sg_replay_step(struct sg_replay *r, struct sg_error *err);

/* The records emitted so far (0 for NULL). */
unsigned long long sg_replay_count(const struct sg_replay *r);

/* Accepts NULL. */
void sg_replay_free(struct sg_replay *r);

#endif
