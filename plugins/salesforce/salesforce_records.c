/*
 * salesforce_records.c - Salesforce records as records of the common
 * model: Opportunity as an opportunity (the model's names, never
 * Salesforce's), OpportunityHistory as stage events (each row holds the
 * new stage only; the from-stage is the value before it, derived as for
 * the csv source; a row that repeats the stage because the amount or
 * close date changed is passed on, an event and not a move),
 * OpportunityFieldHistory as field changes or, for the fields mapped to
 * evidence criteria, evidence; User as owners (ManagerId: the reviewer);
 * Task, Event and EmailMessage as activities with a party by the rule in
 * docs/connectors/salesforce.md; a custom evidence object as evidence.
 */
#include "salesforce_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_stage_values.h"

/* What stageguard's own review tasks start with: never read back. */
#define SALESFORCE_TASK_MARK "stageguard review"

/* The model's fields and their standard Opportunity fields;
 * next_step_date and currency have none until the fields option maps
 * them (CurrencyIsoCode exists in multi-currency orgs only). */
static const struct salesforce_field salesforce_standard[] = {
	{ "name", "Name", 0, 0 },
	{ "stage", "StageName", 0, 0 },
	{ "owner_id", "OwnerId", 0, 0 },
	{ "amount", "Amount", 0, 0 },
	{ "currency", NULL, 0, 0 },
	{ "close_date", "CloseDate", 1, 0 },
	{ "forecast_category", "ForecastCategoryName", 0, 0 },
	{ "created_at", "CreatedDate", 1, 0 },
	{ "next_step", "NextStep", 0, 0 },
	{ "next_step_date", NULL, 1, 0 },
};

#define SALESFORCE_STANDARD \
	(sizeof(salesforce_standard) / sizeof(salesforce_standard[0]))

static int salesforce_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* --- Values. --- */

/* A number as the shortest decimal that reads back as the same double:
 * what Salesforce wrote, without the noise of printing a double. */
static void salesforce_number(double v, char *buf, size_t size)
{
	int digits;

	for (digits = 1; digits <= 17; digits++) {
		snprintf(buf, size, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (strchr(buf, 'e') != NULL && fabs(v) < 1e15)
		snprintf(buf, size, "%.0f", v);
}

const char *salesforce_text(json_t *record, const char *field, char *buf,
			    size_t size)
{
	const char *dot;
	json_t *v = record;
	char part[128];

	buf[0] = '\0';
	if (field == NULL)
		return buf;
	while ((dot = strchr(field, '.')) != NULL) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - field), field);
		v = json_object_get(v, part);
		field = dot + 1;
	}
	v = json_object_get(v, field);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		salesforce_number(json_real_value(v), buf, size);
	else if (json_is_boolean(v))
		snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
	return buf;
}

static const char *salesforce_str(json_t *record, const char *field)
{
	const char *v = json_string_value(json_object_get(record, field));

	return v != NULL ? v : "";
}

const char *salesforce_stage(const struct salesforce_state *s,
			     const char *value)
{
	const char *mapped = json_string_value(json_object_get(s->stage_map,
							       value));

	return mapped != NULL ? mapped : value;
}

/* ForecastCategoryName ("Best Case") as the model's word (best_case). */
static const char *salesforce_category(const char *name, char *buf,
				       size_t size)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < size; i++)
		buf[i] = name[i] == ' ' ? '_' :
			 (name[i] >= 'A' && name[i] <= 'Z') ?
			 (char)(name[i] - 'A' + 'a') : name[i];
	buf[i] = '\0';
	return buf;
}

/* An amount with the decimals its field has (Amount: 2), as the org
 * shows it: 5000.0 in the JSON is 5000.00. */
static const char *salesforce_amount(const struct salesforce_state *s,
				     const char *text, char *buf, size_t size)
{
	char *end;
	double v;

	if (text[0] == '\0')
		return text;
	v = strtod(text, &end);
	if (*end != '\0')
		return text;
	snprintf(buf, size, "%.*f", s->amount_scale, v);
	return buf;
}

/* --- Fields. --- */

