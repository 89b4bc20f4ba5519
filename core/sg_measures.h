/*
 * sg_measures.h - the pilot measures of DESIGN §7 for any window, with the
 * exact readings of §10 rules 33-44: baseline replay, pilot, weekly trend
 * and their comparison.
 *
 * How a window is measured: the model is judged once at the run's as-of
 * with every move of its history (struct sg_replay).  A move exception
 * depends only on what was known at the move (evidence, activities and
 * field values up to it), so this is how a live check would have judged
 * each move then (rule 34); the same judging gives the paused set (data
 * quality at as-of on today's data).  stage_age (rule 36), no_next_step
 * (rule 37), the opportunities evaluated (rule 35) and close-date pushes
 * (rule 43) are computed per window from the model's records.
 * Dispositions (turnaround, corrections by disposition) come from the
 * ledger's review tasks, seen as they stood at as-of.
 */
#ifndef SG_MEASURES_H
#define SG_MEASURES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_checks.h"
#include "sg_ledger.h"
#include "sg_model.h"
#include "util/sg_decimal.h"

/* A flagged move reverted to its from-stage within this many seconds
 * (14 days inclusive, rule 40) counts as corrected. */
#define SG_REVERT_WINDOW_SECONDS (14 * 86400)

struct sg_replay;

/*
 * Judges the finished model once at as_of (rule 34): the data of its
 * whole history, and the moves at or after from (SG_TIME_NONE: every
 * move), the earliest start of a window it will measure.  A move
 * exception depends only on what was known at the move, so it is the
 * same whichever moves before it are judged; the rest would be judged
 * for nothing (at a million opportunities, three quarters of them).
 * model must outlive the replay.  Returns SG_OK or SG_ERR_NOMEM.
 */
int sg_replay_new(struct sg_replay **out, const struct sg_model *model,
		  sg_time as_of, sg_time from, struct sg_error *err);
/* Accepts NULL. */
void sg_replay_free(struct sg_replay *replay);

/* The judged exceptions (every move of history, and the as-of checks). */
const struct sg_exceptions *sg_replay_exceptions(const struct sg_replay *r);

/*
 * Adds a review task (copied).  A task raised after as-of is ignored, and
 * a disposition decided after as-of is seen as not yet recorded.
 */
int sg_replay_add_task(struct sg_replay *r, const struct sg_task_record *t,
		       struct sg_error *err);

/* Adds every review task of the ledger (sg_replay_add_task()). */
int sg_replay_load_ledger(struct sg_replay *r, struct sg_ledger *ledger,
			  struct sg_error *err);

/* A forecast-impacting amount total of one currency (rule 41). */
struct sg_currency_total {
	const char *currency;   /* NULL: no currency; borrowed */
	struct sg_decimal amount;
	size_t count;           /* changes with an amount in this currency */
};

/* The measures of one window [start, end). */
struct sg_measures {
	sg_time start, end;
	sg_time as_of;
	sg_time until;          /* min(end, as_of + 1): the part measured */
	int dispositions_applicable; /* 0 for the baseline */

	size_t evaluated;       /* rule 35 */
	size_t with_exception;  /* the rate's numerator */
	int rate_present;       /* 0: none evaluated (rule 42) */
	double exception_rate;
	size_t counts[SG_EX_TYPE_COUNT]; /* rule 38; data_quality = paused */

	size_t false_progressions; /* rule 39 */

	size_t flagged_moves;   /* rule 40 denominator */
	size_t corrected;       /* by revert or by disposition */
	size_t corrected_by_revert;
	size_t corrected_by_disposition; /* only when applicable */
	int correction_rate_present; /* 0: no flagged move */
	double correction_rate;

	size_t forecast_changes; /* rule 41 */
	size_t forecast_without_amount;
	struct sg_currency_total *amounts; /* sorted by currency, NULL first */
	size_t amount_count;

	size_t pushes;          /* rule 43 */
	size_t push_opportunities;
	int64_t push_days_total;
	int push_median_present;
	double push_days_median;

	/* Only when dispositions_applicable. */
	size_t dispositions;    /* decided in [start, until) */
	int turnaround_present; /* 0: no disposition in the window */
	double turnaround_median_hours, turnaround_p90_hours;
	size_t open_past_due;   /* at min(end, as_of) */

	size_t paused;          /* rule 34 */
};

/*
 * Measures [start, end) at the replay's as-of.  dispositions_applicable 0
 * (the baseline) reports the disposition measures as not applicable and
 * counts corrections by revert only.  The result borrows currency texts
 * from the replay; release it with sg_measures_release().  Returns SG_OK,
 * SG_ERR_USAGE when end <= start, SG_ERR_INTERNAL when start is before
 * the replay's from, or SG_ERR_NOMEM.
 */
int sg_measures_compute(struct sg_measures *out, const struct sg_replay *r,
			sg_time start, sg_time end,
			int dispositions_applicable, struct sg_error *err);
/* Accepts NULL. */
void sg_measures_release(struct sg_measures *m);

