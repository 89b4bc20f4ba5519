/*
 * sg_record.h - records a judged run in the ledger: its exceptions with
 * their review tasks and measurement events, and the stage corrections
 * the pulled history shows, in one transaction.
 */
#ifndef SG_RECORD_H
#define SG_RECORD_H

#include "sg_checks.h"
#include "sg_ledger.h"

/*
 * Records run (its metadata filled by the caller; run->as_of is the
 * as-of the exceptions were judged at) with the exceptions of list,
 * judged on model, routed as DESIGN §6 says.  A flagged move that the
 * model shows reverted is noted as corrected in the same transaction
 * (sg_review_note_corrections), so run->before_commit is taken.  Returns
 * SG_OK with outcome (may be NULL) filled; SG_ERR_PARSE naming the
 * opportunity when a text it must store is not UTF-8; SG_ERR_LEDGER or
 * SG_ERR_NOMEM.  Nothing is recorded unless SG_OK.
 */
int sg_record_run(struct sg_ledger *ledger, struct sg_run_record *run,
		  const struct sg_exceptions *list,
		  const struct sg_model *model,
		  struct sg_run_outcome *outcome, struct sg_error *err);

#endif
