/*
 * sg_checks.h - the stage-progression checks of DESIGN §5 with the exact
 * readings of §10, and the list of exceptions a run raises.
 */
#ifndef SG_CHECKS_H
#define SG_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "sg_exception.h"
#include "sg_model.h"

/*
 * What a run judges: moves with changed_at in (since, as_of].  With
 * moves_after_set, the moves judged are only those after moves_after
 * (and in that span); since still decides which closed opportunities
 * are judged at all, so data quality is as with since alone.  The replay
 * (sg_measures.h) judges all history's data but only the moves a window
 * it measures holds.  A window zeroed or built with designated
 * initializers { .since, .as_of } has moves_after_set 0.
 */
struct sg_check_window {
	sg_time since;          /* SG_TIME_NONE: the beginning of history */
	sg_time as_of;
	int moves_after_set;
	sg_time moves_after;
};

struct sg_exceptions {
	struct sg_exception *items;
	size_t count, capacity;
	uint32_t paused;        /* opportunities paused by data_quality */
	uint32_t evaluated;     /* in-scope, not paused opportunities */
	struct sg_exceptions_arena *arena; /* detail lists */
};

/* Initialises an empty list. */
void sg_exceptions_init(struct sg_exceptions *list);
/* Accepts NULL. */
void sg_exceptions_release(struct sg_exceptions *list);

/*
 * Runs every check over the finished model for window and appends the
 * exceptions to out, deduplicated (rule 30) and sorted as rule 13 says
 * (opportunity_id, event_at, type, from_stage, to_stage); when out held
 * exceptions already, the whole list is sorted and merged again (rule
 * 44: the first kept).  Adds to out->paused and out->evaluated.  Uses both
 * cores on large models.  The exceptions refer to the model (symbols,
 * opportunity indices), which must outlive them.  Returns SG_OK, or
 * SG_ERR_NOMEM with out as it was.
 */
int sg_checks_run(struct sg_exceptions *out, const struct sg_model *model,
		  const struct sg_check_window *window, struct sg_error *err);

#endif