static int salesforce_field_add(struct salesforce_state *s,
				const struct salesforce_field *f)
{
	struct salesforce_field *grown;

	if (f->field == NULL)
		return 0;
	grown = realloc(s->fields, (s->field_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	s->fields = grown;
	s->fields[s->field_count++] = *f;
	return salesforce_append(&s->opportunity_query, ", ") != 0 ||
	       salesforce_append(&s->opportunity_query, f->field) != 0 ?
	       -1 : 0;
}

static const struct salesforce_field *salesforce_field(
	const struct salesforce_state *s, const char *model)
{
	size_t i;

	for (i = 0; i < s->field_count; i++)
		if (strcmp(s->fields[i].model, model) == 0)
			return &s->fields[i];
	return NULL;
}

static int salesforce_is_standard(const char *name)
{
	size_t i;

	for (i = 0; i < SALESFORCE_STANDARD; i++)
		if (strcmp(salesforce_standard[i].model, name) == 0)
			return 1;
	return 0;
}

/* The Opportunity fields asked for, and the SOQL that asks. */
int salesforce_fields_init(struct salesforce_state *s, struct sg_error *err)
{
	const char *name;
	json_t *value;
	char *where = NULL;
	size_t i;
	int failed, rc;

	json_object_foreach(s->option_fields, name, value) {
		const char *f = json_string_value(value);

		if (!salesforce_soql_is_field(f))
			return sg_error_set(err, SG_ERR_CONFIG, "fields.%s: "
					    "\"%.80s\" is no field name", name,
					    f ? f : "");
		/* A relationship path is checked by the query itself. */
		if (strchr(f, '.') == NULL &&
		    json_object_get(s->opportunity_fields, f) == NULL)
			return sg_error_set(err, SG_ERR_CONFIG, "fields.%s: "
					    "Opportunity has no field %s (or "
					    "the integration user cannot see "
					    "it: check its field-level "
					    "security)", name, f);
	}
	failed = salesforce_append(&s->opportunity_query, "SELECT Id") != 0;
	for (i = 0; i < SALESFORCE_STANDARD && !failed; i++) {
		struct salesforce_field f = salesforce_standard[i];
		json_t *mapped = json_object_get(s->option_fields, f.model);

		if (json_is_string(mapped))
			f.field = json_string_value(mapped);
		/* A multi-currency org says each amount's currency. */
		else if (strcmp(f.model, "currency") == 0 &&
			 json_object_get(s->opportunity_fields,
					 "CurrencyIsoCode") != NULL)
			f.field = "CurrencyIsoCode";
		failed = salesforce_field_add(s, &f) != 0;
	}
	json_object_foreach(s->option_fields, name, value) {
		struct salesforce_field f = { name, json_string_value(value),
					      0, 1 };

		if (failed || salesforce_is_standard(name))
			continue;
		if (!json_is_string(value))
			return sg_error_set(err, SG_ERR_CONFIG, "fields.%s: "
					    "expected a field name", name);
		failed = salesforce_field_add(s, &f) != 0;
	}
	if (failed || salesforce_append(&s->opportunity_query,
					" FROM Opportunity") != 0)
		return salesforce_nomem(err);
	rc = salesforce_soql_filter(s->filter, &where, err);
	if (rc != SG_OK)
		return rc;
	if (where[0] != '\0' &&
	    (salesforce_append(&s->opportunity_query, " WHERE ") != 0 ||
	     salesforce_append(&s->opportunity_query, where) != 0))
		rc = salesforce_nomem(err);
	free(where);
	if (rc == SG_OK && salesforce_append(&s->opportunity_query,
					     " ORDER BY Id") != 0)
		rc = salesforce_nomem(err);
	return rc;
}

/* --- Owners. --- */

int salesforce_emit_users(struct salesforce_state *s, json_t *records,
			  struct sg_error *err)
{
	json_t *u;
	size_t i;

	json_array_foreach(records, i, u) {
		struct sg_rec_owner o;

		o.id = salesforce_str(u, "Id");
		o.name = salesforce_str(u, "Name");
		o.email = salesforce_str(u, "Email");
		o.manager_id = salesforce_str(u, "ManagerId");
		o.team = salesforce_str(u, "Department");
		if (o.id[0] == '\0')
			return sg_error_set(err, SG_ERR_SOURCE, "users, page "
					    "%u: a user without an Id",
					    s->page + 1);
		/* An automated process speaks for no one: its activity is
		 * the system's. */
		if (strcmp(salesforce_str(u, "UserType"), "AutomatedProcess")
		    == 0)
			json_object_set_new(s->system_users, o.id,
					    json_true());
		if (s->host->emit_owner(s->host->ctx, &o, NULL, err) != SG_OK)
			return err->code;
		sg_snapshot_owner(s->snapshot, &o);
	}
	return SG_OK;
}

/* --- Opportunities. --- */

static int salesforce_opportunity_time(const struct salesforce_state *s,
				       json_t *r, const char *model,
				       sg_time *out, struct sg_error *err)
{
	const struct salesforce_field *f = salesforce_field(s, model);
	char buf[64];
	int rc = salesforce_time(f != NULL ? salesforce_text(
		r, f->field, buf, sizeof(buf)) : "", out, err);

	if (rc != SG_OK)
		sg_error_prefix(err, "opportunity %s, %s: ",
				salesforce_str(r, "Id"), f->field);
	return rc;
}

static const char *salesforce_value(const struct salesforce_state *s,
				    json_t *r, const char *model, char *buf,
				    size_t size)
{
	const struct salesforce_field *f = salesforce_field(s, model);

	buf[0] = '\0';
	return f != NULL ? salesforce_text(r, f->field, buf, size) : buf;
}

static int salesforce_emit_opportunity(struct salesforce_state *s, json_t *r,
				       struct sg_error *err)
{
	struct sg_rec_opportunity o;
	char name[64], stage[64], owner[64], amount[64], currency[64];
	char category[64], step[64], cat[64];
	struct sg_field *extra;
	char (*bufs)[64];
	size_t i, n = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	o.id = salesforce_str(r, "Id");
	if (o.id[0] == '\0')
		return sg_error_set(err, SG_ERR_SOURCE, "opportunities, page "
				    "%u: a record without an Id", s->page + 1);
	o.name = salesforce_value(s, r, "name", name, sizeof(name));
	o.pipeline = s->rules_pipeline;
	o.stage = salesforce_stage(s, salesforce_value(s, r, "stage", stage,
						       sizeof(stage)));
	o.owner_id = salesforce_value(s, r, "owner_id", owner, sizeof(owner));
	o.amount = salesforce_amount(s, salesforce_value(s, r, "amount",
							 amount,
							 sizeof(amount)),
				     amount, sizeof(amount));
	o.currency = salesforce_value(s, r, "currency", currency,
				      sizeof(currency));
	if (o.currency[0] == '\0' && salesforce_field(s, "currency") == NULL)
		o.currency = s->org_currency;
	o.forecast_category = salesforce_category(salesforce_value(
		s, r, "forecast_category", category, sizeof(category)), cat,
		sizeof(cat));
	o.next_step = salesforce_value(s, r, "next_step", step, sizeof(step));
	rc = salesforce_opportunity_time(s, r, "close_date", &o.close_date,
					 err);
	if (rc == SG_OK)
		rc = salesforce_opportunity_time(s, r, "created_at",
						 &o.created_at, err);
	if (rc == SG_OK)
		rc = salesforce_opportunity_time(s, r, "next_step_date",
						 &o.next_step_date, err);
	if (rc != SG_OK)
		return rc;
	extra = calloc(s->field_count + 1, sizeof(*extra));
	bufs = calloc(s->field_count + 1, sizeof(*bufs));
	if (extra == NULL || bufs == NULL) {
		free(extra);
		free(bufs);
		return salesforce_nomem(err);
	}
	for (i = 0; i < s->field_count; i++)
		if (s->fields[i].extra) {
			extra[n].name = s->fields[i].model;
			extra[n].value = salesforce_text(r, s->fields[i].field,
							 bufs[n], sizeof(bufs[n]));
			n++;
		}
	o.extra = extra;
	o.extra_count = n;
	rc = s->host->emit_opportunity(s->host->ctx, &o, NULL, err);
	if (rc == SG_OK)
		sg_snapshot_opportunity(s->snapshot, &o);
	if (rc == SG_OK && json_object_set_new(s->opportunities, o.id,
					       json_true()) != 0)
		rc = salesforce_nomem(err);
	free(extra);
	free(bufs);
	return rc;
}

int salesforce_emit_opportunities(struct salesforce_state *s,
				  json_t *records, struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	for (i = 0; i < json_array_size(records) && rc == SG_OK; i++)
		rc = salesforce_emit_opportunity(s, json_array_get(records, i),
						 err);
	return rc;
}

/* --- Stage history. --- */

/*
 * A stage event needs the stage before it, so rows are gathered before
 * they are emitted: one opportunity's at a time from a REST query (its
 * ORDER BY groups them), the whole query's from a Bulk job (whose
 * results come in no order), then sorted by opportunity, time and, in
 * one second, the order the API gave (REST) or the row's Id (Bulk, as
 * REST's ORDER BY ... CreatedDate, Id would).
 */
struct salesforce_stage_row {
	struct sg_stage_value v;        /* first, for sg_stage_values */
	const char *id, *changed_by;
	char *text;                     /* owns all four strings */
};

struct salesforce_stage_rows {
	struct salesforce_stage_row *rows;
	size_t count, cap, seq;
};

static void salesforce_rows_clear(struct salesforce_stage_rows *r)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		free(r->rows[i].text);
	r->count = 0;
}

void salesforce_rows_free(struct salesforce_stage_rows *r)
{
	if (r == NULL)
		return;
	salesforce_rows_clear(r);
	free(r->rows);
	free(r);
}

static int salesforce_row_by_id(const void *a, const void *b)
{
	const struct salesforce_stage_row *x = a, *y = b;
	int c = strcmp(x->v.opportunity_id, y->v.opportunity_id);

	if (c != 0)
		return c;
	if (x->v.at != y->v.at)
		return x->v.at < y->v.at ? -1 : 1;
	return strcmp(x->id, y->id);
}

const char *salesforce_history_pending(const struct salesforce_state *s)
{
	return s->rows != NULL && s->rows->count > 0 ?
	       s->rows->rows[0].v.opportunity_id : NULL;
}

int salesforce_history_flush(struct salesforce_state *s,
			     struct sg_error *err)
{
	struct salesforce_stage_rows *r = s->rows;
	size_t i;
	int rc = SG_OK;

	if (r == NULL || r->count == 0)
		return SG_OK;
	if (s->bulk_on)
		qsort(r->rows, r->count, sizeof(*r->rows),
		      salesforce_row_by_id);
	else
		sg_stage_values_sort(r->rows, r->count, sizeof(*r->rows));
	for (i = 0; i < r->count && rc == SG_OK; i++) {
		struct sg_rec_stage_event e;

		e.opportunity_id = r->rows[i].v.opportunity_id;
		e.from_stage = sg_stage_value_from(r->rows, sizeof(*r->rows),
						   i);
		e.to_stage = r->rows[i].v.stage;
		e.changed_at = r->rows[i].v.at;
		e.changed_by = r->rows[i].changed_by;
		e.source = "";
		rc = s->host->emit_stage_event(s->host->ctx, &e, NULL, err);
		if (rc == SG_OK)
			sg_snapshot_stage_event(s->snapshot, &e);
	}
	salesforce_rows_clear(r);
	return rc;
}

/* The row's four strings in one block: a million rows of a Bulk job
 * are held at once. */
static int salesforce_row_fill(struct salesforce_stage_row *row,
			       const char *opp, const char *stage,
			       const char *id, const char *by)
{
	size_t lo = strlen(opp) + 1, ls = strlen(stage) + 1;
	size_t li = strlen(id) + 1, lb = strlen(by) + 1;
	char *t = malloc(lo + ls + li + lb);

	if (t == NULL)
		return -1;
	row->text = t;
	row->v.opportunity_id = memcpy(t, opp, lo);
	row->v.stage = memcpy(t + lo, stage, ls);
	row->id = memcpy(t + lo + ls, id, li);
	row->changed_by = memcpy(t + lo + ls + li, by, lb);
	return 0;
}

static int salesforce_history_row(struct salesforce_state *s, json_t *h,
				  struct sg_error *err)
{
	struct salesforce_stage_rows *r = s->rows;
	const char *opp = salesforce_str(h, "OpportunityId");
	struct salesforce_stage_row *row;
	sg_time at;
	int rc;

	if (json_object_get(s->opportunities, opp) == NULL)
		return SG_OK;   /* not the pilot's */
	rc = salesforce_time(salesforce_str(h, "CreatedDate"), &at, err);
	if (rc != SG_OK)
		return sg_error_prefix(err, "OpportunityHistory %s: "
				       "CreatedDate: ", salesforce_str(h, "Id"));
	if (!s->bulk_on && r->count > 0 &&
	    strcmp(r->rows[0].v.opportunity_id, opp) != 0) {
		rc = salesforce_history_flush(s, err);
		if (rc != SG_OK)
			return rc;
	}
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct salesforce_stage_row *grown =
			realloc(r->rows, cap * sizeof(*grown));

		if (grown == NULL)
			return salesforce_nomem(err);
		r->rows = grown;
		r->cap = cap;
	}
	row = &r->rows[r->count];
	memset(row, 0, sizeof(*row));
	if (salesforce_row_fill(row, opp, salesforce_stage(
		    s, salesforce_str(h, "StageName")), salesforce_str(h, "Id"),
		    salesforce_str(h, "CreatedById")) != 0)
		return salesforce_nomem(err);
	row->v.at = at;
	row->v.seq = r->seq++;
	r->count++;
	return SG_OK;
}