/* One measure as a flat row: key and value. */
enum sg_measure_kind {
	SG_MK_NULL = 0,         /* undefined (e.g. a rate over nothing) */
	SG_MK_NA,               /* not applicable (baseline dispositions) */
	SG_MK_INT,
	SG_MK_REAL,
	SG_MK_DECIMAL
};

#define SG_MEASURE_KEY_SIZE 96

struct sg_measure_row {
	char key[SG_MEASURE_KEY_SIZE];
	int kind;               /* enum sg_measure_kind */
	int64_t i;
	double r;
	struct sg_decimal d;
};

/*
 * The measures as rows, keys in this fixed order (stable names):
 * opportunities_evaluated, opportunities_with_exception,
 * stage_progression_exception_rate, exceptions_<type> for each type of
 * enum sg_exception_type, false_progressions, flagged_moves,
 * stage_corrections, stage_corrections_by_revert,
 * stage_corrections_by_disposition, stage_correction_rate,
 * forecast_impacting_changes, forecast_impacting_changes_without_amount,
 * close_date_pushes, close_date_push_opportunities,
 * close_date_push_days_total, close_date_push_days_median,
 * dispositions_recorded, approval_turnaround_median_hours,
 * approval_turnaround_p90_hours, reviews_open_past_due, paused; then one
 * forecast_impacting_amount:CUR row per currency ("none" without one).
 * *rows is malloc'd; the caller frees it.
 */
int sg_measures_rows(const struct sg_measures *m,
		     struct sg_measure_row **rows, size_t *count,
		     struct sg_error *err);

/*
 * {"name", "start", "end", "measured_until", "dispositions_applicable",
 *  "measures": {key: value}, "not_applicable": [key...]}; name may be
 * NULL.  Returns a new reference or NULL on memory.
 */
json_t *sg_measures_to_json(const struct sg_measures *m, const char *name);

/* One compared measure (both windows and the change). */
struct sg_measure_cmp {
	char key[SG_MEASURE_KEY_SIZE];
	struct sg_measure_row baseline, pilot, change;
	int relative_present;
	double relative;
};

/*
 * Side by side: the union of both windows' rows (baseline order, then the
 * pilot's others; a currency absent from one window totals 0), with the
 * absolute change (pilot - baseline; null when either is null or not
 * applicable) and the relative change (null also when the baseline is 0).
 */
int sg_measures_compare(const struct sg_measures *baseline,
			const struct sg_measures *pilot,
			struct sg_measure_cmp **out, size_t *count,
			struct sg_error *err);

/*
 * The comparison JSON: {"as_of", "baseline": window, "pilot": window,
 * "comparison": [{"measure", "baseline", "pilot", "change",
 * "relative_change", "not_applicable": [names]}], "weekly": [{"week",
 * "start", "end", "measured_until", "measures", "not_applicable"}]}.
 * Returns a new reference, or NULL with err set.
 */
json_t *sg_measures_compare_json(const struct sg_measures *baseline,
				 const struct sg_measures *pilot,
				 const struct sg_measures *weeks,
				 size_t week_count, struct sg_error *err);

/* The pilot's comparison: its baseline, itself, and its weekly slices. */
struct sg_pilot_measures {
	struct sg_measures baseline, pilot;
	struct sg_measures *weeks;      /* the 7-day slices of the pilot
					 * begun by as-of, the last one
					 * cut at the pilot's end */
	size_t week_count;
};

#define SG_PILOT_WEEK_SECONDS (7 * 86400)

/* The start of the earliest window sg_pilot_measures_compute() measures
 * (the baseline's): a replay's from.  SG_TIME_NONE without a pilot. */
sg_time sg_pilot_measures_from(const struct sg_config *config);

/*
 * Measures the baseline (the baseline_days before the pilot start; no
 * dispositions), the pilot (its days from the start) and each week of the
 * pilot begun by as-of, from one replay.  config must have a pilot
 * section (config->pilot_present).  On failure nothing is left to
 * release.
 */
int sg_pilot_measures_compute(struct sg_pilot_measures *out,
			      const struct sg_replay *replay,
			      const struct sg_config *config,
			      struct sg_error *err);
/* Accepts NULL. */
void sg_pilot_measures_release(struct sg_pilot_measures *pm);

/*
 * The pilot's measures as one JSON document: sg_measures_compare_json()
 * of pm, indented by 2, reals with 15 digits, and a final newline.  The
 * one shape both `metrics --compare --format json` and the metrics
 * sink's metrics.json give.  malloc'd; NULL with err set on failure.
 */
char *sg_pilot_measures_json(const struct sg_pilot_measures *pm,
			     struct sg_error *err);

/* Stores a row's value as JSON (null for NULL and NA). */
json_t *sg_measure_row_json(const struct sg_measure_row *row);

/* Writes a row's value as text into buf: "" for null, "n/a" for not
 * applicable; reals with up to 15 significant digits. */
char *sg_measure_row_text(const struct sg_measure_row *row, char *buf,
			  size_t size);

#endif
