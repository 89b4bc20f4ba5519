/*
 * sg_exception.c - what an exception says to people: its contract names
 * and verdict, its routing (DESIGN §6), its review note and its JSON
 * object (DESIGN §8).
 */
#include "sg_exception.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_decimal.h"
#include "util/sg_missing.h"

static const char *const exc_type_names[SG_EX_TYPE_COUNT] = {
	"missing_evidence", "required_field", "skipped_stage", "regression",
	"seller_only", "forecast_impact", "stage_age", "no_next_step",
	"data_quality"
};

static const int exc_type_verdicts[SG_EX_TYPE_COUNT] = {
	SG_VERDICT_BLOCK, SG_VERDICT_BLOCK, SG_VERDICT_REVIEW,
	SG_VERDICT_REVIEW, SG_VERDICT_REVIEW, SG_VERDICT_REVIEW,
	SG_VERDICT_FLAG, SG_VERDICT_FLAG, SG_VERDICT_PAUSE
};

static const char *const exc_verdict_names[] = {
	"allow", "flag", "review", "block", "pause"
};

const char *sg_exception_type_name(int type)
{
	if (type < 0 || type >= SG_EX_TYPE_COUNT)
		return "unknown";
	return exc_type_names[type];
}

const char *sg_verdict_name(int verdict)
{
	if (verdict < SG_VERDICT_ALLOW || verdict > SG_VERDICT_PAUSE)
		return "unknown";
	return exc_verdict_names[verdict];
}

int sg_exception_type_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < SG_EX_TYPE_COUNT; i++)
		if (strcmp(name, exc_type_names[i]) == 0)
			return i;
	return -1;
}

int sg_exception_type_verdict(int type)
{
	if (type < 0 || type >= SG_EX_TYPE_COUNT)
		return SG_VERDICT_ALLOW;
	return exc_type_verdicts[type];
}

/* --- Routing. --- */

static const struct sg_owner *exc_owner(const struct sg_model *model,
					const struct sg_opportunity *o)
{
	sg_sym id;

	if (o->owner_id == NULL || o->owner_id[0] == '\0')
		return NULL;
	id = sg_model_lookup(model, o->owner_id);
	if (id == 0)
		return NULL;
	return sg_model_owner(model, id);
}

void sg_exception_route(const struct sg_exception *ex,
			const struct sg_model *model, sg_time detected_at,
			struct sg_routing *out)
{
	struct sg_model_view v;
	const struct sg_owner *owner;
	const char *manager = NULL;

	sg_model_view(model, &v);
	owner = exc_owner(model, &v.opps[ex->opp]);
	if (owner != NULL && owner->manager_id != 0)
		manager = sg_model_str(model, owner->manager_id);
	if (manager == NULL || manager[0] == '\0')
		manager = v.config->default_assignee ?
			  v.config->default_assignee : "revops";
	out->assignee = manager;
	out->detected_at = detected_at;
	out->due_at = detected_at + v.config->review_sla_seconds;
}

/* --- A growing text. --- */

struct exc_buf {
	char *s;
	size_t len, cap;
	int failed;
};

static void exc_add(struct exc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void exc_add(struct exc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap : 256;
			char *s;

			while (cap - b->len <= (size_t)n)
				cap *= 2;
			s = realloc(b->s, cap);
			if (s == NULL) {
				b->failed = 1;
				return;
			}
			b->s = s;
			b->cap = cap;
		}
	}
}

