/*
 * leadership.c - the leadership exception report (sg_report_leadership()):
 * its sections in order, the summary (a plain-language reading of the
 * pilot, its window, the headline measures baseline versus pilot, open
 * and overdue reviews, exceptions per type) and the weekly trend.  The
 * other sections are built in leadership_ledger.c, leadership_model.c
 * and leadership_defs.c.
 */
#include "report_view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LD_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define LD_DAY 86400

/* Below these the summary reads the change as early evidence only. */
#define LD_FEW_OPPORTUNITIES 30
#define LD_FEW_DAYS 14

/* The total of the exceptions of a window, data_quality (the paused
 * count, the same in every window) left out. */
static long long ld_total(const struct sg_measures *m)
{
	long long n = 0;
	int k;

	for (k = 0; k < SG_EX_TYPE_COUNT; k++)
		if (k != SG_EX_DATA_QUALITY)
			n += (long long)m->counts[k];
	return n;
}

/* ---- the summary ---- */

static const struct sg_column ld_window_cols[] = {
	{ "item", "", SG_VAL_TEXT, SG_ROLE_PLAIN, 26 },
	{ "value", "", SG_VAL_MIXED, SG_ROLE_PLAIN, 22 },
};

static const struct sg_column ld_headline_cols[] = {
	{ "measure", "Measure", SG_VAL_TEXT, SG_ROLE_PLAIN, 38 },
	{ "key", "Key", SG_VAL_TEXT, SG_ROLE_ID, 34 },
	{ "baseline", "Baseline", SG_VAL_MIXED, SG_ROLE_PLAIN, 12 },
	{ "pilot", "Pilot", SG_VAL_MIXED, SG_ROLE_PLAIN, 12 },
	{ "change", "Change", SG_VAL_MIXED, SG_ROLE_PLAIN, 12 },
	{ "relative_change", "Relative change", SG_VAL_PERCENT,
	  SG_ROLE_PLAIN, 12 },
};

