/*
 * sg_draft.c - a rules config drafted from a pipeline description (see
 * sg_draft.h).
 */
#include "sg_draft.h"

#include <stdlib.h>
#include <string.h>

/* A first guess at a stage's expected age; the notes ask for a check. */
#define DRAFT_MAX_AGE_DAYS 30

static const char *const draft_placeholders[] = {
	"tbd", "n/a", "na", "none", "-", "?", "xxx", "test", "placeholder",
	"unknown"
};

static int draft_check(const struct sg_pipeline_description *d,
		       struct sg_error *err)
{
	size_t i, k;

	if (d->stage_count == 0)
		return sg_error_set(err, SG_ERR_PLUGIN, "the source described "
				    "no stage: are there stage histories in "
				    "what it read?");
	for (i = 0; i < d->stage_count; i++) {
		if (d->stages[i].id == NULL || d->stages[i].id[0] == '\0')
			return sg_error_set(err, SG_ERR_PLUGIN, "the source "
					    "described stage %zu without an "
					    "id", i + 1);
		for (k = 0; k < i; k++)
			if (strcmp(d->stages[k].id, d->stages[i].id) == 0)
				return sg_error_set(err, SG_ERR_PLUGIN,
						    "the source described "
						    "stage \"%.100s\" twice",
						    d->stages[i].id);
	}
	return SG_OK;
}

static json_t *draft_stage(const struct sg_described_stage *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(s->id));
	if (s->label != NULL && strcmp(s->label, s->id) != 0)
		json_object_set_new(o, "label", json_string(s->label));
	if (s->closed == 1) {
		json_object_set_new(o, "closed", json_true());
		json_object_set_new(o, "won", json_boolean(s->won == 1));
		/* A lost deal can be lost from any stage. */
		if (s->won != 1)
			json_object_set_new(o, "enter_from_any", json_true());
	} else {
		json_object_set_new(o, "max_age_days",
				    json_integer(DRAFT_MAX_AGE_DAYS));
	}
	if (s->forecast_category != NULL && s->forecast_category[0] != '\0')
		json_object_set_new(o, "forecast_category",
				    json_string(s->forecast_category));
	if (s->closed != 1) {
		json_object_set_new(o, "exit_criteria", json_array());
		json_object_set_new(o, "required_fields", json_array());
	}
	return o;
}

static json_t *draft_document(const struct sg_pipeline_description *d,
			      const char *source, json_t *section)
{
	json_t *doc = json_object(), *stages = json_array();
	json_t *placeholders = json_array(), *sources = json_object();
	size_t i;

	if (d->pipeline_id != NULL) {
		json_t *p = json_pack("{s:s}", "id", d->pipeline_id);

		if (d->pipeline_label != NULL)
			json_object_set_new(p, "label",
					    json_string(d->pipeline_label));
		json_object_set_new(doc, "pipeline", p);
	}
	for (i = 0; i < d->stage_count; i++)
		json_array_append_new(stages, draft_stage(&d->stages[i]));
	json_object_set_new(doc, "stages", stages);
	json_object_set_new(doc, "criteria", json_object());
	for (i = 0; i < sizeof(draft_placeholders) /
		    sizeof(draft_placeholders[0]); i++)
		json_array_append_new(placeholders,
				      json_string(draft_placeholders[i]));
	json_object_set_new(doc, "placeholders", placeholders);
	json_object_set_new(doc, "review", json_pack("{s:i, s:s}",
		"sla_hours", 48, "default_assignee", "revops"));
	json_object_set_new(doc, "data", json_pack("{s:i}",
		"stale_after_hours", 36));
	json_object_set_new(doc, "ledger", json_string("stageguard.db"));
	json_object_set_new(sources, source,
			    section != NULL ? json_deep_copy(section) :
					      json_object());
	json_object_set_new(doc, "sources", sources);
	return doc;
}

int sg_draft_config(const struct sg_pipeline_description *d,
		    const char *source, json_t *section, char **text,
		    struct sg_error *err)
{
	json_t *doc;
	char *dumped;
	size_t len;
	int rc = draft_check(d, err);

	*text = NULL;
	if (rc != SG_OK)
		return rc;
	doc = draft_document(d, source, section);
	dumped = doc != NULL ? json_dumps(doc, JSON_INDENT(2) |
					  JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (dumped == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory "
				    "drafting the config (or a stage id is "
				    "not UTF-8)");
	len = strlen(dumped);
	*text = malloc(len + 2);
	if (*text == NULL) {
		free(dumped);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	memcpy(*text, dumped, len);
	(*text)[len] = '\n';
	(*text)[len + 1] = '\0';
	free(dumped);
	return SG_OK;
}