/* Appends n bytes of s (no formatting: most of a note is fixed text). */
static void exc_putn(struct exc_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->cap - b->len <= n) {
		size_t cap = b->cap ? b->cap : 256;
		char *grown;

		while (cap - b->len <= n)
			cap *= 2;
		grown = realloc(b->s, cap);
		if (grown == NULL) {
			b->failed = 1;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void exc_put(struct exc_buf *b, const char *s)
{
	exc_putn(b, s, strlen(s));
}

/* --- Reading the exception back against the model and config. --- */

struct exc_view {
	const struct sg_model *m;
	struct sg_model_view v;
	const struct sg_config *c;
	const struct sg_opportunity *o;
	int from_i, to_i, stage_i;
};

static int exc_stage_of(const struct exc_view *x, sg_sym sym)
{
	const char *t;

	if (sym == 0)
		return SG_NO_STAGE;
	t = sg_model_str(x->m, sym);
	return sg_config_stage_index(x->c, t, strlen(t));
}

static void exc_view_init(struct exc_view *x, const struct sg_exception *ex,
			  const struct sg_model *model)
{
	x->m = model;
	sg_model_view(model, &x->v);
	x->c = x->v.config;
	x->o = &x->v.opps[ex->opp];
	x->from_i = exc_stage_of(x, ex->from_stage);
	x->to_i = exc_stage_of(x, ex->to_stage);
	x->stage_i = ex->is_move ? x->to_i : x->o->stage_index;
}

/* The stage text of an exception's stage field (rule 25). */
static const char *exc_stage_text(const struct exc_view *x,
				  const struct sg_exception *ex)
{
	if (ex->is_move)
		return sg_model_str(x->m, ex->to_stage);
	return x->o->stage ? x->o->stage : "";
}

static const char *exc_label(const struct exc_view *x, int index,
			     const char *text)
{
	if (index != SG_NO_STAGE && index >= 0 &&
	    (size_t)index < x->c->stage_count)
		return x->c->stages[index].label ? x->c->stages[index].label :
		       x->c->stages[index].id;
	return text && text[0] ? text : "an unknown stage";
}

/* "a", "a and b", "a, b and c". */
static void exc_add_item(struct exc_buf *b, size_t i, size_t n,
			 const char *item)
{
	if (i > 0)
		exc_put(b, i + 1 == n ? " and " : ", ");
	exc_put(b, item);
}

static void exc_add_criteria(struct exc_buf *b, const struct exc_view *x,
			     const uint32_t *list, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		const struct sg_criterion *cr = &x->c->criteria[list[i]];

		exc_add_item(b, i, n, cr->label ? cr->label : cr->id);
	}
}

static void exc_add_time(struct exc_buf *b, sg_time t)
{
	char iso[SG_TIME_ISO_SIZE];

	sg_time_format_iso(t, iso);
	/* "2026-11-02T12:00:00Z" reads as "2026-11-02 12:00 UTC". */
	if (strlen(iso) == 20) {
		exc_putn(b, iso, 10);
		exc_putn(b, " ", 1);
		exc_putn(b, iso + 11, 5);
		exc_putn(b, " UTC", 4);
	} else {
		exc_add(b, "%.10s %.5s UTC", iso, iso + 11);
	}
}

/* "20.3": a count of tenths as "%lld.%lld" prints it. */
static void exc_put_tenths(struct exc_buf *b, int64_t tenths)
{
	char digits[24];
	size_t at = sizeof(digits);
	uint64_t whole;

	if (tenths < 0) {
		exc_add(b, "%lld.%lld", (long long)(tenths / 10),
			(long long)(tenths % 10));
		return;
	}
	digits[--at] = (char)('0' + tenths % 10);
	digits[--at] = '.';
	whole = (uint64_t)(tenths / 10);
	do {
		digits[--at] = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole > 0);
	exc_putn(b, digits + at, sizeof(digits) - at);
}

static void exc_add_days(struct exc_buf *b, double days)
{
	if (days == (double)(long long)days)
		exc_add(b, "%lld day%s", (long long)days,
			days == 1 ? "" : "s");
	else
		exc_add(b, "%g days", days);
}

/* When the opportunity entered its current stage at as-of (rule 15). */
static sg_time exc_entered(const struct exc_view *x, sg_time as_of)
{
	const struct sg_stage_event *ev = x->v.events + x->o->event_first;
	uint32_t i;
	sg_time entered = SG_TIME_NONE;
	sg_sym cur = 0;

	for (i = 0; i < x->o->event_count; i++) {
		if (ev[i].changed_at > as_of)
			break;
		if (i == 0 || ev[i].to_stage != cur) {
			cur = ev[i].to_stage;
			entered = ev[i].changed_at;
		}
	}
	return entered;
}

static const char *const exc_dq_phrases[SG_DQ_REASON_COUNT] = {
	"a stage that is not in the rules",
	"no stage history",
	"a current stage that differs from its last stage change",
	"a stage change after the check time",
	"a stage change more than a minute before it was created",
	"stage history that contradicts itself",
	"no owner",
	"two different records with the same id"
};

static void exc_note_finding(struct exc_buf *b, const struct exc_view *x,
			     const struct sg_exception *ex)
{
	const char *from = exc_label(x, x->from_i,
				     sg_model_str(x->m, ex->from_stage));
	const char *to = exc_label(x, x->to_i,
				   sg_model_str(x->m, ex->to_stage));
	uint32_t i;
	int r, k;

	switch (ex->type) {
	case SG_EX_MISSING_EVIDENCE:
		exc_put(b, " Evidence missing: ");
		exc_add_criteria(b, x, ex->list, ex->list_count);
		exc_put(b, ".");
		if (ex->list2_count > 0) {
			exc_put(b, " Evidence present: ");
			exc_add_criteria(b, x, ex->list2, ex->list2_count);
			exc_put(b, ".");
		} else {
			exc_put(b, " None of the required evidence is on "
				"record.");
		}
		break;
	case SG_EX_REQUIRED_FIELD:
		exc_add(b, " %s requires fields that were missing at the "
			"move: ", to);
		for (i = 0; i < ex->list_count; i++) {
			const char *f = "?";

			if (x->to_i != SG_NO_STAGE &&
			    ex->list[i] <
			    x->c->stages[x->to_i].required_field_count)
				f = x->c->stages[x->to_i]
					    .required_fields[ex->list[i]];
			exc_add_item(b, i, ex->list_count, f);
		}
		exc_put(b, ".");
		break;
	case SG_EX_SKIPPED_STAGE:
		exc_put(b, " The move passed over ");
		for (i = 0; i < ex->list_count; i++)
			exc_add_item(b, i, ex->list_count,
				     exc_label(x, (int)ex->list[i], NULL));
		exc_put(b, ".");
		break;
	case SG_EX_REGRESSION:
		if (x->from_i != SG_NO_STAGE &&
		    x->c->stages[x->from_i].closed)
			exc_add(b, " This reopens a deal that was %s.", from);
		else
			exc_add(b, " This moves the deal back from %s to "
				"%s.", from, to);
		break;
	case SG_EX_SELLER_ONLY:
		exc_add(b, " Between entering %s and this move the buyer "
			"logged no activity and gave no evidence; the seller "
			"logged %u activit%s.", from, ex->seller_activities,
			ex->seller_activities == 1 ? "y" : "ies");
		break;
	case SG_EX_FORECAST_IMPACT:
		exc_add(b, " The forecast category changes from %s to %s",
			ex->from_category ? ex->from_category : "none",
			ex->to_category ? ex->to_category : "none");
		if (ex->amount != NULL)
			exc_add(b, ", for an amount of %s%s%s.", ex->amount,
				ex->currency ? " " : "",
				ex->currency ? ex->currency : "");
		else
			exc_put(b, "; no amount was recorded at the move.");
		break;
	case SG_EX_STAGE_AGE:
		exc_put(b, " It entered ");
		exc_put(b, exc_label(x, x->stage_i, exc_stage_text(x, ex)));
		exc_put(b, " on ");
		exc_add_time(b, ex->event_at);
		exc_put(b, " and has been there ");
		exc_put_tenths(b, ex->age_tenths);
		exc_put(b, " days, over its limit of ");
		exc_add_days(b, ex->max_age_days);
		exc_put(b, ".");
		break;
	case SG_EX_NO_NEXT_STEP:
		if (ex->next_step_reason == SG_NNS_MISSING) {
			exc_put(b, " It has no next step.");
		} else {
			char date[16];

			sg_time_format_date(x->o->next_step_date, date);
			exc_add(b, " Its next step \"%s\" was due on %s.",
				x->o->next_step ? x->o->next_step : "",
				date);
		}
		break;
	case SG_EX_DATA_QUALITY:
		exc_put(b, " Its data cannot be trusted: it has ");
		for (r = 0, k = 0; r < SG_DQ_REASON_COUNT; r++)
			if (ex->dq_reasons & (1u << r))
				k++;
		for (r = 0, i = 0; r < SG_DQ_REASON_COUNT; r++) {
			if (!(ex->dq_reasons & (1u << r)))
				continue;
			exc_add_item(b, i++, (size_t)k, exc_dq_phrases[r]);
		}
		exc_put(b, ". No other check ran on it.");
		break;
	default:
		break;
	}
}

/* For a move judged by another check: its forecast impact, if any. */
static void exc_note_forecast(struct exc_buf *b, const struct exc_view *x,
			      const struct sg_exception *ex)
{
	const struct sg_config *c = x->c;
	const char *fc, *tc, *amount, *currency;
	char scratch[SG_TIME_ISO_SIZE + 11], cur[64];
	size_t len;

	if (!ex->is_move || ex->from_stage == 0 ||
	    ex->type == SG_EX_FORECAST_IMPACT || x->from_i == SG_NO_STAGE ||
	    x->to_i == SG_NO_STAGE)
		return;
	fc = c->stages[x->from_i].forecast_category;
	tc = c->stages[x->to_i].forecast_category;
	if ((fc == NULL && tc == NULL) ||
	    (fc != NULL && tc != NULL && strcmp(fc, tc) == 0))
		return;
	if (!(fc != NULL && sg_config_is_review_category(c, fc)) &&
	    !(tc != NULL && sg_config_is_review_category(c, tc)))
		return;
	currency = sg_model_field_value_at(x->m, x->o, "currency",
					   ex->event_at, scratch);
	len = currency ? strlen(currency) : 0;
	if (currency == NULL ||
	    sg_value_is_missing(currency, len, &c->placeholders, 0))
		cur[0] = '\0';
	else
		snprintf(cur, sizeof(cur), " %s", currency);
	amount = sg_model_field_value_at(x->m, x->o, "amount", ex->event_at,
					 scratch);
	exc_add(b, " The move changes the forecast category from %s to %s",
		fc ? fc : "none", tc ? tc : "none");
	if (amount != NULL &&
	    !sg_value_is_missing(amount, strlen(amount), &c->placeholders, 1))
		exc_add(b, " (%s%s).", amount, cur);
	else
		exc_put(b, " (no amount recorded).");
}

static const char *exc_first_stage_label(const struct exc_view *x)
{
	size_t s;

	for (s = 0; s < x->c->stage_count; s++)
		if (!x->c->stages[s].enter_from_any)
			return exc_label(x, (int)s, NULL);
	return "an earlier stage";
}

static void exc_note_decision(struct exc_buf *b, const struct exc_view *x,
			      const struct sg_exception *ex)
{
	const char *back;
	char target[512];
	uint32_t i;

	if (ex->from_stage != 0)
		snprintf(target, sizeof(target), "back to %s",
			 exc_label(x, x->from_i,
				   sg_model_str(x->m, ex->from_stage)));
	else
		snprintf(target, sizeof(target), "to %s",
			 exc_first_stage_label(x));
	back = target;
	switch (ex->type) {
	case SG_EX_MISSING_EVIDENCE:
		exc_put(b, " Decision needed: approve the move if the buyer "
			"has confirmed ");
		for (i = 0; i < ex->list_count; i++) {
			const struct sg_criterion *cr =
				&x->c->criteria[ex->list[i]];

			exc_add_item(b, i, ex->list_count,
				     cr->label ? cr->label : cr->id);
		}
		exc_put(b, " outside the CRM, or correct the stage ");
		exc_put(b, back);
		exc_put(b, ".");
		break;
	case SG_EX_REQUIRED_FIELD:
		exc_put(b, " Decision needed: approve once the owner has "
			"filled in the missing fields, or correct the stage ");
		exc_put(b, back);
		exc_put(b, ".");
		break;
	case SG_EX_SKIPPED_STAGE:
		exc_put(b, " Decision needed: approve the move if the work "
			"of the skipped stages was done, or correct the "
			"stage ");
		exc_put(b, back);
		exc_put(b, ".");
		break;
	case SG_EX_REGRESSION:
		exc_put(b, " Decision needed: approve the move if it reflects "
			"the deal, or correct the stage ");
		exc_put(b, back);
		exc_put(b, ".");
		break;
	case SG_EX_SELLER_ONLY:
		exc_put(b, " Decision needed: approve the move if the buyer "
			"is engaged outside the CRM, or correct the stage ");
		exc_put(b, back);
		exc_put(b, ".");
		break;
	case SG_EX_FORECAST_IMPACT:
		exc_put(b, " Decision needed: approve the forecast change, or "
			"correct the stage ");
		exc_put(b, back);
		exc_put(b, ".");
		break;
	case SG_EX_STAGE_AGE:
		exc_put(b, " Decision needed: move the deal forward with "
			"the buyer's evidence, close it, or approve more time "
			"with a dated next step.");
		break;
	case SG_EX_NO_NEXT_STEP:
		exc_put(b, " Decision needed: have the owner set a next step "
			"with a date, or close the deal.");
		break;
	case SG_EX_DATA_QUALITY:
		exc_put(b, " Decision needed: correct the records in the CRM; "
			"the deal stays paused until its data is consistent.");
		break;
	default:
		break;
	}
}

/* Appends the note of sg_exception_note() to b. */
static void exc_note(struct exc_buf *b, const struct sg_exception *ex,
		     const struct sg_model *model, sg_time as_of)
{
	struct exc_view x;
	const char *opp_id, *cur_text;
	sg_time entered;
	int cur_open;

	exc_view_init(&x, ex, model);
	opp_id = sg_model_str(model, x.o->id);
	cur_text = x.o->stage ? x.o->stage : "";
	if (x.o->name != NULL && x.o->name[0] != '\0') {
		exc_put(b, "Deal \"");
		exc_put(b, x.o->name);
		exc_put(b, "\" (");
		exc_put(b, opp_id);
		exc_put(b, ")");
	} else {
		exc_put(b, "Deal ");
		exc_put(b, opp_id);
	}
	exc_put(b, " is in ");
	exc_put(b, exc_label(&x, x.o->stage_index, cur_text));
	exc_put(b, ".");
	if (ex->is_move) {
		const char *to = exc_label(&x, x.to_i,
					   sg_model_str(model, ex->to_stage));

		if (ex->from_stage == 0) {
			exc_put(b, " It was created in ");
			exc_put(b, to);
			exc_put(b, " on ");
			exc_add_time(b, ex->event_at);
			exc_put(b, ".");
		} else {
			exc_put(b, " On ");
			exc_add_time(b, ex->event_at);
			exc_put(b, " it moved from ");
			exc_put(b, exc_label(&x, x.from_i,
					     sg_model_str(model,
							  ex->from_stage)));
			exc_put(b, " to ");
			exc_put(b, to);
			exc_put(b, ".");
		}
	}
	exc_note_finding(b, &x, ex);
	exc_note_forecast(b, &x, ex);
	cur_open = x.o->stage_index != SG_NO_STAGE &&
		   !x.c->stages[x.o->stage_index].closed;
	if (ex->type != SG_EX_STAGE_AGE && ex->type != SG_EX_DATA_QUALITY &&
	    cur_open) {
		entered = exc_entered(&x, as_of);
		if (entered != SG_TIME_NONE && entered <= as_of) {
			int64_t tenths = ((as_of - entered) * 10 + 43200) /
					 86400;

			exc_put(b, " It has been in ");
			exc_put(b, exc_label(&x, x.o->stage_index, cur_text));
			exc_put(b, " for ");
			exc_put_tenths(b, tenths);
			exc_put(b, " days.");
		}
	}
	exc_note_decision(b, &x, ex);
}

char *sg_exception_note(const struct sg_exception *ex,
			const struct sg_model *model, sg_time as_of)
{
	struct exc_buf b = {0};

	exc_note(&b, ex, model, as_of);
	if (b.failed || b.s == NULL) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* --- JSON. --- */

static int exc_set(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL)
		return -1;
	return json_object_set_new(obj, key, value);
}

static json_t *exc_str_or_null(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return json_null();
	return json_string(s);
}

static json_t *exc_time(sg_time t)
{
	char iso[SG_TIME_ISO_SIZE];

	if (t == SG_TIME_NONE)
		return json_null();
	return json_string(sg_time_format_iso(t, iso));
}

static json_t *exc_days(double days)
{
	if (days == (double)(long long)days)
		return json_integer((json_int_t)days);
	return json_real(days);
}

static int exc_details(json_t *obj, const struct exc_view *x,
		       const struct sg_exception *ex)
{
	json_t *a, *b;
	uint32_t i;
	int r, rc = 0;

	switch (ex->type) {
	case SG_EX_MISSING_EVIDENCE:
		a = json_array();
		b = json_array();
		if (a == NULL || b == NULL) {
			json_decref(a);
			json_decref(b);
			return -1;
		}
		for (i = 0; i < ex->list_count; i++)
			rc |= json_array_append_new(a, json_string(
				x->c->criteria[ex->list[i]].id));
		for (i = 0; i < ex->list2_count; i++)
			rc |= json_array_append_new(b, json_string(
				x->c->criteria[ex->list2[i]].id));
		rc |= exc_set(obj, "missing", a);
		rc |= exc_set(obj, "present", b);
		break;
	case SG_EX_REQUIRED_FIELD:
		a = json_array();
		for (i = 0; a != NULL && i < ex->list_count; i++) {
			const char *f = "";

			if (x->to_i != SG_NO_STAGE &&
			    ex->list[i] <
			    x->c->stages[x->to_i].required_field_count)
				f = x->c->stages[x->to_i]
					    .required_fields[ex->list[i]];
			rc |= json_array_append_new(a, json_string(f));
		}
		rc |= exc_set(obj, "fields", a);
		break;
	case SG_EX_SKIPPED_STAGE:
		a = json_array();
		for (i = 0; a != NULL && i < ex->list_count; i++)
			rc |= json_array_append_new(a, json_string(
				x->c->stages[ex->list[i]].id));
		rc |= exc_set(obj, "skipped", a);
		break;
	case SG_EX_SELLER_ONLY:
		rc |= exc_set(obj, "seller_activities",
			      json_integer(ex->seller_activities));
		break;
	case SG_EX_FORECAST_IMPACT:
		rc |= exc_set(obj, "from_category",
			      exc_str_or_null(ex->from_category));
		rc |= exc_set(obj, "to_category",
			      exc_str_or_null(ex->to_category));
		rc |= exc_set(obj, "amount", exc_str_or_null(ex->amount));
		rc |= exc_set(obj, "currency", exc_str_or_null(ex->currency));
		break;
	case SG_EX_STAGE_AGE:
		rc |= exc_set(obj, "age_days",
			      json_real((double)ex->age_tenths / 10.0));
		rc |= exc_set(obj, "max_age_days", exc_days(ex->max_age_days));
		break;
	case SG_EX_NO_NEXT_STEP:
		rc |= exc_set(obj, "reason", json_string(
			ex->next_step_reason == SG_NNS_MISSING ? "missing" :
			"overdue"));
		break;
	case SG_EX_DATA_QUALITY:
		a = json_array();
		for (r = 0; a != NULL && r < SG_DQ_REASON_COUNT; r++)
			if (ex->dq_reasons & (1u << r))
				rc |= json_array_append_new(a, json_string(
					sg_dq_reason_name(r)));
		rc |= exc_set(obj, "reasons", a);
		break;
	default:
		break;
	}
	return rc;
}

json_t *sg_exception_to_json(const struct sg_exception *ex,
			     const struct sg_model *model,
			     const struct sg_routing *routing, sg_time as_of)
{
	struct exc_view x;
	json_t *obj = json_object();
	char *note = NULL;
	int rc = 0;

	if (obj == NULL)
		return NULL;
	exc_view_init(&x, ex, model);
	rc |= exc_set(obj, "id", json_string(ex->id));
	rc |= exc_set(obj, "type", json_string(
		sg_exception_type_name(ex->type)));
	rc |= exc_set(obj, "verdict", json_string(
		sg_verdict_name(ex->verdict)));
	rc |= exc_set(obj, "opportunity_id", json_string(
		sg_model_str(model, x.o->id)));
	rc |= exc_set(obj, "opportunity_name", exc_str_or_null(x.o->name));
	rc |= exc_set(obj, "owner_id", exc_str_or_null(x.o->owner_id));
	rc |= exc_set(obj, "assignee", exc_str_or_null(routing->assignee));
	rc |= exc_set(obj, "from_stage", ex->is_move && ex->from_stage ?
		      json_string(sg_model_str(model, ex->from_stage)) :
		      json_null());
	rc |= exc_set(obj, "to_stage", ex->is_move ?
		      json_string(sg_model_str(model, ex->to_stage)) :
		      json_null());
	rc |= exc_set(obj, "stage", json_string(exc_stage_text(&x, ex)));
	rc |= exc_set(obj, "event_at", exc_time(ex->event_at));
	rc |= exc_set(obj, "detected_at", exc_time(routing->detected_at));
	rc |= exc_set(obj, "due_at", exc_time(routing->due_at));
	rc |= exc_details(obj, &x, ex);
	note = sg_exception_note(ex, model, as_of);
	if (note == NULL)
		rc = -1;
	else
		rc |= exc_set(obj, "note", json_string(note));
	free(note);
	if (rc != 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* --- JSON lines written directly. ---
 *
 * The bytes are those of json_dumps(sg_exception_to_json(...),
 * SG_EXCEPTION_JSON_FLAGS): the same keys in the same order, compact,
 * strings escaped as jansson escapes them, reals as jansson prints them
 * at precision 15.  Building a jansson object per exception costs about
 * ten times more than writing its bytes, and a check of a million
 * opportunities writes half a million of them.  Anything jansson would
 * refuse (text that is not UTF-8, a real that is not finite) falls back
 * to jansson itself, so the outcome stays the same too. */

/* The length of the UTF-8 sequence at s[i] (lead byte 0x80 or more) as
 * jansson accepts it, or 0 when it would refuse it. */
static size_t exc_utf8_seq(const unsigned char *s, size_t n, size_t i)
{
	size_t k, len;
	uint32_t cp;

	if (s[i] < 0xc2 || s[i] > 0xf4)
		return 0;
	len = s[i] < 0xe0 ? 2 : s[i] < 0xf0 ? 3 : 4;
	cp = s[i] & (len == 2 ? 0x1fu : len == 3 ? 0x0fu : 0x07u);
	if (n - i < len)
		return 0;
	for (k = 1; k < len; k++) {
		if (s[i + k] < 0x80 || s[i + k] > 0xbf)
			return 0;
		cp = (cp << 6) | (s[i + k] & 0x3fu);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0;
	return len;
}

/* Appends s[0..n) as a JSON string; sets *bad when jansson would refuse
 * it. */
static void exc_json_text(struct exc_buf *b, const char *s, size_t n,
			  int *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, len;

	exc_putn(b, "\"", 1);
	while (i < n) {
		char esc[8];
		const char *e;

		if (u[i] >= 0x20 && u[i] < 0x80 && u[i] != '"' &&
		    u[i] != '\\') {
			i++;
			continue;
		}
		if (u[i] >= 0x80) {
			len = exc_utf8_seq(u, n, i);
			if (len == 0) {
				*bad = 1;
				return;
			}
			i += len;
			continue;
		}
		exc_putn(b, s + run, i - run);
		switch (u[i]) {
		case '\\': e = "\\\\"; break;
		case '"': e = "\\\""; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)u[i]);
			e = esc;
			break;
		}
		exc_put(b, e);
		run = ++i;
	}
	exc_putn(b, s + run, n - run);
	exc_putn(b, "\"", 1);
}

static void exc_json_str(struct exc_buf *b, const char *s, int *bad)
{
	exc_json_text(b, s, strlen(s), bad);
}

/* A key and a string value, or null for NULL and "" (exc_str_or_null). */
static void exc_json_key_or_null(struct exc_buf *b, const char *key,
				 const char *s, int *bad)
{
	exc_put(b, key);
	if (s == NULL || s[0] == '\0')
		exc_putn(b, "null", 4);
	else
		exc_json_str(b, s, bad);
}

static void exc_json_time(struct exc_buf *b, const char *key, sg_time t)
{
	char iso[SG_TIME_ISO_SIZE];

	exc_put(b, key);
	if (t == SG_TIME_NONE) {
		exc_putn(b, "null", 4);
		return;
	}
	exc_putn(b, "\"", 1);
	exc_put(b, sg_time_format_iso(t, iso));
	exc_putn(b, "\"", 1);
}

/* A real as jansson prints it (jsonp_dtostr at precision 15). */
static void exc_json_real(struct exc_buf *b, double value, int *bad)
{
	char text[100], *start, *end;
	int n;

	if (!isfinite(value)) {
		*bad = 1;
		return;
	}
	n = snprintf(text, sizeof(text), "%.15g", value);
	if (n < 0 || (size_t)n + 3 >= sizeof(text)) {
		*bad = 1;
		return;
	}
	if (strchr(text, '.') == NULL && strchr(text, 'e') == NULL)
		memcpy(text + n, ".0", 3);
	start = strchr(text, 'e');
	if (start != NULL) {
		start++;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start)
			memmove(start, end, strlen(end) + 1);
	}
	exc_put(b, text);
}

static void exc_json_int(struct exc_buf *b, long long value)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", value);
	exc_put(b, text);
}