int salesforce_emit_history(struct salesforce_state *s, json_t *records,
			    struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	if (s->rows == NULL && (s->rows = calloc(1, sizeof(*s->rows))) == NULL)
		return salesforce_nomem(err);
	for (i = 0; i < json_array_size(records) && rc == SG_OK; i++)
		rc = salesforce_history_row(s, json_array_get(records, i), err);
	return rc;
}

/* --- Field history: field changes, or evidence. --- */

/* Who a change came from, as evidence: one of buyer_users is the buyer,
 * an automation the system's (unknown as evidence), a user the seller. */
static int salesforce_change_party(const struct salesforce_state *s,
				   const char *user)
{
	if (json_object_get(s->buyer_users, user) != NULL)
		return SG_PARTY_BUYER;
	if (json_object_get(s->system_users, user) != NULL)
		return SG_PARTY_UNKNOWN;
	return SG_PARTY_SELLER;
}

/* A date or datetime value as the model's text: a date as it is, a
 * datetime as UTC ISO-8601. */
static const char *salesforce_time_text(const char *value, char *buf,
					size_t size, struct sg_error *err,
					int *rc)
{
	sg_time t;

	*rc = SG_OK;
	if (strlen(value) <= 10)
		return value;
	*rc = salesforce_time(value, &t, err);
	if (*rc != SG_OK || t == SG_TIME_NONE || size < SG_TIME_ISO_SIZE)
		return "";
	return sg_time_format_iso(t, buf);
}

