/*
 * leadership_model.c - the leadership report's sections computed from the
 * model at as-of: how long open opportunities have sat in each stage, and
 * the opportunities paused because their data cannot be trusted (the
 * replay's data_quality exceptions).
 */
#include "report_view.h"

#include <stdlib.h>
#include <string.h>

#define LM_COUNT(a) (sizeof(a) / sizeof((a)[0]))

int rpt_stage_at(const struct sg_model *model,
		 const struct sg_opportunity *o, sg_time t, sg_time *entered)
{
	struct sg_model_view v;
	const struct sg_stage_event *e;
	sg_sym cur = 0;
	int stage = SG_NO_STAGE, any = 0;
	uint32_t i;

	sg_model_view(model, &v);
	*entered = SG_TIME_NONE;
	for (i = 0; i < o->event_count; i++) {
		e = &v.events[o->event_first + i];
		if (e->changed_at > t)
			break;
		/* Same-stage events never reset the time entered (DESIGN
		 * §10 rule 15). */
		if (!any || e->to_stage != cur) {
			cur = e->to_stage;
			*entered = e->changed_at;
		}
		stage = e->to_index;
		any = 1;
	}
	return stage;
}

/* ---- stage ages ---- */

static const struct sg_column lm_age_cols[] = {
	{ "stage", "Stage", SG_VAL_TEXT, SG_ROLE_ID, 16 },
	{ "label", "Label", SG_VAL_TEXT, SG_ROLE_PLAIN, 20 },
	{ "open_opportunities", "Open opportunities", SG_VAL_INT,
	  SG_ROLE_PLAIN, 0 },
	{ "median_days", "Median days in stage", SG_VAL_NUMBER,
	  SG_ROLE_PLAIN, 0 },
	{ "p90_days", "P90 days in stage", SG_VAL_NUMBER, SG_ROLE_PLAIN, 0 },
	{ "max_age_days", "Max age (days)", SG_VAL_NUMBER, SG_ROLE_PLAIN, 0 },
	{ "over_max_age", "Over max age", SG_VAL_INT, SG_ROLE_STATUS, 0 },
};

static int lm_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Ages in tenths of a day, rounded half up as stage_age does (rule
 * 24). */
static int64_t lm_tenths(sg_time seconds)
{
	return (seconds * 10 + 43200) / 86400;
}