static void exc_json_details(struct exc_buf *b, const struct exc_view *x,
			     const struct sg_exception *ex, int *bad)
{
	uint32_t i;
	int r, n;

	switch (ex->type) {
	case SG_EX_MISSING_EVIDENCE:
		exc_put(b, ",\"missing\":[");
		for (i = 0; i < ex->list_count; i++) {
			if (i > 0)
				exc_putn(b, ",", 1);
			exc_json_str(b, x->c->criteria[ex->list[i]].id, bad);
		}
		exc_put(b, "],\"present\":[");
		for (i = 0; i < ex->list2_count; i++) {
			if (i > 0)
				exc_putn(b, ",", 1);
			exc_json_str(b, x->c->criteria[ex->list2[i]].id, bad);
		}
		exc_putn(b, "]", 1);
		break;
	case SG_EX_REQUIRED_FIELD:
		exc_put(b, ",\"fields\":[");
		for (i = 0; i < ex->list_count; i++) {
			const char *f = "";

			if (x->to_i != SG_NO_STAGE &&
			    ex->list[i] <
			    x->c->stages[x->to_i].required_field_count)
				f = x->c->stages[x->to_i]
					    .required_fields[ex->list[i]];
			if (i > 0)
				exc_putn(b, ",", 1);
			exc_json_str(b, f, bad);
		}
		exc_putn(b, "]", 1);
		break;
	case SG_EX_SKIPPED_STAGE:
		exc_put(b, ",\"skipped\":[");
		for (i = 0; i < ex->list_count; i++) {
			if (i > 0)
				exc_putn(b, ",", 1);
			exc_json_str(b, x->c->stages[ex->list[i]].id, bad);
		}
		exc_putn(b, "]", 1);
		break;
	case SG_EX_SELLER_ONLY:
		exc_put(b, ",\"seller_activities\":");
		exc_json_int(b, ex->seller_activities);
		break;
	case SG_EX_FORECAST_IMPACT:
		exc_json_key_or_null(b, ",\"from_category\":",
				     ex->from_category, bad);
		exc_json_key_or_null(b, ",\"to_category\":", ex->to_category,
				     bad);
		exc_json_key_or_null(b, ",\"amount\":", ex->amount, bad);
		exc_json_key_or_null(b, ",\"currency\":", ex->currency, bad);
		break;
	case SG_EX_STAGE_AGE:
		exc_put(b, ",\"age_days\":");
		exc_json_real(b, (double)ex->age_tenths / 10.0, bad);
		exc_put(b, ",\"max_age_days\":");
		if (ex->max_age_days == (double)(long long)ex->max_age_days)
			exc_json_int(b, (long long)ex->max_age_days);
		else
			exc_json_real(b, ex->max_age_days, bad);
		break;
	case SG_EX_NO_NEXT_STEP:
		exc_put(b, ex->next_step_reason == SG_NNS_MISSING ?
			",\"reason\":\"missing\"" : ",\"reason\":\"overdue\"");
		break;
	case SG_EX_DATA_QUALITY:
		exc_put(b, ",\"reasons\":[");
		for (r = 0, n = 0; r < SG_DQ_REASON_COUNT; r++) {
			if (!(ex->dq_reasons & (1u << r)))
				continue;
			if (n++ > 0)
				exc_putn(b, ",", 1);
			exc_json_str(b, sg_dq_reason_name(r), bad);
		}
		exc_putn(b, "]", 1);
		break;
	default:
		break;
	}
}

