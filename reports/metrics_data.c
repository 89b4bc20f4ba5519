/*
 * metrics_data.c - the pilot's metrics for machines (sg_report_metrics()):
 * the comparison, each window's measures and the weekly trend with the
 * keys of `stageguard metrics`, and the ledger's measurement events
 * streamed on each rows() call.
 */
#include "report_view.h"

#include <stdlib.h>
#include <string.h>

static const struct sg_column md_comparison_cols[] = {
	{ "measure", "Measure", SG_VAL_TEXT, SG_ROLE_ID, 44 },
	{ "baseline", "Baseline", SG_VAL_MIXED, SG_ROLE_PLAIN, 0 },
	{ "pilot", "Pilot", SG_VAL_MIXED, SG_ROLE_PLAIN, 0 },
	{ "change", "Change", SG_VAL_MIXED, SG_ROLE_PLAIN, 0 },
	{ "relative_change", "Relative change", SG_VAL_PERCENT,
	  SG_ROLE_PLAIN, 0 },
};

static const struct sg_column md_window_cols[] = {
	{ "measure", "Measure", SG_VAL_TEXT, SG_ROLE_ID, 44 },
	{ "value", "Value", SG_VAL_MIXED, SG_ROLE_PLAIN, 0 },
};

static const struct sg_column md_weekly_cols[] = {
	{ "week", "Week", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
	{ "start", "Start", SG_VAL_TIME, SG_ROLE_PLAIN, 0 },
	{ "end", "End (excluded)", SG_VAL_TIME, SG_ROLE_PLAIN, 0 },
	{ "measure", "Measure", SG_VAL_TEXT, SG_ROLE_ID, 44 },
	{ "value", "Value", SG_VAL_MIXED, SG_ROLE_PLAIN, 0 },
};

static const struct sg_column md_event_cols[] = {
	{ "seq", "Seq", SG_VAL_INT, SG_ROLE_ID, 0 },
	{ "type", "Type", SG_VAL_TEXT, SG_ROLE_PLAIN, 0 },
	{ "at", "At", SG_VAL_TIME, SG_ROLE_PLAIN, 0 },
	{ "run_id", "Run", SG_VAL_TEXT, SG_ROLE_ID, 0 },
	{ "exception_id", "Exception", SG_VAL_TEXT, SG_ROLE_ID, 0 },
	{ "opportunity_id", "Opportunity", SG_VAL_TEXT, SG_ROLE_ID, 0 },
	{ "detail", "Detail", SG_VAL_JSON, SG_ROLE_NOTE, 0 },
};

#define MD_COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct md_each_event {
	int (*row)(void *arg, const void *record, struct sg_error *err);
	void *arg;
};

static int md_event(void *arg, const struct sg_event_record *ev,
		    struct sg_error *err)
{
	const struct md_each_event *x = arg;

	return x->row(x->arg, ev, err);
}

/* Every event of the ledger, in the order recorded. */
static int md_events(const struct rpt_query *q,
		     int (*row)(void *arg, const void *record,
				struct sg_error *err),
		     void *arg, struct sg_error *err)
{
	struct md_each_event x = { row, arg };

	return sg_ledger_each_event(q->ledger, SG_TIME_NONE, NULL, md_event,
				    &x, err);
}

static void md_event_row(const struct rpt_query *q, const void *record,
			 struct sg_value *cells)
{
	const struct sg_event_record *ev = record;

	(void)q;
	cells[0] = rpt_v_int(ev->seq);
	cells[1] = rpt_v_text(ev->type);
	cells[2] = rpt_v_time(ev->at);
	cells[3] = rpt_v_text(ev->run_id);
	cells[4] = rpt_v_text(ev->exception_id);
	cells[5] = rpt_v_text(ev->opportunity_id);
	cells[6] = rpt_v_json(ev->detail);
}

/* The measures of one window as (measure, value) rows of t, with the
 * week's columns in front when week > 0. */
static int md_window_rows(struct sg_built_report *b, struct sg_table *t,
			  const struct sg_measures *m, long long week,
			  struct sg_error *err)
{
	struct sg_measure_row *rows = NULL;
	struct sg_value *cells;
	size_t n = 0, i, at = week > 0 ? 3 : 0;
	int rc;

	rc = sg_measures_rows(m, &rows, &n, err);
	if (rc != SG_OK)
		return rc;
	for (i = 0; i < n; i++) {
		cells = rpt_mem_row(b, t);
		if (cells == NULL)
			break;
		if (week > 0) {
			cells[0] = rpt_v_int(week);
			cells[1] = rpt_v_time(m->start);
			cells[2] = rpt_v_time(m->end);
		}
		cells[at] = rpt_v_text(rpt_str(b, rows[i].key));
		cells[at + 1] = rpt_measure_value(b, rows[i].key, &rows[i]);
	}
	free(rows);
	return rpt_status(b, err);
}