static int salesforce_field_change(struct salesforce_state *s, json_t *h,
				   const struct salesforce_field *f,
				   struct sg_error *err)
{
	char old[256], new_[256], t1[SG_TIME_ISO_SIZE], t2[SG_TIME_ISO_SIZE];
	struct sg_rec_field_change c;
	int rc = SG_OK;

	c.opportunity_id = salesforce_str(h, "OpportunityId");
	c.field = f->model;
	c.old_value = salesforce_text(h, "OldValue", old, sizeof(old));
	c.new_value = salesforce_text(h, "NewValue", new_, sizeof(new_));
	if (strcmp(f->model, "amount") == 0) {
		c.old_value = salesforce_amount(s, c.old_value, old,
						sizeof(old));
		c.new_value = salesforce_amount(s, c.new_value, new_,
						sizeof(new_));
	}
	if (f->is_time) {
		c.old_value = salesforce_time_text(c.old_value, t1, sizeof(t1),
						   err, &rc);
		if (rc == SG_OK)
			c.new_value = salesforce_time_text(c.new_value, t2,
							   sizeof(t2), err,
							   &rc);
	}
	if (rc == SG_OK)
		rc = salesforce_time(salesforce_str(h, "CreatedDate"),
				     &c.changed_at, err);
	if (rc != SG_OK)
		return sg_error_prefix(err, "OpportunityFieldHistory %s: ",
				       salesforce_str(h, "Id"));
	rc = s->host->emit_field_change(s->host->ctx, &c, NULL, err);
	if (rc == SG_OK)
		sg_snapshot_field_change(s->snapshot, &c);
	return rc;
}