/* The note, built in place after its key and escaped only when it needs
 * to be (it rarely does). */
static void exc_json_note(struct exc_buf *b, const struct sg_exception *ex,
			  const struct sg_model *model, sg_time as_of,
			  int *bad)
{
	size_t start, i;
	char *copy;
	int plain = 1;

	exc_put(b, ",\"note\":\"");
	start = b->len;
	exc_note(b, ex, model, as_of);
	if (b->failed)
		return;
	for (i = start; i < b->len && plain; i++) {
		unsigned char c = (unsigned char)b->s[i];

		plain = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
	}
	if (plain) {
		exc_putn(b, "\"", 1);
		return;
	}
	copy = malloc(b->len - start + 1);
	if (copy == NULL) {
		b->failed = 1;
		return;
	}
	memcpy(copy, b->s + start, b->len - start);
	i = b->len - start;
	b->len = start - 1;     /* back over the opening quote */
	exc_json_text(b, copy, i, bad);
	free(copy);
}

int sg_exception_append_jsonl(char **text, size_t *len, size_t *cap,
			      const struct sg_exception *ex,
			      const struct sg_model *model,
			      const struct sg_routing *routing,
			      sg_time as_of)
{
	struct exc_buf b;
	struct exc_view x;
	size_t start = *len;
	json_t *obj;
	char *line;
	int bad = 0;

	b.s = *text;
	b.len = *len;
	b.cap = *cap;
	b.failed = 0;
	exc_view_init(&x, ex, model);
	exc_put(&b, "{\"id\":");
	exc_json_str(&b, ex->id, &bad);
	exc_put(&b, ",\"type\":\"");
	exc_put(&b, sg_exception_type_name(ex->type));
	exc_put(&b, "\",\"verdict\":\"");
	exc_put(&b, sg_verdict_name(ex->verdict));
	exc_put(&b, "\",\"opportunity_id\":");
	exc_json_str(&b, sg_model_str(model, x.o->id), &bad);
	exc_json_key_or_null(&b, ",\"opportunity_name\":", x.o->name, &bad);
	exc_json_key_or_null(&b, ",\"owner_id\":", x.o->owner_id, &bad);
	exc_json_key_or_null(&b, ",\"assignee\":", routing->assignee, &bad);
	exc_put(&b, ",\"from_stage\":");
	if (ex->is_move && ex->from_stage)
		exc_json_str(&b, sg_model_str(model, ex->from_stage), &bad);
	else
		exc_putn(&b, "null", 4);
	exc_put(&b, ",\"to_stage\":");
	if (ex->is_move)
		exc_json_str(&b, sg_model_str(model, ex->to_stage), &bad);
	else
		exc_putn(&b, "null", 4);
	exc_put(&b, ",\"stage\":");
	exc_json_str(&b, exc_stage_text(&x, ex), &bad);
	exc_json_time(&b, ",\"event_at\":", ex->event_at);
	exc_json_time(&b, ",\"detected_at\":", routing->detected_at);
	exc_json_time(&b, ",\"due_at\":", routing->due_at);
	exc_json_details(&b, &x, ex, &bad);
	exc_json_note(&b, ex, model, as_of, &bad);
	exc_put(&b, "}\n");
	*text = b.s;
	*cap = b.cap;
	if (b.failed) {
		*len = start;
		return SG_ERR_NOMEM;
	}
	if (!bad) {
		*len = b.len;
		return SG_OK;
	}
	/* Whatever jansson makes of it, refusals included. */
	*len = start;
	obj = sg_exception_to_json(ex, model, routing, as_of);
	line = obj != NULL ? json_dumps(obj, SG_EXCEPTION_JSON_FLAGS) : NULL;
	json_decref(obj);
	if (line == NULL)
		return SG_ERR_NOMEM;
	b.len = start;
	exc_put(&b, line);
	exc_putn(&b, "\n", 1);
	free(line);
	*text = b.s;
	*cap = b.cap;
	if (b.failed)
		return SG_ERR_NOMEM;
	*len = b.len;
	return SG_OK;
}