int rpt_lead_stage_ages(struct rpt_lead *l, struct sg_error *err)
{
	const struct sg_model *m = l->in->model;
	const struct sg_config *c = l->in->config;
	sg_time as_of = l->in->as_of;
	struct sg_model_view v;
	struct sg_table *t;
	struct sg_value *cells;
	int64_t **ages = NULL;
	size_t *count = NULL, *over = NULL, s, i;
	char scratch[SG_TIME_ISO_SIZE + 64];
	int rc = SG_OK;

	rpt_section(l->b, "stage_ages", "Stage ages");
	t = rpt_mem_table(l->b, "stage_ages", "Time in stage",
			  "Per open stage of the rules, in pipeline order: "
			  "the opportunities in it at as-of (paused ones not "
			  "counted), how long they have been there (median, "
			  "and p90 by nearest rank) and how many exceed the "
			  "stage's max age.  A segment's own limit applies "
			  "to its opportunities when the rules set one.",
			  lm_age_cols, LM_COUNT(lm_age_cols), 0);
	rpt_add_table(l->b, t);
	rc = rpt_status(l->b, err);
	if (rc != SG_OK || c->stage_count == 0)
		return rc;
	ages = calloc(c->stage_count, sizeof(*ages));
	count = calloc(c->stage_count, sizeof(*count));
	over = calloc(c->stage_count, sizeof(*over));
	if (ages == NULL || count == NULL || over == NULL)
		goto nomem;
	sg_model_view(m, &v);
	/* Two passes: count, then collect, so each stage's ages take one
	 * allocation. */
	for (i = 0; i < v.opp_count; i++) {
		sg_time entered;
		int st;

		if (!v.opps[i].in_scope || (l->paused && l->paused[i]))
			continue;
		st = rpt_stage_at(m, &v.opps[i], as_of, &entered);
		if (st != SG_NO_STAGE && !c->stages[st].closed)
			count[st]++;
	}
	for (s = 0; s < c->stage_count; s++) {
		ages[s] = malloc((count[s] ? count[s] : 1) * sizeof(**ages));
		if (ages[s] == NULL)
			goto nomem;
		count[s] = 0;
	}
	for (i = 0; i < v.opp_count; i++) {
		const struct sg_opportunity *o = &v.opps[i];
		const struct sg_days *limit;
		const char *segment = NULL;
		sg_time entered;
		int st;

		if (!o->in_scope || (l->paused && l->paused[i]))
			continue;
		st = rpt_stage_at(m, o, as_of, &entered);
		if (st == SG_NO_STAGE || c->stages[st].closed)
			continue;
		ages[st][count[st]++] = lm_tenths(as_of - entered);
		if (c->segment_field != NULL)
			segment = sg_model_field_value(m, o, c->segment_field,
						       scratch);
		limit = sg_config_max_age(c, (size_t)st, segment);
		if (limit->present && as_of - entered > limit->seconds)
			over[st]++;
	}
	for (s = 0; s < c->stage_count; s++) {
		const struct sg_stage *st = &c->stages[s];
		size_t n = count[s];

		if (st->closed)
			continue;
		cells = rpt_mem_row(l->b, t);
		if (cells == NULL)
			break;
		cells[0] = rpt_v_text(rpt_str(l->b, st->id));
		cells[1] = rpt_v_text(rpt_str(l->b, st->label));
		cells[2] = rpt_v_int((long long)n);
		if (n > 0) {
			size_t rank = (n * 9 + 9) / 10; /* ceil(0.9 n) */
			double median;

			qsort(ages[s], n, sizeof(**ages), lm_cmp_i64);
			median = n % 2 ? (double)ages[s][n / 2] :
				 (double)(ages[s][n / 2 - 1] +
					  ages[s][n / 2]) / 2.0;
			cells[3] = rpt_v_number(rpt_round1(median / 10.0),
						"days");
			cells[4] = rpt_v_number((double)ages[s][rank - 1] /
						10.0, "days");
		}
		/* Without a limit of its own, a stage may still have
		 * segment limits: count those over them. */
		if (st->max_age.present)
			cells[5] = rpt_v_number(st->max_age.days, "days");
		if (st->max_age.present || over[s] > 0)
			cells[6] = rpt_v_int((long long)over[s]);
	}
	rc = rpt_status(l->b, err);
	goto out;
nomem:
	rc = sg_error_set(err, SG_ERR_NOMEM, "report: out of memory");
out:
	for (s = 0; ages != NULL && s < c->stage_count; s++)
		free(ages[s]);
	free(ages);
	free(count);
	free(over);
	return rc;
}

/* ---- data quality ---- */

static const struct sg_column lm_dq_cols[] = {
	{ "opportunity_id", "Opportunity id", SG_VAL_TEXT, SG_ROLE_ID, 14 },
	{ "opportunity", "Opportunity", SG_VAL_TEXT, SG_ROLE_PLAIN, 28 },
	{ "owner", "Owner", SG_VAL_TEXT, SG_ROLE_PLAIN, 18 },
	{ "stage", "Stage", SG_VAL_TEXT, SG_ROLE_PLAIN, 14 },
	{ "reasons", "Reasons", SG_VAL_TEXT, SG_ROLE_PLAIN, 30 },
	{ "detail", "What to fix", SG_VAL_TEXT, SG_ROLE_NOTE, 70 },
};