static int salesforce_field_evidence(struct salesforce_state *s, json_t *h,
				     const char *criterion,
				     struct sg_error *err)
{
	char value[256];
	struct sg_rec_evidence e;
	int rc;

	e.opportunity_id = salesforce_str(h, "OpportunityId");
	e.criterion = criterion;
	e.value = salesforce_text(h, "NewValue", value, sizeof(value));
	e.party = salesforce_change_party(s, salesforce_str(h, "CreatedById"));
	e.ref = salesforce_str(h, "Field");
	rc = salesforce_time(salesforce_str(h, "CreatedDate"), &e.observed_at,
			     err);
	if (rc != SG_OK)
		return sg_error_prefix(err, "OpportunityFieldHistory %s: ",
				       salesforce_str(h, "Id"));
	rc = s->host->emit_evidence(s->host->ctx, &e, NULL, err);
	if (rc == SG_OK)
		sg_snapshot_evidence(s->snapshot, &e);
	return rc;
}

int salesforce_emit_field_history(struct salesforce_state *s,
				  json_t *records, struct sg_error *err)
{
	const char *criterion;
	json_t *h, *field;
	size_t i, k;
	int rc = SG_OK;

	json_array_foreach(records, i, h) {
		const char *name = salesforce_str(h, "Field");

		if (rc != SG_OK)
			break;
		if (json_object_get(s->opportunities, salesforce_str(
			    h, "OpportunityId")) == NULL)
			continue;
		json_object_foreach(s->evidence_fields, criterion, field)
			if (rc == SG_OK &&
			    strcmp(json_string_value(field), name) == 0)
				rc = salesforce_field_evidence(s, h, criterion,
							       err);
		for (k = 0; k < s->field_count && rc == SG_OK; k++)
			if (strcmp(s->fields[k].field, name) == 0 &&
			    strcmp(s->fields[k].model, "stage") != 0)
				rc = salesforce_field_change(s, h,
							     &s->fields[k],
							     err);
	}
	return rc;
}

