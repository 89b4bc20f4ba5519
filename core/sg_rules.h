/*
 * sg_rules.h - the config's rules as plugins see them (struct sg_rules in
 * sg_plugin.h): built once from a loaded config, borrowing its strings.
 */
#ifndef SG_RULES_H
#define SG_RULES_H

#include "sg_config.h"
#include "sg_plugin.h"

struct sg_rules_view;

/* Builds the view of config (which must outlive it).  *out is NULL on
 * failure. */
int sg_rules_view_new(struct sg_rules_view **out,
		      const struct sg_config *config, struct sg_error *err);

/* Accepts NULL. */
void sg_rules_view_free(struct sg_rules_view *view);

/* The rules, valid until sg_rules_view_free(). */
const struct sg_rules *sg_rules_of(const struct sg_rules_view *view);

#endif