static const struct sg_column ld_reviews_cols[] = {
	{ "reviews", "Reviews", SG_VAL_TEXT, SG_ROLE_PLAIN, 26 },
	{ "count", "Count", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
};

static const struct sg_column ld_by_type_cols[] = {
	{ "type", "Exception type", SG_VAL_TEXT, SG_ROLE_ID, 18 },
	{ "baseline", "Baseline", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
	{ "pilot", "Pilot", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
};

static const struct sg_column ld_current_cols[] = {
	{ "type", "Exception type", SG_VAL_TEXT, SG_ROLE_ID, 18 },
	{ "verdict", "Verdict", SG_VAL_TEXT, SG_ROLE_VERDICT, 8 },
	{ "exceptions", "Exceptions", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
	{ "open_reviews", "Open reviews", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
};

/* The headline measures, in the order shown; "exceptions_total" is the
 * report's own (ld_total()). */
static const struct {
	const char *key, *title;
} ld_headlines[] = {
	{ "stage_progression_exception_rate",
	  "Stage progression exception rate" },
	{ "opportunities_evaluated", "Opportunities evaluated" },
	{ "exceptions_total", "Exceptions (all types but paused)" },
	{ "false_progressions", "False progressions" },
	{ "stage_correction_rate", "Stage correction rate" },
	{ "forecast_impacting_changes", "Forecast-impacting changes" },
	{ "close_date_pushes", "Close-date pushes" },
	{ "approval_turnaround_median_hours",
	  "Approval turnaround, median (hours)" },
	{ "approval_turnaround_p90_hours",
	  "Approval turnaround, p90 (hours)" },
	{ "reviews_open_past_due", "Reviews open past due" },
	{ "paused", "Paused opportunities" },
};

static const size_t ld_by_type_values[] = { 1, 2 };
static const size_t ld_current_values[] = { 2 };

/* "42.0 %" for a present rate, else "no rate". */
static const char *ld_pct(struct sg_built_report *b, int present, double r)
{
	if (!present)
		return "no rate";
	return rpt_printf(b, "%.1f %%", r * 100.0);
}

static const char *ld_plural(long long n, const char *one,
			     const char *many)
{
	return n == 1 ? one : many;
}

/* Where as-of falls in the pilot: 0 before it, day 1.. inside, or
 * days + 1 after its end. */
static long long ld_pilot_day(const struct sg_config *c, sg_time as_of)
{
	sg_time end = c->pilot_start + (sg_time)c->pilot_days * LD_DAY;

	if (as_of < c->pilot_start)
		return 0;
	if (as_of >= end)
		return (long long)c->pilot_days + 1;
	return (long long)((as_of - c->pilot_start) / LD_DAY) + 1;
}

static double ld_per_30_days(size_t count, long long days)
{
	return days > 0 ? (double)count * 30.0 / (double)days : 0.0;
}

/* The plain-language reading of the result. */
static const char *ld_reading(struct rpt_lead *l,
			      const struct rpt_review_counts *rv)
{
	struct sg_built_report *b = l->b;
	const struct sg_config *c = l->in->config;
	const struct sg_pilot_measures *pm = l->in->measures;
	const struct sg_measures *bm = &pm->baseline, *pi = &pm->pilot;
	long long day = ld_pilot_day(c, l->in->as_of);
	long long days_in = day > c->pilot_days ? c->pilot_days : day;
	char date[SG_TIME_ISO_SIZE];
	const char *s;

	if (day == 0) {
		s = rpt_printf(b, "The pilot has not started yet: it starts "
			       "on %s.  In the %d days before it "
			       "the stage progression exception rate was "
			       "%s (%zu of %zu opportunities evaluated had "
			       "an exception).",
			       sg_time_format_date(c->pilot_start, date),
			       c->baseline_days,
			       ld_pct(b, bm->rate_present,
				      bm->exception_rate),
			       bm->with_exception, bm->evaluated);
	} else {
		const char *span = day > c->pilot_days ?
			rpt_printf(b, "Over the pilot's %d days",
				   c->pilot_days) :
			rpt_printf(b, "Over the first %lld %s of the pilot's "
				   "%d", days_in,
				   ld_plural(days_in, "day", "days"),
				   c->pilot_days);

		if (bm->rate_present && pi->rate_present) {
			double pts = (pi->exception_rate -
				      bm->exception_rate) * 100.0;

			s = rpt_printf(b, "%s the stage progression exception "
				       "rate %s %s in the %d-day baseline %s "
				       "%s (%+.1f points; %zu of %zu "
				       "opportunities evaluated had an "
				       "exception).", span,
				       fabs(pts) < 0.05 ? "stayed at" :
				       "went from",
				       ld_pct(b, 1, bm->exception_rate),
				       c->baseline_days,
				       fabs(pts) < 0.05 ? "and is" : "to",
				       ld_pct(b, 1, pi->exception_rate), pts,
				       pi->with_exception, pi->evaluated);
		} else if (pi->rate_present) {
			s = rpt_printf(b, "%s the stage progression exception "
				       "rate is %s (%zu of %zu opportunities "
				       "evaluated); the baseline evaluated no "
				       "opportunity, so there is nothing to "
				       "compare it with.", span,
				       ld_pct(b, 1, pi->exception_rate),
				       pi->with_exception, pi->evaluated);
		} else {
			s = rpt_printf(b, "%s no opportunity was evaluated, "
				       "so there is no exception rate yet "
				       "(the baseline's was %s).", span,
				       ld_pct(b, bm->rate_present,
					      bm->exception_rate));
		}
		/* The windows differ in length: counts are compared per
		 * 30 days, or a short pilot always looks better. */
		s = rpt_printf(b, "%s  False progressions (advances without "
			       "the buyer's evidence): %zu in the %d-day "
			       "baseline (%.1f per 30 days), %zu in the "
			       "pilot's %lld %s so far (%.1f per 30 days).",
			       s, bm->false_progressions, c->baseline_days,
			       ld_per_30_days(bm->false_progressions,
					      c->baseline_days),
			       pi->false_progressions, days_in,
			       ld_plural(days_in, "day", "days"),
			       ld_per_30_days(pi->false_progressions,
					      days_in));
		if (pi->turnaround_present)
			s = rpt_printf(b, "%s  Managers decided %zu %s, with "
				       "a median turnaround of %.1f hours "
				       "(p90 %.1f hours).", s,
				       pi->dispositions,
				       ld_plural((long long)pi->dispositions,
						 "review", "reviews"),
				       pi->turnaround_median_hours,
				       pi->turnaround_p90_hours);
		else
			s = rpt_printf(b, "%s  No review has been decided in "
				       "the pilot yet.", s);
		if (pi->evaluated < LD_FEW_OPPORTUNITIES ||
		    days_in < LD_FEW_DAYS)
			s = rpt_printf(b, "%s  This is early evidence: only "
				       "%zu %s evaluated over %lld %s, so a "
				       "change of this size can be chance; "
				       "read it as a direction, not a "
				       "result.", s, pi->evaluated,
				       ld_plural((long long)pi->evaluated,
						 "opportunity was",
						 "opportunities were"),
				       days_in, ld_plural(days_in, "day",
							  "days"));
	}
	if (rv->open == 0)
		s = rpt_printf(b, "%s  No review is open.", s);
	else
		s = rpt_printf(b, "%s  %lld %s open, %lld of them past "
			       "%s due time.", s, rv->open,
			       ld_plural(rv->open, "review is",
					 "reviews are"), rv->overdue,
			       ld_plural(rv->overdue, "its", "their"));
	if (pi->paused > 0)
		s = rpt_printf(b, "%s  %zu %s paused because %s data cannot "
			       "be trusted (see Data quality).", s,
			       pi->paused, ld_plural((long long)pi->paused,
						     "opportunity is",
						     "opportunities are"),
			       ld_plural((long long)pi->paused, "its",
					 "their"));
	return s;
}

static void ld_window(struct rpt_lead *l)
{
	struct sg_built_report *b = l->b;
	const struct sg_config *c = l->in->config;
	sg_time start = c->pilot_start;
	sg_time end = start + (sg_time)c->pilot_days * LD_DAY;
	sg_time bstart = start - (sg_time)c->baseline_days * LD_DAY;
	long long day = ld_pilot_day(c, l->in->as_of);
	struct sg_table *t;
	struct sg_value *v;

	t = rpt_mem_table(b, "pilot_window", "Pilot window",
			  "Dates are UTC days; a window ends on its last "
			  "day.", ld_window_cols, LD_COUNT(ld_window_cols),
			  0);
	rpt_add_table(b, t);
#define LD_ITEM(label, value) do { \
		v = rpt_mem_row(b, t); \
		if (v != NULL) { \
			v[0] = rpt_v_text(label); \
			v[1] = (value); \
		} \
	} while (0)
	LD_ITEM("As of", rpt_v_time(l->in->as_of));
	LD_ITEM("Pilot start", rpt_v_date(start));
	LD_ITEM("Pilot end (last day)", rpt_v_date(end - 1));
	LD_ITEM("Pilot length", rpt_v_number(c->pilot_days, "days"));
	if (day == 0)
		LD_ITEM("Day of the pilot", rpt_v_text("not started"));
	else if (day > c->pilot_days)
		LD_ITEM("Day of the pilot", rpt_v_text("ended"));
	else
		LD_ITEM("Day of the pilot", rpt_v_int(day));
	LD_ITEM("Baseline start", rpt_v_date(bstart));
	LD_ITEM("Baseline end (last day)", rpt_v_date(start - 1));
	LD_ITEM("Baseline length", rpt_v_number(c->baseline_days, "days"));
#undef LD_ITEM
}

static int ld_headline(struct rpt_lead *l, struct sg_error *err)
{
	struct sg_built_report *b = l->b;
	const struct sg_pilot_measures *pm = l->in->measures;
	struct sg_measure_cmp *cmp = NULL;
	struct sg_table *t;
	struct sg_value *v;
	size_t n = 0, i, k;
	int rc;

	t = rpt_mem_table(b, "headline", "Headline measures",
			  "Baseline: the rules replayed over the days "
			  "before the pilot, each move judged with what was "
			  "known then; no reviews existed, so turnaround and "
			  "overdue reviews do not apply there (n/a).  "
			  "Change: pilot - baseline (rates in points); "
			  "relative change: the change over the baseline.",
			  ld_headline_cols, LD_COUNT(ld_headline_cols), 0);
	rpt_add_table(b, t);
	rc = sg_measures_compare(&pm->baseline, &pm->pilot, &cmp, &n, err);
	if (rc != SG_OK)
		return rc;
	for (k = 0; k < LD_COUNT(ld_headlines); k++) {
		const char *key = ld_headlines[k].key;

		v = rpt_mem_row(b, t);
		if (v == NULL)
			break;
		v[0] = rpt_v_text(ld_headlines[k].title);
		v[1] = rpt_v_text(key);
		if (strcmp(key, "exceptions_total") == 0) {
			long long x = ld_total(&pm->baseline);
			long long y = ld_total(&pm->pilot);

			v[2] = rpt_v_int(x);
			v[3] = rpt_v_int(y);
			v[4] = rpt_v_int(y - x);
			if (x != 0)
				v[5] = rpt_v_percent((double)(y - x) /
						     (double)x);
			continue;
		}
		for (i = 0; i < n; i++)
			if (strcmp(cmp[i].key, key) == 0)
				break;
		if (i == n)
			continue;
		v[2] = rpt_measure_value(b, key, &cmp[i].baseline);
		v[3] = rpt_measure_value(b, key, &cmp[i].pilot);
		v[4] = rpt_measure_value(b, key, &cmp[i].change);
		if (cmp[i].relative_present)
			v[5] = rpt_v_percent(cmp[i].relative);
	}
	free(cmp);
	return rpt_status(b, err);
}

static void ld_reviews(struct rpt_lead *l, const struct rpt_review_counts *rv)
{
	struct sg_built_report *b = l->b;
	struct sg_table *t;
	struct sg_value *v;

	t = rpt_mem_table(b, "reviews", "Reviews at as-of",
			  "Open: raised and not decided by as-of; overdue: "
			  "open past the due time (raised + the review "
			  "SLA).", ld_reviews_cols,
			  LD_COUNT(ld_reviews_cols), 0);
	rpt_add_table(b, t);
	v = rpt_mem_row(b, t);
	if (v != NULL) {
		v[0] = rpt_v_text("Open");
		v[1] = rpt_v_int(rv->open);
	}
	v = rpt_mem_row(b, t);
	if (v != NULL) {
		v[0] = rpt_v_text("Overdue");
		v[1] = rpt_v_int(rv->overdue);
	}
	v = rpt_mem_row(b, t);
	if (v != NULL) {
		v[0] = rpt_v_text("Decided");
		v[1] = rpt_v_int(rv->decided);
	}
}

static void ld_by_type(struct rpt_lead *l)
{
	struct sg_built_report *b = l->b;
	const struct sg_pilot_measures *pm = l->in->measures;
	struct sg_table *t;
	struct sg_value *v;
	int k;

	t = rpt_mem_table(b, "by_type", "Exceptions per type",
			  "Exceptions of each type in the baseline and in "
			  "the pilot so far; paused opportunities are "
			  "counted on Data quality.", ld_by_type_cols,
			  LD_COUNT(ld_by_type_cols), 0);
	rpt_add_table(b, t);
	for (k = 0; k < SG_EX_TYPE_COUNT; k++) {
		if (k == SG_EX_DATA_QUALITY)
			continue;
		v = rpt_mem_row(b, t);
		if (v == NULL)
			break;
		v[0] = rpt_v_text(sg_exception_type_name(k));
		v[1] = rpt_v_int((long long)pm->baseline.counts[k]);
		v[2] = rpt_v_int((long long)pm->pilot.counts[k]);
	}
	rpt_add_chart(b, rpt_chart(b, "by_type", "Exceptions per type: "
				   "baseline vs pilot", SG_CHART_COLUMN, t, 0,
				   ld_by_type_values,
				   LD_COUNT(ld_by_type_values),
				   "Exception type", "Exceptions"));
}

/* The exceptions in the ledger per type, for a report without a pilot. */
struct ld_current {
	long long count[SG_EX_TYPE_COUNT], open[SG_EX_TYPE_COUNT];
};

static int ld_current_row(void *arg, const char *type, size_t count,
			  size_t open, struct sg_error *err)
{
	struct ld_current *c = arg;
	int k = sg_exception_type_from_name(type);

	(void)err;
	if (k >= 0) {
		c->count[k] += (long long)count;
		c->open[k] += (long long)open;
	}
	return SG_OK;
}

static int ld_current(struct rpt_lead *l, struct sg_error *err)
{
	struct sg_built_report *b = l->b;
	struct ld_current c;
	struct sg_table *t;
	struct sg_value *v;
	int k, rc;

	memset(&c, 0, sizeof(c));
	rc = sg_ledger_type_counts(l->ledger, l->in->as_of, ld_current_row,
				   &c, err);
	if (rc != SG_OK)
		return rc;
	t = rpt_mem_table(b, "by_type", "Exceptions per type",
			  "Every exception recorded in the ledger by "
			  "as-of, and how many still wait for a review.",
			  ld_current_cols, LD_COUNT(ld_current_cols), 0);
	rpt_add_table(b, t);
	for (k = 0; k < SG_EX_TYPE_COUNT; k++) {
		v = rpt_mem_row(b, t);
		if (v == NULL)
			break;
		v[0] = rpt_v_text(sg_exception_type_name(k));
		v[1] = rpt_v_text(sg_verdict_name(
			sg_exception_type_verdict(k)));
		v[2] = rpt_v_int(c.count[k]);
		v[3] = rpt_v_int(c.open[k]);
	}
	rpt_add_chart(b, rpt_chart(b, "by_type", "Exceptions per type",
				   SG_CHART_COLUMN, t, 0, ld_current_values,
				   LD_COUNT(ld_current_values),
				   "Exception type", "Exceptions"));
	return rpt_status(b, err);
}

static int ld_summary(struct rpt_lead *l, struct sg_error *err)
{
	struct sg_built_report *b = l->b;
	struct rpt_review_counts rv;
	char day[SG_TIME_ISO_SIZE];
	int rc;

	rc = rpt_review_counts(l->ledger, l->in->as_of, &rv, err);
	if (rc != SG_OK)
		return rc;
	rpt_section(b, "summary", "Summary");
	if (l->in->measures == NULL) {
		rpt_heading(b, rpt_printf(b, "Stage progression exceptions "
					  "as of %s",
					  sg_time_format_date(l->in->as_of,
							      day)));
		rpt_text(b, rpt_printf(b, "The rules config has no pilot "
			 "section, so there is no baseline-versus-pilot "
			 "comparison and no weekly trend; add \"pilot\" "
			 "(start, days, baseline_days) to measure one.  "
			 "Below are the exceptions recorded in the ledger as "
			 "of %s.  %s", day, rv.open == 0 ?
			 "No review is open." :
			 rpt_printf(b, "%lld %s open, %lld of them past %s "
				    "due time.", rv.open,
				    ld_plural(rv.open, "review is",
					      "reviews are"), rv.overdue,
				    ld_plural(rv.overdue, "its", "their"))));
		ld_reviews(l, &rv);
		rc = rpt_status(b, err);
		if (rc == SG_OK)
			rc = ld_current(l, err);
		return rc;
	}
	rpt_heading(b, rpt_printf(b, "Stage progression pilot: results as "
				  "of %s",
				  sg_time_format_date(l->in->as_of, day)));
	rpt_text(b, ld_reading(l, &rv));
	ld_window(l);
	rc = rpt_status(b, err);
	if (rc == SG_OK)
		rc = ld_headline(l, err);
	if (rc != SG_OK)
		return rc;
	ld_reviews(l, &rv);
	ld_by_type(l);
	return rpt_status(b, err);
}

/* ---- the weekly trend ---- */

static const struct sg_column ld_trend_cols[] = {
	{ "week", "Week", SG_VAL_TEXT, SG_ROLE_PLAIN, 8 },
	{ "start", "Start", SG_VAL_DATE, SG_ROLE_PLAIN, 0 },
	{ "end", "End (last day)", SG_VAL_DATE, SG_ROLE_PLAIN, 0 },
	{ "exception_rate", "Exception rate", SG_VAL_PERCENT, SG_ROLE_PLAIN,
	  0 },
	{ "exceptions", "Exceptions", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
	{ "turnaround_median_hours", "Turnaround median (hours)",
	  SG_VAL_NUMBER, SG_ROLE_PLAIN, 0 },
	{ "turnaround_p90_hours", "Turnaround p90 (hours)", SG_VAL_NUMBER,
	  SG_ROLE_PLAIN, 0 },
	{ "reviews_open_past_due", "Reviews open past due", SG_VAL_INT,
	  SG_ROLE_PLAIN, 0 },
};

static const size_t ld_rate_values[] = { 3 };
static const size_t ld_turnaround_values[] = { 5, 6 };

static int ld_trend(struct rpt_lead *l, struct sg_error *err)
{
	struct sg_built_report *b = l->b;
	const struct sg_pilot_measures *pm = l->in->measures;
	struct sg_table *t;
	struct sg_value *v;
	size_t k;

	rpt_section(b, "trend", "Trend");
	if (pm == NULL) {
		rpt_text(b, "No pilot section in the rules config: there is "
			 "no weekly trend to show.");
		return rpt_status(b, err);
	}
	rpt_heading(b, "The pilot week by week");
	t = rpt_mem_table(b, "trend", "Weekly trend",
			  "Each 7-day week of the pilot begun by as-of (the "
			  "current week measured up to as-of).  Exceptions: "
			  "all types but paused.  Turnaround: hours from "
			  "raised to decision for the reviews decided that "
			  "week.", ld_trend_cols, LD_COUNT(ld_trend_cols),
			  0);
	rpt_add_table(b, t);
	for (k = 0; k < pm->week_count; k++) {
		const struct sg_measures *w = &pm->weeks[k];

		v = rpt_mem_row(b, t);
		if (v == NULL)
			break;
		v[0] = rpt_v_text(rpt_printf(b, "Week %zu", k + 1));
		v[1] = rpt_v_date(w->start);
		v[2] = rpt_v_date(w->end - 1);
		if (w->rate_present)
			v[3] = rpt_v_percent(w->exception_rate);
		v[4] = rpt_v_int(ld_total(w));
		if (w->turnaround_present) {
			v[5] = rpt_v_number(w->turnaround_median_hours,
					    "hours");
			v[6] = rpt_v_number(w->turnaround_p90_hours, "hours");
		}
		v[7] = rpt_v_int((long long)w->open_past_due);
	}
	rpt_add_chart(b, rpt_chart(b, "weekly_rate", "Weekly exception rate",
				   SG_CHART_LINE, t, 0, ld_rate_values,
				   LD_COUNT(ld_rate_values), "Week",
				   "Exception rate"));
	rpt_add_chart(b, rpt_chart(b, "turnaround", "Approval turnaround "
				   "(hours)", SG_CHART_COLUMN, t, 0,
				   ld_turnaround_values,
				   LD_COUNT(ld_turnaround_values), "Week",
				   "Hours"));
	return rpt_status(b, err);
}

/* ---- the report ---- */

/* Marks the opportunities the replay paused (data_quality at as-of). */
static int ld_paused(struct rpt_lead *l, struct sg_error *err)
{
	const struct sg_exceptions *ex;
	struct sg_model_view v;
	size_t i;

	sg_model_view(l->in->model, &v);
	l->opp_count = v.opp_count;
	if (l->in->replay == NULL)
		return SG_OK;
	l->paused = calloc(v.opp_count ? v.opp_count : 1, 1);
	if (l->paused == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "report: out of "
				    "memory");
	ex = sg_replay_exceptions(l->in->replay);
	for (i = 0; i < ex->count; i++)
		if (ex->items[i].type == SG_EX_DATA_QUALITY &&
		    ex->items[i].opp < v.opp_count)
			l->paused[ex->items[i].opp] = 1;
	return SG_OK;
}

int sg_report_leadership(struct sg_built_report **out,
			 const struct sg_report_inputs *in,
			 struct sg_error *err)
{
	struct rpt_lead l;
	int rc;

	*out = NULL;
	if (in->config == NULL || in->ledger == NULL || in->model == NULL)
		return sg_error_set(err, SG_ERR_USAGE, "leadership report: "
				    "needs the rules config, the ledger and "
				    "the model");
	if (in->measures != NULL && !in->config->pilot_present)
		return sg_error_set(err, SG_ERR_USAGE, "leadership report: "
				    "pilot measures given but %s has no "
				    "\"pilot\" section", in->config->path ?
				    in->config->path : "the config");
	memset(&l, 0, sizeof(l));
	l.in = in;
	l.ledger = in->ledger;
	rc = rpt_new(&l.b, "leadership", "Stage progression: leadership "
		     "report", in->as_of, err);
	if (rc == SG_OK)
		rc = ld_paused(&l, err);
	if (rc == SG_OK)
		rc = ld_summary(&l, err);
	if (rc == SG_OK)
		rc = rpt_lead_exceptions(&l, err);
	if (rc == SG_OK)
		rc = rpt_lead_review_queue(&l, err);
	if (rc == SG_OK)
		rc = rpt_lead_stage_ages(&l, err);
	if (rc == SG_OK)
		rc = rpt_lead_owners(&l, err);
	if (rc == SG_OK)
		rc = rpt_lead_evidence_gaps(&l, err);
	if (rc == SG_OK)
		rc = rpt_lead_data_quality(&l, err);
	if (rc == SG_OK)
		rc = ld_trend(&l, err);
	if (rc == SG_OK)
		rc = rpt_lead_definitions(&l, err);
	free(l.paused);
	if (rc != SG_OK) {
		sg_built_report_free(l.b);
		return rc;
	}
	*out = l.b;
	return SG_OK;
}