/* --- Activities. --- */

static int salesforce_user_party(const struct salesforce_state *s,
				 json_t *r)
{
	const char *owner = salesforce_str(r, "OwnerId");
	const char *creator = salesforce_str(r, "CreatedById");

	if (json_object_get(s->system_users, creator) != NULL ||
	    json_object_get(s->system_users, owner) != NULL)
		return SG_PARTY_SYSTEM;
	if (json_object_get(s->buyer_users, creator) != NULL)
		return SG_PARTY_BUYER;
	return SG_PARTY_SELLER;
}

static int salesforce_activity(struct salesforce_state *s,
			       struct sg_rec_activity *a, const char *when,
			       const char *what, struct sg_error *err)
{
	int rc;

	if (json_object_get(s->opportunities, a->opportunity_id) == NULL)
		return SG_OK;
	rc = salesforce_time(when, &a->occurred_at, err);
	if (rc != SG_OK)
		return sg_error_prefix(err, "%s %s: ", what, a->id);
	rc = s->host->emit_activity(s->host->ctx, a, NULL, err);
	if (rc == SG_OK)
		sg_snapshot_activity(s->snapshot, a);
	return rc;
}

int salesforce_emit_tasks(struct salesforce_state *s, json_t *records,
			  struct sg_error *err)
{
	json_t *t;
	size_t i;
	int rc = SG_OK;

	json_array_foreach(records, i, t) {
		const char *subtype = salesforce_str(t, "TaskSubtype");
		const char *when = salesforce_str(t, "CompletedDateTime");
		struct sg_rec_activity a;

		if (rc != SG_OK)
			break;
		/* An email is read as its EmailMessage, which says which
		 * way it went (the Task's contact is there both ways). */
		if (strcmp(subtype, "Email") == 0 ||
		    strncmp(salesforce_str(t, "Subject"), SALESFORCE_TASK_MARK,
			    strlen(SALESFORCE_TASK_MARK)) == 0)
			continue;
		memset(&a, 0, sizeof(a));
		a.id = salesforce_str(t, "Id");
		a.opportunity_id = salesforce_str(t, "WhatId");
		a.type = strcmp(subtype, "Call") == 0 ? SG_ACT_CALL :
							SG_ACT_TASK;
		a.party = a.type == SG_ACT_CALL ?
			(strcmp(salesforce_str(t, "CallType"), "Inbound") == 0 ?
			 SG_PARTY_BUYER : salesforce_user_party(s, t)) :
			salesforce_user_party(s, t);
		a.actor = salesforce_str(t, "OwnerId");
		a.subject = salesforce_str(t, "Subject");
		if (when[0] == '\0')
			when = salesforce_str(t, "ActivityDate");
		if (when[0] == '\0')
			when = salesforce_str(t, "CreatedDate");
		rc = salesforce_activity(s, &a, when, "Task", err);
	}
	return rc;
}