/* --- The record the ledger keeps. --- */

void sg_text_release(struct sg_text *t)
{
	if (t == NULL)
		return;
	free(t->s);
	memset(t, 0, sizeof(*t));
}

int sg_text_append(struct sg_text *out, const char *s, size_t n)
{
	struct exc_buf b = { out->s, out->len, out->cap, 0 };

	exc_putn(&b, s, n);
	out->s = b.s;
	out->cap = b.cap;
	if (b.failed)
		return SG_ERR_NOMEM;
	out->len = b.len;
	return SG_OK;
}

int sg_text_append_json_string(struct sg_text *out, const char *s)
{
	struct exc_buf b = { out->s, out->len, out->cap, 0 };
	int bad = 0;

	if (s == NULL)
		exc_putn(&b, "null", 4);
	else
		exc_json_str(&b, s, &bad);
	out->s = b.s;
	out->cap = b.cap;
	if (b.failed || bad) {
		if (out->s != NULL)
			out->s[out->len] = '\0';
		return b.failed ? SG_ERR_NOMEM : SG_ERR_PARSE;
	}
	out->len = b.len;
	return SG_OK;
}

/* Whether s is NULL or UTF-8 that a JSON string can hold. */
static int exc_utf8_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, len;

	if (s == NULL)
		return 1;
	n = strlen(s);
	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		len = exc_utf8_seq(u, n, i);
		if (len == 0)
			return 0;
		i += len;
	}
	return 1;
}

