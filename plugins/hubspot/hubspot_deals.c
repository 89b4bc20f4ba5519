/*
 * hubspot_deals.c - HubSpot deals as records of the common model: the
 * deal's properties as an opportunity (the model's names, never
 * HubSpot's), the history of `dealstage` as stage events (each change's
 * from-stage is the value before it, docs/design.md §10), and the history
 * of the fields the rules look at as field changes.
 */
#include "hubspot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_stage_values.h"

/* The model's fields and their standard deal properties; next_step_date
 * has none and is read only when the properties option maps it. */
static const struct hubspot_field hubspot_standard[] = {
	{ "name", "dealname", 0, 0, 0 },
	{ "pipeline", "pipeline", 0, 0, 0 },
	{ "stage", "dealstage", 0, 0, 0 },
	{ "owner_id", "hubspot_owner_id", 0, 0, 0 },
	{ "amount", "amount", 1, 0, 0 },
	{ "currency", "deal_currency_code", 0, 0, 0 },
	{ "close_date", "closedate", 1, 1, 0 },
	{ "forecast_category", "hs_manual_forecast_category", 0, 0, 0 },
	{ "created_at", "createdate", 0, 1, 0 },
	{ "next_step", "hs_next_step", 1, 0, 0 },
	{ "next_step_date", NULL, 1, 1, 0 },
};

#define HUBSPOT_STANDARD \
	(sizeof(hubspot_standard) / sizeof(hubspot_standard[0]))

/* Is name one of the model's fields (not an extra one)? */
static int hubspot_is_standard(const char *name)
{
	size_t i;

	for (i = 0; i < HUBSPOT_STANDARD; i++)
		if (strcmp(hubspot_standard[i].model, name) == 0)
			return 1;
	return 0;
}


/* Is name a field the rules require (so its history matters)? */
static int hubspot_required(const struct sg_rules *rules, const char *name)
{
	size_t i, k;

	for (i = 0; i < rules->stage_count; i++)
		for (k = 0; k < rules->stages[i].required_field_count; k++)
			if (strcmp(rules->stages[i].required_fields[k],
				   name) == 0)
				return 1;
	return 0;
}