static int md_comparison(struct sg_built_report *b, struct sg_table *t,
			 const struct sg_pilot_measures *pm,
			 struct sg_error *err)
{
	struct sg_measure_cmp *cmp = NULL;
	struct sg_value *cells;
	size_t n = 0, i;
	int rc;

	rc = sg_measures_compare(&pm->baseline, &pm->pilot, &cmp, &n, err);
	if (rc != SG_OK)
		return rc;
	for (i = 0; i < n; i++) {
		cells = rpt_mem_row(b, t);
		if (cells == NULL)
			break;
		cells[0] = rpt_v_text(rpt_str(b, cmp[i].key));
		cells[1] = rpt_measure_value(b, cmp[i].key, &cmp[i].baseline);
		cells[2] = rpt_measure_value(b, cmp[i].key, &cmp[i].pilot);
		cells[3] = rpt_measure_value(b, cmp[i].key, &cmp[i].change);
		if (cmp[i].relative_present)
			cells[4] = rpt_v_percent(cmp[i].relative);
	}
	free(cmp);
	return rpt_status(b, err);
}

int sg_report_metrics(struct sg_built_report **out,
		      const struct sg_report_inputs *in,
		      struct sg_error *err)
{
	const struct sg_pilot_measures *pm = in->measures;
	struct sg_built_report *b = NULL;
	struct sg_table *t;
	struct rpt_query q;
	size_t k;
	int rc;

	*out = NULL;
	if (in->ledger == NULL)
		return sg_error_set(err, SG_ERR_USAGE, "metrics report: no "
				    "ledger given");
	rc = rpt_new(&b, "metrics", "Pilot metrics", in->as_of, err);
	if (rc != SG_OK)
		return rc;
	rpt_section(b, "metrics", "Metrics");
	if (pm != NULL) {
		t = rpt_mem_table(b, "comparison", "Baseline and pilot",
				  "Each measure for both windows, the "
				  "absolute change (pilot - baseline) and the "
				  "relative change (empty when the baseline "
				  "is 0 or not applicable).",
				  md_comparison_cols,
				  MD_COUNT(md_comparison_cols), 0);
		rpt_add_table(b, t);
		rc = rpt_status(b, err);
		if (rc == SG_OK)
			rc = md_comparison(b, t, pm, err);
		t = rpt_mem_table(b, "baseline", "Baseline", NULL,
				  md_window_cols, MD_COUNT(md_window_cols), 0);
		rpt_add_table(b, t);
		if (rc == SG_OK)
			rc = rpt_status(b, err);
		if (rc == SG_OK)
			rc = md_window_rows(b, t, &pm->baseline, 0, err);
		t = rpt_mem_table(b, "pilot", "Pilot", NULL, md_window_cols,
				  MD_COUNT(md_window_cols), 0);
		rpt_add_table(b, t);
		if (rc == SG_OK)
			rc = rpt_status(b, err);
		if (rc == SG_OK)
			rc = md_window_rows(b, t, &pm->pilot, 0, err);
		t = rpt_mem_table(b, "weekly", "Weekly", "The measures of "
				  "each 7-day week of the pilot begun by "
				  "as-of (the last one cut at the pilot's "
				  "end).", md_weekly_cols,
				  MD_COUNT(md_weekly_cols), 0);
		rpt_add_table(b, t);
		if (rc == SG_OK)
			rc = rpt_status(b, err);
		for (k = 0; rc == SG_OK && k < pm->week_count; k++)
			rc = md_window_rows(b, t, &pm->weeks[k],
					    (long long)k + 1, err);
		if (rc != SG_OK)
			goto out;
	}
	memset(&q, 0, sizeof(q));
	q.ledger = in->ledger;
	q.as_of = in->as_of;
	q.each = md_events;
	q.convert = md_event_row;
	rpt_add_table(b, rpt_query_table(b, "events", "Measurement events",
					 "exception_raised, "
					 "disposition_recorded, "
					 "stage_corrected and run_completed, "
					 "in the order they were recorded.",
					 md_event_cols,
					 MD_COUNT(md_event_cols),
					 SG_TABLE_LIST, &q));
	rc = rpt_status(b, err);
out:
	if (rc != SG_OK) {
		sg_built_report_free(b);
		return rc;
	}
	*out = b;
	return SG_OK;
}
