/*
 * leadership_defs.c - the Definitions section of the leadership report:
 * what each measure means in plain words (docs/metrics.md, DESIGN §7) and
 * the rules config the report was computed with.
 */
#include "report_view.h"

#include <stdio.h>
#include <string.h>

#define LF_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct sg_column lf_measure_cols[] = {
	{ "key", "Key", SG_VAL_TEXT, SG_ROLE_ID, 40 },
	{ "meaning", "Meaning", SG_VAL_TEXT, SG_ROLE_NOTE, 90 },
};

/* The measures of `stageguard metrics` in its order, and the report's
 * own total; exceptions_<type> rows are added per type. */
static const struct {
	const char *key, *meaning;
} lf_measures[] = {
	{ "opportunities_evaluated",
	  "Opportunities in scope, not paused, open at some instant of the "
	  "window (up to as-of)." },
	{ "opportunities_with_exception",
	  "Evaluated opportunities with at least one stage_age, "
	  "skipped_stage, missing_evidence, required_field, regression or "
	  "no_next_step exception in the window." },
	{ "stage_progression_exception_rate",
	  "The two above divided: the share of evaluated opportunities with "
	  "an exception (empty when nothing was evaluated)." },
	{ "exceptions_total",
	  "This report's sum of the exceptions of every type but "
	  "data_quality in the window." },
	{ "exceptions_<type>",
	  "Exceptions of each type in the window (stage_age: each stint "
	  "over its limit that meets the window, once; no_next_step: judged "
	  "once at the window's end or as-of; data_quality: the number "
	  "paused)." },
	{ "false_progressions",
	  "Distinct advances (creations past the first stage included) "
	  "flagged missing_evidence or seller_only: moves forward without "
	  "the buyer's evidence." },
	{ "flagged_moves",
	  "Distinct moves flagged missing_evidence, required_field, "
	  "skipped_stage, seller_only or regression." },
	{ "stage_corrections",
	  "Flagged moves corrected: a reviewer's disposition \"correct\", or "
	  "a later move back to the from-stage within 14 days." },
	{ "stage_corrections_by_revert",
	  "Corrections by a later move back within 14 days (inclusive, up "
	  "to as-of; creations cannot be reverted)." },
	{ "stage_corrections_by_disposition",
	  "Corrections by a reviewer's disposition \"correct\" (pilot "
	  "only)." },
	{ "stage_correction_rate",
	  "Corrections over flagged moves (empty with no flagged move)." },
	{ "forecast_impacting_changes",
	  "Stage moves between forecast categories where one of them needs "
	  "review (forecast_impact exceptions) in the window." },
	{ "forecast_impacting_changes_without_amount",
	  "Of those, moves with no amount at the move." },
	{ "forecast_impacting_amount:CUR",
	  "The amounts at those moves, summed exactly per currency (\"none\" "
	  "without one); never converted." },
	{ "close_date_pushes",
	  "Close-date changes to a later UTC date in the window, on "
	  "opportunities not paused, both dates present." },
	{ "close_date_push_opportunities",
	  "Opportunities with at least one close-date push." },
	{ "close_date_push_days_total",
	  "Whole days the close dates were pushed, in total." },
	{ "close_date_push_days_median",
	  "The median of the days pushed per push." },
	{ "dispositions_recorded",
	  "Review decisions recorded in the window (pilot only)." },
	{ "approval_turnaround_median_hours",
	  "Median hours from an exception being raised to its review "
	  "decision, over the decisions in the window (the two middle "
	  "values averaged)." },
	{ "approval_turnaround_p90_hours",
	  "The 90th percentile of those hours (nearest rank)." },
	{ "reviews_open_past_due",
	  "Review tasks still open at the window's end (or as-of) whose due "
	  "time had passed." },
	{ "paused",
	  "Opportunities whose data cannot be trusted, judged once at as-of "
	  "on today's data (the same number in every window)." },
};

