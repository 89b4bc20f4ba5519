/*
 * sg_rules.c - the config's rules as plugins see them (sg_rules.h).  The
 * view holds arrays of pointers into the config: no string is copied.
 */
#include "sg_rules.h"

#include <stdlib.h>

struct sg_rules_view {
	struct sg_rules rules;
	struct sg_rules_stage *stages;
	struct sg_rules_criterion *criteria;
	const char **exit_ids;  /* every stage's exit criteria, one run each */
};

static int rules_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "rules: out of memory");
}

static void rules_stage(struct sg_rules_view *v, const struct sg_config *c,
			size_t i, const char **exit_ids)
{
	const struct sg_stage *st = &c->stages[i];
	struct sg_rules_stage *out = &v->stages[i];
	size_t k;

	out->id = st->id;
	out->label = st->label;
	out->closed = st->closed;
	out->won = st->won;
	out->forecast_category = st->forecast_category;
	for (k = 0; k < st->exit_criteria_count; k++)
		exit_ids[k] = c->criteria[st->exit_criteria[k]].id;
	out->exit_criteria = exit_ids;
	out->exit_criteria_count = st->exit_criteria_count;
	out->required_fields = (const char *const *)st->required_fields;
	out->required_field_count = st->required_field_count;
}

static size_t rules_exit_total(const struct sg_config *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->stage_count; i++)
		n += c->stages[i].exit_criteria_count;
	return n;
}

int sg_rules_view_new(struct sg_rules_view **out,
		      const struct sg_config *config, struct sg_error *err)
{
	struct sg_rules_view *v = calloc(1, sizeof(*v));
	size_t i, at = 0;

	*out = NULL;
	if (v == NULL)
		return rules_nomem(err);
	v->stages = calloc(config->stage_count + 1, sizeof(*v->stages));
	v->criteria = calloc(config->criterion_count + 1,
			     sizeof(*v->criteria));
	v->exit_ids = calloc(rules_exit_total(config) + 1,
			     sizeof(*v->exit_ids));
	if (v->stages == NULL || v->criteria == NULL || v->exit_ids == NULL) {
		sg_rules_view_free(v);
		return rules_nomem(err);
	}
	for (i = 0; i < config->stage_count; i++) {
		rules_stage(v, config, i, v->exit_ids + at);
		at += config->stages[i].exit_criteria_count;
	}
	for (i = 0; i < config->criterion_count; i++) {
		v->criteria[i].id = config->criteria[i].id;
		v->criteria[i].label = config->criteria[i].label;
		v->criteria[i].buyer_only = config->criteria[i].buyer_only;
	}
	v->rules.size = sizeof(v->rules);
	v->rules.pipeline_id = config->pipeline_id;
	v->rules.pipeline_label = config->pipeline_label;
	v->rules.stages = v->stages;
	v->rules.stage_count = config->stage_count;
	v->rules.criteria = v->criteria;
	v->rules.criterion_count = config->criterion_count;
	v->rules.segment_field = config->segment_field;
	v->rules.placeholders = config->placeholders.words;
	v->rules.placeholder_count = config->placeholders.count;
	*out = v;
	return SG_OK;
}

void sg_rules_view_free(struct sg_rules_view *view)
{
	if (view == NULL)
		return;
	free(view->stages);
	free(view->criteria);
	free(view->exit_ids);
	free(view);
}

const struct sg_rules *sg_rules_of(const struct sg_rules_view *view)
{
	return &view->rules;
}