int salesforce_emit_events(struct salesforce_state *s, json_t *records,
			   struct sg_error *err)
{
	json_t *e;
	size_t i;
	int rc = SG_OK;

	json_array_foreach(records, i, e) {
		const char *when = salesforce_str(e, "ActivityDateTime");
		struct sg_rec_activity a;

		if (rc != SG_OK)
			break;
		memset(&a, 0, sizeof(a));
		a.id = salesforce_str(e, "Id");
		a.opportunity_id = salesforce_str(e, "WhatId");
		a.type = SG_ACT_MEETING;
		a.party = salesforce_user_party(s, e);
		a.actor = salesforce_str(e, "OwnerId");
		a.subject = salesforce_str(e, "Subject");
		if (when[0] == '\0')
			when = salesforce_str(e, "StartDateTime");
		rc = salesforce_activity(s, &a, when, "Event", err);
	}
	return rc;
}

int salesforce_emit_emails(struct salesforce_state *s, json_t *records,
			   struct sg_error *err)
{
	json_t *m;
	size_t i;
	int rc = SG_OK;

	json_array_foreach(records, i, m) {
		struct sg_rec_activity a;

		if (rc != SG_OK)
			break;
		memset(&a, 0, sizeof(a));
		a.id = salesforce_str(m, "Id");
		a.opportunity_id = salesforce_str(m, "RelatedToId");
		a.type = SG_ACT_EMAIL;
		a.party = json_is_true(json_object_get(m, "Incoming")) ?
			  SG_PARTY_BUYER : salesforce_user_party(s, m);
		a.actor = salesforce_str(m, "FromAddress");
		a.subject = salesforce_str(m, "Subject");
		rc = salesforce_activity(s, &a, salesforce_str(m,
							       "MessageDate"),
					 "EmailMessage", err);
	}
	return rc;
}

/* --- Evidence as a custom object. --- */

static const char *salesforce_ev(const struct salesforce_state *s,
				 const char *part)
{
	return json_string_value(json_object_get(s->evidence_object, part));
}

int salesforce_emit_evidence(struct salesforce_state *s, json_t *records,
			     struct sg_error *err)
{
	char b[6][256];
	json_t *r;
	size_t i;
	int rc = SG_OK;

	json_array_foreach(records, i, r) {
		struct sg_rec_evidence e;
		const char *party;

		if (rc != SG_OK)
			break;
		memset(&e, 0, sizeof(e));
		e.opportunity_id = salesforce_text(r, salesforce_ev(
			s, "opportunity"), b[0], sizeof(b[0]));
		if (json_object_get(s->opportunities, e.opportunity_id) == NULL)
			continue;
		e.criterion = salesforce_text(r, salesforce_ev(s, "criterion"),
					      b[1], sizeof(b[1]));
		e.value = salesforce_text(r, salesforce_ev(s, "value"), b[2],
					  sizeof(b[2]));
		e.ref = salesforce_text(r, salesforce_ev(s, "ref"), b[3],
					sizeof(b[3]));
		party = salesforce_text(r, salesforce_ev(s, "party"), b[4],
					sizeof(b[4]));
		if (sg_party_from_text(party, strlen(party), 1, &e.party) != 0)
			return sg_error_set(err, SG_ERR_SOURCE, "%s %s: party "
					    "\"%.40s\" is not one of %s",
					    salesforce_ev(s, "object"),
					    salesforce_str(r, "Id"), party,
					    sg_party_expected(1));
		rc = salesforce_time(salesforce_text(r, salesforce_ev(
			s, "observed_at"), b[5], sizeof(b[5])),
			&e.observed_at, err);
		if (rc == SG_OK)
			rc = s->host->emit_evidence(s->host->ctx, &e, NULL,
						    err);
		if (rc == SG_OK)
			sg_snapshot_evidence(s->snapshot, &e);
	}
	return rc;
}