static const struct sg_column lf_stage_cols[] = {
	{ "order", "Order", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
	{ "stage", "Stage", SG_VAL_TEXT, SG_ROLE_ID, 16 },
	{ "label", "Label", SG_VAL_TEXT, SG_ROLE_PLAIN, 20 },
	{ "max_age_days", "Max age (days)", SG_VAL_NUMBER, SG_ROLE_PLAIN, 0 },
	{ "forecast_category", "Forecast category", SG_VAL_TEXT,
	  SG_ROLE_PLAIN, 16 },
	{ "exit_criteria", "Exit criteria", SG_VAL_TEXT, SG_ROLE_PLAIN, 30 },
	{ "required_fields", "Required fields", SG_VAL_TEXT, SG_ROLE_PLAIN,
	  24 },
	{ "kind", "Kind", SG_VAL_TEXT, SG_ROLE_PLAIN, 22 },
};

static const struct sg_column lf_criterion_cols[] = {
	{ "criterion", "Criterion", SG_VAL_TEXT, SG_ROLE_ID, 20 },
	{ "label", "Label", SG_VAL_TEXT, SG_ROLE_PLAIN, 32 },
	{ "buyer_only", "From the buyer only", SG_VAL_TEXT, SG_ROLE_PLAIN,
	  0 },
	{ "max_age_days", "Max age (days)", SG_VAL_NUMBER, SG_ROLE_PLAIN, 0 },
};

static const struct sg_column lf_segment_cols[] = {
	{ "segment", "Segment", SG_VAL_TEXT, SG_ROLE_ID, 16 },
	{ "stage", "Stage", SG_VAL_TEXT, SG_ROLE_ID, 16 },
	{ "max_age_days", "Max age (days)", SG_VAL_NUMBER, SG_ROLE_PLAIN, 0 },
};

static const struct sg_column lf_setting_cols[] = {
	{ "setting", "Setting", SG_VAL_TEXT, SG_ROLE_PLAIN, 30 },
	{ "value", "Value", SG_VAL_MIXED, SG_ROLE_PLAIN, 40 },
};

static void lf_measures_table(struct sg_built_report *b)
{
	struct sg_table *t;
	struct sg_value *v;
	size_t i;
	int k;

	t = rpt_mem_table(b, "measures", "Measures", "Rates are fractions "
			  "shown as percentages; a window is [start, end) "
			  "measured up to as-of.  The baseline replays the "
			  "rules over the days before the pilot, judging "
			  "each move with what was known then; reviews did "
			  "not exist there, so their measures are n/a.",
			  lf_measure_cols, LF_COUNT(lf_measure_cols), 0);
	rpt_add_table(b, t);
	for (i = 0; i < LF_COUNT(lf_measures); i++) {
		if (strcmp(lf_measures[i].key, "exceptions_<type>") == 0) {
			for (k = 0; k < SG_EX_TYPE_COUNT; k++) {
				v = rpt_mem_row(b, t);
				if (v == NULL)
					return;
				v[0] = rpt_v_text(rpt_printf(b,
					"exceptions_%s",
					sg_exception_type_name(k)));
				v[1] = rpt_v_text(k == SG_EX_DATA_QUALITY ?
					"The number of opportunities paused "
					"(see paused)." :
					rpt_printf(b, "%s exceptions in the "
						   "window.",
						   sg_exception_type_name(k)));
			}
			continue;
		}
		v = rpt_mem_row(b, t);
		if (v == NULL)
			return;
		v[0] = rpt_v_text(lf_measures[i].key);
		v[1] = rpt_v_text(lf_measures[i].meaning);
	}
}

static const char *lf_names(struct sg_built_report *b, char **names,
			    size_t count)
{
	const char *s = NULL;
	size_t i;

	for (i = 0; i < count; i++)
		s = rpt_join(b, s, names[i]);
	return s;
}

static void lf_stages(struct sg_built_report *b, const struct sg_config *c)
{
	struct sg_table *t;
	struct sg_value *v;
	size_t s, k;

	t = rpt_mem_table(b, "stages", "Stages", "In pipeline order.  A "
			  "move into an \"any stage\" stage (closed lost) is "
			  "an exit, never an advance, skip or regression.",
			  lf_stage_cols, LF_COUNT(lf_stage_cols), 0);
	rpt_add_table(b, t);
	for (s = 0; s < c->stage_count; s++) {
		const struct sg_stage *st = &c->stages[s];
		const char *crit = NULL;

		v = rpt_mem_row(b, t);
		if (v == NULL)
			return;
		v[0] = rpt_v_int(st->order + 1);
		v[1] = rpt_v_text(rpt_str(b, st->id));
		v[2] = rpt_v_text(rpt_str(b, st->label));
		if (st->max_age.present)
			v[3] = rpt_v_number(st->max_age.days, "days");
		v[4] = rpt_v_text(rpt_str(b, st->forecast_category));
		for (k = 0; k < st->exit_criteria_count; k++)
			crit = rpt_join(b, crit,
					c->criteria[st->exit_criteria[k]].id);
		v[5] = rpt_v_text(crit);
		v[6] = rpt_v_text(lf_names(b, st->required_fields,
					   st->required_field_count));
		v[7] = rpt_v_text(!st->closed ? "open" :
				  st->enter_from_any ?
				  "closed, entered from any stage" :
				  st->won ? "closed, won" : "closed");
	}
}

static void lf_criteria(struct sg_built_report *b, const struct sg_config *c)
{
	struct sg_table *t;
	struct sg_value *v;
	size_t i;

	t = rpt_mem_table(b, "criteria", "Exit criteria", "A criterion is "
			  "met by evidence of it with a real value, observed "
			  "at or before the move, from the buyer when so "
			  "marked, and no older than its max age.",
			  lf_criterion_cols, LF_COUNT(lf_criterion_cols), 0);
	rpt_add_table(b, t);
	for (i = 0; i < c->criterion_count; i++) {
		const struct sg_criterion *cr = &c->criteria[i];

		v = rpt_mem_row(b, t);
		if (v == NULL)
			return;
		v[0] = rpt_v_text(rpt_str(b, cr->id));
		v[1] = rpt_v_text(rpt_str(b, cr->label));
		v[2] = rpt_v_text(cr->buyer_only ? "yes" : "no");
		if (cr->max_age.present)
			v[3] = rpt_v_number(cr->max_age.days, "days");
	}
}

/* The segments' own stage-age limits, when the rules set any. */
static void lf_segments(struct sg_built_report *b, const struct sg_config *c)
{
	struct sg_table *t;
	struct sg_value *v;
	size_t g, s;

	if (c->segment_count == 0)
		return;
	t = rpt_mem_table(b, "segments", "Segment limits",
			  rpt_printf(b, "For an opportunity whose \"%s\" is "
				     "one of these segments, these limits "
				     "replace the stage's own max age.",
				     c->segment_field ? c->segment_field : ""),
			  lf_segment_cols, LF_COUNT(lf_segment_cols), 0);
	rpt_add_table(b, t);
	for (g = 0; g < c->segment_count; g++)
		for (s = 0; s < c->stage_count; s++) {
			if (!c->segments[g].limits[s].present)
				continue;
			v = rpt_mem_row(b, t);
			if (v == NULL)
				return;
			v[0] = rpt_v_text(rpt_str(b, c->segments[g].value));
			v[1] = rpt_v_text(rpt_str(b, c->stages[s].id));
			v[2] = rpt_v_number(c->segments[g].limits[s].days,
					    "days");
		}
}

static void lf_settings(struct sg_built_report *b, const struct sg_config *c)
{
	struct sg_table *t;
	struct sg_value *v;

	t = rpt_mem_table(b, "settings", "Settings", NULL, lf_setting_cols,
			  LF_COUNT(lf_setting_cols), 0);
	rpt_add_table(b, t);
#define LF_ROW(label, value) do { \
		v = rpt_mem_row(b, t); \
		if (v == NULL) \
			return; \
		v[0] = rpt_v_text(label); \
		v[1] = (value); \
	} while (0)
	LF_ROW("Pipeline", rpt_v_text(rpt_str(b, c->pipeline_id ?
						  c->pipeline_id :
						  "(every pipeline)")));
	LF_ROW("Review SLA", rpt_v_number(c->review_sla_hours, "hours"));
	LF_ROW("Default assignee", rpt_v_text(rpt_str(b,
						      c->default_assignee)));
	LF_ROW("Forecast categories reviewed",
	       rpt_v_text(lf_names(b, c->review_categories,
				   c->review_category_count)));
	LF_ROW("Segment field", rpt_v_text(rpt_str(b, c->segment_field)));
	if (c->stale_after.present)
		LF_ROW("Stale after", rpt_v_number(c->stale_after.days,
						   "hours"));
	if (c->pilot_present) {
		LF_ROW("Pilot start", rpt_v_date(c->pilot_start));
		LF_ROW("Pilot length", rpt_v_number(c->pilot_days, "days"));
		LF_ROW("Baseline length", rpt_v_number(c->baseline_days,
						       "days"));
	} else {
		LF_ROW("Pilot", rpt_v_text("none configured"));
	}
	LF_ROW("Config SHA-256", rpt_v_text(rpt_str(b, c->text_sha256)));
#undef LF_ROW
}

int rpt_lead_definitions(struct rpt_lead *l, struct sg_error *err)
{
	struct sg_built_report *b = l->b;
	const struct sg_config *c = l->in->config;

	rpt_section(b, "definitions", "Definitions");
	rpt_heading(b, "What the measures mean");
	lf_measures_table(b);
	rpt_heading(b, "The rules used");
	lf_stages(b, c);
	lf_criteria(b, c);
	lf_segments(b, c);
	lf_settings(b, c);
	return rpt_status(b, err);
}
