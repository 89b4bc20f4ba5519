/*
 * report_view.h - internal to reports/: a built report (struct
 * sg_built_report) owning every string, table and chart its view points
 * to, and the helpers the report builders share: sections and blocks,
 * tables held in memory, tables streamed from a ledger query on each
 * rows() call, charts, typed values and measure rows as values.
 *
 * Building is sticky on memory: a helper that cannot allocate marks the
 * report failed and returns NULL (or does nothing); the builder checks
 * once at the end with rpt_status().
 */
#ifndef REPORT_VIEW_H
#define REPORT_VIEW_H

#include <stddef.h>

#include "sg_ledger.h"
#include "sg_measures.h"
#include "sg_reports.h"

/* Creates an empty report (no section yet). */
int rpt_new(struct sg_built_report **out, const char *key,
	    const char *title, sg_time as_of, struct sg_error *err);

/* SG_OK, or SG_ERR_NOMEM with err set when any helper ran out. */
int rpt_status(const struct sg_built_report *b, struct sg_error *err);

/* Marks the report out of memory. */
void rpt_fail(struct sg_built_report *b);

/* A copy of s in the report's arena (NULL for NULL or on memory). */
const char *rpt_str(struct sg_built_report *b, const char *s);
const char *rpt_printf(struct sg_built_report *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* size zeroed bytes in the arena, or NULL. */
void *rpt_alloc(struct sg_built_report *b, size_t size);

/* Starts a section; the blocks added next belong to it. */
void rpt_section(struct sg_built_report *b, const char *key,
		 const char *title);
void rpt_heading(struct sg_built_report *b, const char *text);
void rpt_text(struct sg_built_report *b, const char *text);
void rpt_add_table(struct sg_built_report *b, const struct sg_table *t);
void rpt_add_chart(struct sg_built_report *b, const struct sg_chart *c);

/* A table whose rows are held in the arena.  columns must outlive the
 * report (static tables of the builders). */
struct sg_table *rpt_mem_table(struct sg_built_report *b, const char *key,
			       const char *title, const char *note,
			       const struct sg_column *columns, size_t count,
			       unsigned flags);

/* Appends a row of column_count NONE cells to a memory table and returns
 * them for the caller to fill (texts must be arena copies); NULL on
 * memory. */
struct sg_value *rpt_mem_row(struct sg_built_report *b, struct sg_table *t);

/* The number of rows of a memory table. */
size_t rpt_mem_row_count(const struct sg_table *t);

/*
 * A table streamed from the ledger: each rows() call runs each(), which
 * walks a ledger iterator calling row(arg, record) for each record; for
 * each, convert() fills the cells (NONE beforehand; texts may point into
 * the record) and they are handed on.  ctx is each()'s and convert()'s.
 */
struct rpt_query {
	struct sg_ledger *ledger;
	sg_time as_of;
	int (*each)(const struct rpt_query *q,
		    int (*row)(void *arg, const void *record,
			       struct sg_error *err),
		    void *arg, struct sg_error *err);
	void (*convert)(const struct rpt_query *q, const void *record,
			struct sg_value *cells);
	const void *ctx;
};

struct sg_table *rpt_query_table(struct sg_built_report *b, const char *key,
				 const char *title, const char *note,
				 const struct sg_column *columns,
				 size_t count, unsigned flags,
				 const struct rpt_query *query);

struct sg_chart *rpt_chart(struct sg_built_report *b, const char *key,
			   const char *title, int type,
			   const struct sg_table *table, size_t category,
			   const size_t *values, size_t value_count,
			   const char *x_title, const char *y_title);

/* Values.  Texts are borrowed: the caller keeps them alive. */
struct sg_value rpt_v_none(void);
struct sg_value rpt_v_na(void);
struct sg_value rpt_v_text(const char *text);   /* NULL: NONE */
struct sg_value rpt_v_int(long long v);
struct sg_value rpt_v_number(double v, const char *unit);
struct sg_value rpt_v_percent(double v);
struct sg_value rpt_v_time(sg_time t);          /* SG_TIME_NONE: NONE */
struct sg_value rpt_v_date(sg_time t);          /* midnight of t's day */
struct sg_value rpt_v_json(const char *text);   /* NULL: NONE */
/* An exact decimal amount with its currency; NONE when text is NULL or
 * not a plain decimal. */
struct sg_value rpt_v_money(const char *text, const char *currency);

/* Rounds to one decimal (hours, days shown to people). */
double rpt_round1(double v);

/*
 * A measure row as a value of the report: INT; a rate (key ending in
 * "_rate") as PERCENT; other reals as NUMBER with unit "hours" or
 * "days" by the key; a decimal as MONEY in the key's currency
 * ("forecast_impacting_amount:EUR"; "none": no currency); NULL as NONE;
 * not applicable as NA.  MONEY text is copied into the report.
 */
struct sg_value rpt_measure_value(struct sg_built_report *b,
				  const char *key,
				  const struct sg_measure_row *row);

/* Appends "a, b, c" style: s (may be NULL) + sep + add, in the arena. */
const char *rpt_join(struct sg_built_report *b, const char *s,
		     const char *add);

/* --- what the leadership report's parts build (leadership_*.c) --- */

/* The shared facts of one leadership build. */
struct rpt_lead {
	struct sg_built_report *b;
	const struct sg_report_inputs *in;
	struct sg_ledger *ledger;
	unsigned char *paused;  /* by opportunity index: judged data_quality
				 * at as-of (NULL: no replay) */
	size_t opp_count;
};

/* The stage index of an opportunity at t (the to-stage of its last event
 * at or before t; SG_NO_STAGE without one) and when it entered it (the
 * last event that actually changed the stage into it). */
int rpt_stage_at(const struct sg_model *model,
		 const struct sg_opportunity *o, sg_time t, sg_time *entered);

/* The ledger's sections. */
int rpt_lead_exceptions(struct rpt_lead *l, struct sg_error *err);
int rpt_lead_review_queue(struct rpt_lead *l, struct sg_error *err);
int rpt_lead_owners(struct rpt_lead *l, struct sg_error *err);
int rpt_lead_evidence_gaps(struct rpt_lead *l, struct sg_error *err);
/* The model's sections. */
int rpt_lead_stage_ages(struct rpt_lead *l, struct sg_error *err);
int rpt_lead_data_quality(struct rpt_lead *l, struct sg_error *err);
/* The definitions of the measures and the rules config. */
int rpt_lead_definitions(struct rpt_lead *l, struct sg_error *err);

/* Review tasks as they stood at as_of (sg_ledger_task_counts). */
struct rpt_review_counts {
	long long open, overdue, decided;
};
int rpt_review_counts(struct sg_ledger *ledger, sg_time as_of,
		      struct rpt_review_counts *out, struct sg_error *err);

#endif
