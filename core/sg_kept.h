/*
 * sg_kept.h - the records a run keeps in the ledger: stored chunk by
 * chunk while the source is pulled (sg_inputs.h), and loaded back into a
 * model so that report, bundle and metrics need no source.
 */
#ifndef SG_KEPT_H
#define SG_KEPT_H

#include "sg_inputs.h"
#include "sg_ledger.h"
#include "sg_model.h"

struct sg_kept;

/* Starts keeping a pull's records in ledger.  Until sg_kept_drain(),
 * a thread of k's writes to the ledger: the caller leaves it alone. */
int sg_kept_new(struct sg_kept **out, struct sg_ledger *ledger,
		struct sg_error *err);
/* Frees it; accepts NULL. */
void sg_kept_free(struct sg_kept *k);

/* The writer to hand the pull (sg_pull_options.inputs). */
struct sg_inputs_writer *sg_kept_writer(struct sg_kept *k);

/* Stores the last chunks and waits until every chunk is in the ledger:
 * after it, the ledger's connection is the caller's again.  Call it when
 * the pull ends, however it ended.  Returns the first failure to store. */
int sg_kept_drain(struct sg_kept *k, struct sg_error *err);

/* Drains, then fills run->inputs and run->input_count (owned by k, so k
 * must outlive the recording). */
int sg_kept_finish(struct sg_kept *k, struct sg_run_record *run,
		   struct sg_error *err);

/* What was kept: chunks, records, encoded and stored bytes. */
void sg_kept_totals(const struct sg_kept *k, struct sg_inputs_totals *out);

/*
 * Loads the records run_id kept into model (new, not finished), part
 * after part as they were pulled.  SG_ERR_LEDGER when a chunk is damaged.
 */
int sg_kept_load(struct sg_model *model, struct sg_ledger *ledger,
		 const char *run_id, struct sg_error *err);

#endif
