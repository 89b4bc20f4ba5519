/*
 * sg_draft.h - a rules config drafted from a source's description of its
 * pipeline (`stageguard init --from NAME[:ARG]`): the stages in order
 * with labels, closed and won flags and forecast categories; exit
 * criteria and required fields left empty for a person to complete; the
 * usual placeholder words, review SLA and staleness; the source's
 * section kept.
 */
#ifndef SG_DRAFT_H
#define SG_DRAFT_H

#include <jansson.h>

#include "sg_plugin.h"

/*
 * Writes the draft into *text (malloc'd JSON, two-space indent, ending
 * in a line feed).  source names the source plugin; section is its
 * config section to keep (NULL: {}).  SG_ERR_PLUGIN for a description
 * without stages or with a stage without an id or twice; SG_ERR_NOMEM.
 */
int sg_draft_config(const struct sg_pipeline_description *d,
		    const char *source, json_t *section, char **text,
		    struct sg_error *err);

#endif
