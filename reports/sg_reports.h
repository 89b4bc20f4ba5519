/*
 * sg_reports.h - what stageguard's reports say (DESIGN §1): the leadership
 * exception report with the baseline-versus-pilot comparison, and the
 * pilot's metrics as tables for machines.  Both are renderer-neutral views
 * (struct sg_report, core/sg_plugin.h) that sink plugins render: the xlsx
 * sink a workbook, the metrics sink JSON, CSV and JSON lines.
 *
 * A built report owns everything its view points to.  Large tables
 * (exceptions, review tasks, events) are not held in memory: their rows()
 * query the ledger each time they are called, so the ledger must stay
 * open, unchanged, until the report is freed.
 */
#ifndef SG_REPORTS_H
#define SG_REPORTS_H

#include "sg_config.h"
#include "sg_ledger.h"
#include "sg_measures.h"
#include "sg_model.h"
#include "sg_plugin.h"

/* What a report is computed from; all borrowed, outliving the report. */
struct sg_report_inputs {
	const struct sg_config *config;  /* rules, pilot window, review SLA */
	struct sg_ledger *ledger;        /* exceptions, tasks, events, runs */
	const struct sg_model *model;    /* finished: owners, teams, stages,
					  * stage ages, paused opportunities */
	const struct sg_replay *replay;  /* the model judged at as_of: its
					  * data_quality exceptions are the
					  * paused opportunities now */
	const struct sg_pilot_measures *measures; /* NULL without a pilot
						   * section */
	sg_time as_of;
};

struct sg_built_report;

/*
 * The leadership report: sections (sheets) "summary", "exceptions",
 * "review_queue", "stage_ages", "owners", "evidence_gaps",
 * "data_quality", "trend", "definitions", with the charts "by_type"
 * (exceptions per type, baseline vs pilot), "weekly_rate" (weekly
 * exception rate) and "turnaround" (approval turnaround).  Returns SG_OK,
 * or SG_ERR_NOMEM / a ledger error with err set.
 */
int sg_report_leadership(struct sg_built_report **out,
			 const struct sg_report_inputs *in,
			 struct sg_error *err);

/*
 * The metrics for machines: one section "metrics" with the tables
 * "comparison" (measure, baseline, pilot, change, relative_change),
 * "baseline" and "pilot" (measure, value), "weekly" (week, start, end,
 * measure, value) and "events" (the ledger's measurement events: seq,
 * type, at, run_id, exception_id, opportunity_id, detail as JSON).
 * Without a pilot section only "events" is present.
 */
int sg_report_metrics(struct sg_built_report **out,
		      const struct sg_report_inputs *in,
		      struct sg_error *err);

/* The view; valid until sg_built_report_free(). */
const struct sg_report *sg_built_report_view(const struct sg_built_report *b);

/* Accepts NULL. */
void sg_built_report_free(struct sg_built_report *b);

#endif
