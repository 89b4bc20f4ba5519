/*
 * sg_pipeline_guess.h - a pipeline guessed from the stage histories a
 * file holds, for a source's describe() (`init --from csv:DIR`): the
 * stages in the order they fall in the histories (mean relative
 * position), the closed ones from where histories end (a stage that ends
 * histories and is almost never left, or named closed, won or lost), won
 * from the name, and each stage's forecast category from the
 * opportunities that sit in it.  A draft for a person to check: the
 * description's notes say what was guessed.
 *
 * Safe to feed from several threads.
 */
#ifndef SG_PIPELINE_GUESS_H
#define SG_PIPELINE_GUESS_H

#include "sg_plugin.h"

struct sg_pipeline_guess;

/* SG_OK or SG_ERR_NOMEM. */
int sg_pipeline_guess_new(struct sg_pipeline_guess **out);

/* Accepts NULL. */
void sg_pipeline_guess_free(struct sg_pipeline_guess *g);

/*
 * One stage event of an opportunity's history (from may be "" or NULL).
 * Events may come in any order.  SG_OK or SG_ERR_NOMEM.
 */
int sg_pipeline_guess_event(struct sg_pipeline_guess *g,
			    const char *opportunity_id, const char *from,
			    const char *to, sg_time at);

/* An opportunity's current stage and forecast category ("" or NULL:
 * none).  SG_OK or SG_ERR_NOMEM. */
int sg_pipeline_guess_current(struct sg_pipeline_guess *g, const char *stage,
			      const char *forecast_category);

/*
 * Fills out (size set) with the guess; what it points to is g's until
 * g is freed or guessed again.  SG_OK or SG_ERR_NOMEM.
 */
int sg_pipeline_guess_describe(struct sg_pipeline_guess *g,
			       struct sg_pipeline_description *out);

#endif