static const struct sg_column lm_reason_cols[] = {
	{ "reason", "Reason", SG_VAL_TEXT, SG_ROLE_ID, 22 },
	{ "meaning", "Meaning", SG_VAL_TEXT, SG_ROLE_NOTE, 70 },
	{ "opportunities", "Opportunities", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
};

/* In the order of enum sg_dq_reason. */
static const char *const lm_reason_meaning[SG_DQ_REASON_COUNT] = {
	"the current stage or a stage in its history is not a stage of "
	"the rules",
	"no stage history at all",
	"the current stage is not the stage its history ends in",
	"a stage change dated after as-of",
	"a stage change more than a minute before the opportunity was "
	"created",
	"a stage change whose own from-stage contradicts the stage before "
	"it",
	"no owner",
	"the same opportunity id twice with different values",
};

int rpt_lead_data_quality(struct rpt_lead *l, struct sg_error *err)
{
	const struct sg_model *m = l->in->model;
	const struct sg_exceptions *ex = NULL;
	struct sg_model_view v;
	struct sg_table *t, *r;
	struct sg_value *cells;
	size_t i, per_reason[SG_DQ_REASON_COUNT], paused = 0;
	int k;

	memset(per_reason, 0, sizeof(per_reason));
	sg_model_view(m, &v);
	rpt_section(l->b, "data_quality", "Data quality");
	rpt_heading(l->b, "Paused opportunities");
	if (l->in->replay != NULL)
		ex = sg_replay_exceptions(l->in->replay);
	for (i = 0; ex != NULL && i < ex->count; i++)
		if (ex->items[i].type == SG_EX_DATA_QUALITY)
			paused++;
	if (ex == NULL)
		rpt_text(l->b, "The data was not judged for this report, so "
			 "no paused opportunity can be listed.");
	else
		rpt_text(l->b, rpt_printf(l->b,
			"An opportunity whose data cannot be trusted is "
			"paused: it gets one data_quality exception and no "
			"other check runs on it, so its stage moves are "
			"neither flagged nor counted in the measures until "
			"the data is fixed in the CRM.  %zu %s paused at "
			"as-of.", paused, paused == 1 ?
			"opportunity is" : "opportunities are"));
	t = rpt_mem_table(l->b, "paused", "Paused opportunities", NULL,
			  lm_dq_cols, LM_COUNT(lm_dq_cols), SG_TABLE_LIST);
	rpt_add_table(l->b, t);
	for (i = 0; ex != NULL && i < ex->count && rpt_status(l->b, NULL) ==
	     SG_OK; i++) {
		const struct sg_exception *x = &ex->items[i];
		const struct sg_opportunity *o = &v.opps[x->opp];
		const char *reasons = NULL;
		char *note;

		if (x->type != SG_EX_DATA_QUALITY)
			continue;
		for (k = 0; k < SG_DQ_REASON_COUNT; k++)
			if (x->dq_reasons & (1u << k)) {
				reasons = rpt_join(l->b, reasons,
						   sg_dq_reason_name(k));
				per_reason[k]++;
			}
		cells = rpt_mem_row(l->b, t);
		if (cells == NULL)
			break;
		cells[0] = rpt_v_text(rpt_str(l->b, sg_model_str(m, o->id)));
		if (o->name != NULL && o->name[0] != '\0')
			cells[1] = rpt_v_text(rpt_str(l->b, o->name));
		if (o->owner_id != NULL && o->owner_id[0] != '\0')
			cells[2] = rpt_v_text(rpt_str(l->b, o->owner_id));
		if (o->stage != NULL && o->stage[0] != '\0')
			cells[3] = rpt_v_text(rpt_str(l->b, o->stage));
		cells[4] = rpt_v_text(reasons);
		note = sg_exception_note(x, m, l->in->as_of);
		if (note == NULL) {
			rpt_fail(l->b);
			break;
		}
		cells[5] = rpt_v_text(rpt_str(l->b, note));
		free(note);
	}
	r = rpt_mem_table(l->b, "data_quality_reasons", "Why they are paused",
			  NULL, lm_reason_cols, LM_COUNT(lm_reason_cols), 0);
	rpt_add_table(l->b, r);
	for (k = 0; k < SG_DQ_REASON_COUNT; k++) {
		cells = rpt_mem_row(l->b, r);
		if (cells == NULL)
			break;
		cells[0] = rpt_v_text(sg_dq_reason_name(k));
		cells[1] = rpt_v_text(lm_reason_meaning[k]);
		cells[2] = rpt_v_int((long long)per_reason[k]);
	}
	return rpt_status(l->b, err);
}
