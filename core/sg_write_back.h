/*
 * sg_write_back.h - the review tasks a write-back sink is handed
 * (struct sg_sink_task, SG_SINK_NEEDS_TASKS): every task open in the
 * ledger for which that sink keeps no CRM id yet, so the run's new tasks
 * and any an earlier run could not write, with the missing evidence or
 * fields read from the exception's details.
 */
#ifndef SG_WRITE_BACK_H
#define SG_WRITE_BACK_H

#include "sg_plugin.h"
#include "store/sg_ledger.h"
#include "store/sg_review.h"

struct sg_write_back {
	struct sg_sink_task *items;
	size_t count;
	/* What the items point into. */
	struct sg_review_tasks tasks;
	char **refs;            /* per item: "" or NULL */
	json_t **details;       /* per item: the parsed details */
	const char **missing;   /* all items' missing ids, end to end */
};

/*
 * Fills wb for sink from ledger, by due time then exception id.  On
 * failure wb is empty.  Fails only on the ledger or memory.
 */
int sg_write_back_load(struct sg_write_back *wb, struct sg_ledger *ledger,
		       const char *sink, struct sg_error *err);

/* Frees what wb holds and empties it.  Accepts NULL and a zeroed wb. */
void sg_write_back_release(struct sg_write_back *wb);

#endif
