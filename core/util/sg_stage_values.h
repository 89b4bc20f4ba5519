/*
 * sg_stage_values.h - a stage history given as the stages an opportunity
 * entered (one row per change holding only the new stage: a Salesforce
 * OpportunityHistory report, a CRM's property history) turned into stage
 * events of the common model.  The csv source's derive_from_stage uses
 * it, and so will the connectors whose APIs give value histories.
 *
 * The rows are sorted per opportunity by time, file order breaking ties;
 * each row's from_stage is the stage of the row before it, "" for an
 * opportunity's first (its creation).  A row that repeats the stage
 * before it is passed on as an event whose from and to are the same: it
 * is not a move, but it is an event (DESIGN §10), so a repeat dated after
 * as-of still pauses the opportunity (future_event).
 */
#ifndef SG_STAGE_VALUES_H
#define SG_STAGE_VALUES_H

#include <stddef.h>

#include "sg_time.h"

/* The first member of each row the caller keeps (borrowed strings). */
struct sg_stage_value {
	const char *opportunity_id;
	const char *stage;
	sg_time at;
	size_t seq;             /* the row's place in the input */
};

/* Sorts count rows, stride bytes apart, each beginning with a struct
 * sg_stage_value: by opportunity, then time, then seq. */
void sg_stage_values_sort(void *rows, size_t count, size_t stride);

/* The from_stage of row k of sorted rows (borrowed from the row before
 * it, or ""). */
const char *sg_stage_value_from(const void *rows, size_t stride, size_t k);

#endif