/* NULL for NULL and "" (the JSON's null, as exc_str_or_null). */
static const char *exc_or_null(const char *s)
{
	return s == NULL || s[0] == '\0' ? NULL : s;
}

int sg_exception_record_fill(struct sg_exception_record *rec,
			     struct sg_text *scratch,
			     const struct sg_exception *ex,
			     const struct sg_model *model,
			     const struct sg_routing *routing, sg_time as_of)
{
	struct exc_buf b = { scratch->s, 0, scratch->cap, 0 };
	struct exc_view x;
	size_t note_at;
	int bad = 0;

	exc_view_init(&x, ex, model);
	/* The details are written as ",k:v,..." members: the first comma
	 * becomes the object's brace. */
	exc_json_details(&b, &x, ex, &bad);
	if (b.len == 0)
		exc_put(&b, "{");
	else if (!b.failed)
		b.s[0] = '{';
	exc_putn(&b, "}", 2);   /* and its NUL */
	note_at = b.len;
	exc_note(&b, ex, model, as_of);
	exc_putn(&b, "", 1);
	scratch->s = b.s;
	scratch->cap = b.cap;
	scratch->len = b.len;
	if (b.failed)
		return SG_ERR_NOMEM;
	memset(rec, 0, sizeof(*rec));
	rec->id = ex->id;
	rec->type = sg_exception_type_name(ex->type);
	rec->verdict = sg_verdict_name(ex->verdict);
	rec->opportunity_id = sg_model_str(model, x.o->id);
	rec->opportunity_name = exc_or_null(x.o->name);
	rec->owner_id = exc_or_null(x.o->owner_id);
	rec->assignee = exc_or_null(routing->assignee);
	if (ex->is_move && ex->from_stage)
		rec->from_stage = sg_model_str(model, ex->from_stage);
	if (ex->is_move)
		rec->to_stage = sg_model_str(model, ex->to_stage);
	rec->stage = exc_stage_text(&x, ex);
	rec->event_at = ex->event_at;
	rec->detected_at = routing->detected_at;
	rec->due_at = routing->due_at;
	rec->details = scratch->s;
	rec->note = scratch->s + note_at;
	if (bad || !exc_utf8_ok(rec->opportunity_id) ||
	    !exc_utf8_ok(rec->opportunity_name) ||
	    !exc_utf8_ok(rec->owner_id) || !exc_utf8_ok(rec->assignee) ||
	    !exc_utf8_ok(rec->from_stage) || !exc_utf8_ok(rec->to_stage) ||
	    !exc_utf8_ok(rec->stage) || !exc_utf8_ok(rec->note))
		return SG_ERR_PARSE;
	return SG_OK;
}