static int hubspot_field_add(struct hubspot_state *s,
			     const struct hubspot_field *f)
{
	struct hubspot_field *grown;

	if (f->property == NULL)
		return 0;
	grown = realloc(s->fields, (s->field_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	s->fields = grown;
	s->fields[s->field_count++] = *f;
	if (hubspot_list_add(&s->properties_query, f->property) != 0)
		return -1;
	if (f->history && hubspot_list_add(&s->history_query,
					   f->property) != 0)
		return -1;
	return 0;
}

static const struct hubspot_field *hubspot_field(const struct hubspot_state *s,
						 const char *model)
{
	size_t i;

	for (i = 0; i < s->field_count; i++)
		if (strcmp(s->fields[i].model, model) == 0)
			return &s->fields[i];
	return NULL;
}

int hubspot_fields_init(struct hubspot_state *s, struct sg_error *err)
{
	const struct sg_rules *rules = s->host->rules(s->host->ctx);
	const char *name;
	json_t *value;
	size_t i;
	int failed = 0;

	for (i = 0; i < HUBSPOT_STANDARD && !failed; i++) {
		struct hubspot_field f = hubspot_standard[i];
		json_t *mapped = json_object_get(s->option_properties, f.model);

		if (json_is_string(mapped))
			f.property = json_string_value(mapped);
		failed = hubspot_field_add(s, &f) != 0;
	}
	/* The other names of the properties option are extra fields. */
	json_object_foreach(s->option_properties, name, value) {
		struct hubspot_field f = { name, json_string_value(value), 0,
					   0, 1 };

		if (hubspot_is_standard(name) || failed)
			continue;
		if (!json_is_string(value))
			return sg_error_set(err, SG_ERR_CONFIG, ""
					    "properties.%s: expected a "
					    "property name", name);
		f.history = hubspot_required(rules, name);
		failed = hubspot_field_add(s, &f) != 0;
	}
	if (!failed)
		failed = hubspot_list_add(&s->properties_query,
					  "hs_lastmodifieddate") != 0;
	/* Evidence kept in deal properties: their history is the evidence. */
	json_object_foreach(s->evidence_properties, name, value)
		if (!failed)
			failed = hubspot_list_add(&s->history_query,
						  json_string_value(value)) != 0;
	/* The stage's history becomes stage events, not field changes. */
	if (!failed)
		failed = hubspot_list_add(&s->history_query,
					  hubspot_field(s, "stage")->property)
			 != 0;
	return failed ? sg_error_set(err, SG_ERR_NOMEM, "out of memory") :
			SG_OK;
}

/* A member's text ("" for null, absent or not a string). */
static const char *hubspot_str(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v != NULL ? v : "";
}

/* A property's value as text ("" for null or absent). */
static const char *hubspot_prop(json_t *deal, const char *property)
{
	const char *v;

	if (property == NULL)
		return "";
	v = json_string_value(json_object_get(json_object_get(deal,
							      "properties"),
					      property));
	return v != NULL ? v : "";
}


static const char *hubspot_value(const struct hubspot_state *s, json_t *deal,
				 const char *model)
{
	const struct hubspot_field *f = hubspot_field(s, model);

	return hubspot_prop(deal, f != NULL ? f->property : NULL);
}

/* The config stage a HubSpot stage id maps to (the value unchanged when
 * it is no stage of the pipeline: the core reports it). */
static const char *hubspot_stage(const struct hubspot_state *s,
				 const char *value)
{
	const char *mapped = json_string_value(json_object_get(s->stage_map,
							       value));

	return mapped != NULL ? mapped : value;
}

static int hubspot_deal_time(const struct hubspot_state *s, json_t *deal,
			     const char *model, sg_time *out,
			     struct sg_error *err)
{
	int rc = hubspot_time(hubspot_value(s, deal, model), out, err);

	if (rc != SG_OK)
		sg_error_prefix(err, "deal %s, %s: ",
				hubspot_prop(deal, "hs_object_id"), model);
	return rc;
}

static int hubspot_emit_deal(struct hubspot_state *s, json_t *deal,
			     const char *id, const struct sg_where *where,
			     struct sg_error *err)
{
	struct sg_rec_opportunity o;
	const char *pipeline = hubspot_value(s, deal, "pipeline");
	struct sg_field *extra = NULL;
	size_t i, n = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	o.id = id;
	o.name = hubspot_value(s, deal, "name");
	o.pipeline = pipeline[0] != '\0' ? s->rules_pipeline : "";
	o.stage = hubspot_stage(s, hubspot_value(s, deal, "stage"));
	o.owner_id = hubspot_value(s, deal, "owner_id");
	o.amount = hubspot_value(s, deal, "amount");
	o.currency = hubspot_value(s, deal, "currency");
	o.forecast_category = hubspot_value(s, deal, "forecast_category");
	o.next_step = hubspot_value(s, deal, "next_step");
	rc = hubspot_deal_time(s, deal, "close_date", &o.close_date, err);
	if (rc == SG_OK)
		rc = hubspot_deal_time(s, deal, "created_at", &o.created_at,
				       err);
	if (rc == SG_OK)
		rc = hubspot_deal_time(s, deal, "next_step_date",
				       &o.next_step_date, err);
	if (rc != SG_OK)
		return rc;
	extra = calloc(s->field_count + 1, sizeof(*extra));
	if (extra == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	for (i = 0; i < s->field_count; i++) {
		if (!s->fields[i].extra)
			continue;
		extra[n].name = s->fields[i].model;
		extra[n].value = hubspot_prop(deal, s->fields[i].property);
		n++;
	}
	o.extra = extra;
	o.extra_count = n;
	rc = s->host->emit_opportunity(s->host->ctx, &o, where, err);
	if (rc == SG_OK)
		sg_snapshot_opportunity(s->snapshot, &o);
	free(extra);
	return rc;
}

/* A history array (newest first, as HubSpot gives it) oldest first. */
static json_t *hubspot_history(json_t *deal, const char *property)
{
	return json_object_get(json_object_get(deal, "propertiesWithHistory"),
			       property);
}

struct hubspot_value_row {
	struct sg_stage_value v;        /* first, for sg_stage_values */
	char changed_by[32];            /* updatedByUserId, a number */
	const char *source;
};

static int hubspot_emit_stages(struct hubspot_state *s, json_t *deal,
			       const char *id, const struct sg_where *where,
			       struct sg_error *err)
{
	json_t *hist = hubspot_history(deal, "dealstage");
	size_t n = json_array_size(hist), i;
	struct hubspot_value_row *rows;
	int rc = SG_OK;

	if (n == 0)
		return SG_OK;
	rows = calloc(n, sizeof(*rows));
	if (rows == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	for (i = 0; i < n && rc == SG_OK; i++) {
		json_t *h = json_array_get(hist, n - 1 - i);

		json_t *user = json_object_get(h, "updatedByUserId");

		rows[i].v.opportunity_id = id;
		rows[i].v.stage = hubspot_stage(s, hubspot_str(h, "value"));
		rows[i].v.seq = i;
		if (json_is_integer(user))
			snprintf(rows[i].changed_by,
				 sizeof(rows[i].changed_by), "%lld",
				 (long long)json_integer_value(user));
		else
			snprintf(rows[i].changed_by,
				 sizeof(rows[i].changed_by), "%s",
				 hubspot_str(h, "updatedByUserId"));
		rows[i].source = hubspot_str(h, "sourceType");
		rc = hubspot_time(hubspot_str(h, "timestamp"), &rows[i].v.at,
				  err);
	}
	if (rc == SG_OK)
		sg_stage_values_sort(rows, n, sizeof(*rows));
	for (i = 0; i < n && rc == SG_OK; i++) {
		struct sg_rec_stage_event e;

		e.opportunity_id = id;
		e.from_stage = sg_stage_value_from(rows, sizeof(*rows), i);
		e.to_stage = rows[i].v.stage;
		e.changed_at = rows[i].v.at;
		e.changed_by = rows[i].changed_by;
		e.source = rows[i].source;
		rc = s->host->emit_stage_event(s->host->ctx, &e, where, err);
		if (rc == SG_OK)
			sg_snapshot_stage_event(s->snapshot, &e);
	}
	free(rows);
	if (rc != SG_OK)
		sg_error_prefix(err, "deal %s, dealstage history: ",
				id);
	return rc;
}

/* A time field's value as the model's text: a date at midnight UTC as
 * YYYY-MM-DD, else full ISO-8601. */
static const char *hubspot_time_text(const char *value, char *buf,
				     struct sg_error *err, int *rc)
{
	sg_time t;

	buf[0] = '\0';
	*rc = hubspot_time(value, &t, err);
	if (*rc != SG_OK || t == SG_TIME_NONE)
		return buf;
	sg_time_format_iso(t, buf);
	if (strcmp(buf + 10, "T00:00:00Z") == 0)
		buf[10] = '\0';
	return buf;
}

static int hubspot_emit_changes(struct hubspot_state *s, json_t *deal,
				const char *id,
				const struct hubspot_field *f,
				const struct sg_where *where,
				struct sg_error *err)
{
	json_t *hist = hubspot_history(deal, f->property);
	size_t n = json_array_size(hist), i;
	char before[SG_TIME_ISO_SIZE], after[SG_TIME_ISO_SIZE];
	const char *old = "";
	int rc = SG_OK;

	for (i = n; i-- > 0 && rc == SG_OK;) {
		json_t *h = json_array_get(hist, i);
		const char *value = hubspot_str(h, "value");
		struct sg_rec_field_change c;

		c.opportunity_id = id;
		c.field = f->model;
		c.new_value = f->is_time ? hubspot_time_text(value, after,
							     err, &rc) :
					   value;
		c.old_value = old;
		if (rc == SG_OK)
			rc = hubspot_time(hubspot_str(h, "timestamp"),
					  &c.changed_at, err);
		if (rc == SG_OK)
			rc = s->host->emit_field_change(s->host->ctx, &c,
							where, err);
		if (rc == SG_OK)
			sg_snapshot_field_change(s->snapshot, &c);
		if (f->is_time) {
			memcpy(before, after, sizeof(before));
			old = before;
		} else {
			old = value;
		}
	}
	if (rc != SG_OK)
		sg_error_prefix(err, "deal %s, %s history: ", id,
				f->property);
	return rc;
}

int hubspot_emit_deals(struct hubspot_state *s, json_t *results,
		       struct sg_error *err)
{
	size_t i, k;
	int rc = SG_OK;

	for (i = 0; i < json_array_size(results) && rc == SG_OK; i++) {
		json_t *deal = json_array_get(results, i);
		const char *id = json_string_value(json_object_get(deal, "id"));
		const char *pipeline = hubspot_value(s, deal, "pipeline");
		struct sg_where where = { "hubspot deal", 0 };

		if (id == NULL)
			return sg_error_set(err, SG_ERR_SOURCE, ""
					    "deals, page %u: a deal without "
					    "an id", s->page + 1);
		/* Deals of other pipelines are not the pilot's. */
		if (pipeline[0] != '\0' &&
		    strcmp(pipeline, s->config->pipeline) != 0)
			continue;
		rc = hubspot_emit_deal(s, deal, id, &where, err);
		if (rc == SG_OK &&
		    json_object_set_new(s->deals, id, json_true()) != 0)
			rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		if (rc == SG_OK)
			rc = hubspot_emit_stages(s, deal, id, &where, err);
		if (rc == SG_OK)
			rc = hubspot_emit_deal_evidence(s, deal, id, err);
		for (k = 0; k < s->field_count && rc == SG_OK; k++)
			if (s->fields[k].history)
				rc = hubspot_emit_changes(s, deal, id,
							  &s->fields[k],
							  &where, err);
	}
	return rc;
}