/* A key and a string or null. */
static void exc_json_key_str(struct exc_buf *b, const char *key,
			     const char *s, int *bad)
{
	exc_put(b, key);
	if (s == NULL)
		exc_putn(b, "null", 4);
	else
		exc_json_str(b, s, bad);
}

int sg_exception_record_append_json(struct sg_text *out,
				    const struct sg_exception_record *rec)
{
	struct exc_buf b = { out->s, out->len, out->cap, 0 };
	size_t n = rec->details ? strlen(rec->details) : 0;
	int bad = 0;

	if (n < 2 || rec->details[0] != '{' || rec->details[n - 1] != '}')
		return SG_ERR_PARSE;
	exc_json_key_str(&b, "{\"id\":", rec->id, &bad);
	exc_json_key_str(&b, ",\"type\":", rec->type, &bad);
	exc_json_key_str(&b, ",\"verdict\":", rec->verdict, &bad);
	exc_json_key_str(&b, ",\"opportunity_id\":", rec->opportunity_id,
			 &bad);
	exc_json_key_or_null(&b, ",\"opportunity_name\":",
			     rec->opportunity_name, &bad);
	exc_json_key_or_null(&b, ",\"owner_id\":", rec->owner_id, &bad);
	exc_json_key_or_null(&b, ",\"assignee\":", rec->assignee, &bad);
	exc_json_key_str(&b, ",\"from_stage\":", rec->from_stage, &bad);
	exc_json_key_str(&b, ",\"to_stage\":", rec->to_stage, &bad);
	exc_json_key_str(&b, ",\"stage\":", rec->stage, &bad);
	exc_json_time(&b, ",\"event_at\":", rec->event_at);
	exc_json_time(&b, ",\"detected_at\":", rec->detected_at);
	exc_json_time(&b, ",\"due_at\":", rec->due_at);
	if (n > 2) {
		exc_putn(&b, ",", 1);
		exc_putn(&b, rec->details + 1, n - 2);
	}
	exc_json_key_str(&b, ",\"note\":", rec->note, &bad);
	exc_putn(&b, "}", 1);
	out->s = b.s;
	out->cap = b.cap;
	if (b.failed)
		return SG_ERR_NOMEM;
	if (bad)
		return SG_ERR_PARSE;
	out->len = b.len;
	return SG_OK;
}
