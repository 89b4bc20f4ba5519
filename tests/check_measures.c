/*
 * check_measures.c - the measures of DESIGN §7 with the readings of §10
 * rules 33-44: window boundaries, evaluated opportunities, stage-age
 * stints, no_next_step at the window's end, corrections by revert and by
 * disposition, per-currency totals, close-date pushes, turnaround, the
 * rows, JSON and the comparison.
 *
 * Each test builds a small model by hand whose answers are worked out in
 * the comments.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_checks.h"
#include "sg_config.h"
#include "sg_measures.h"
#include "sg_model.h"
#include "sg_test_model.h"

/*
 * Stages: 0 discovery (10 days, pipeline, exit: pain), 1 qualification
 * (10 days, pipeline, exit: budget), 2 proposal (20 days, best_case),
 * 3 closed_won, 4 closed_lost (enter_from_any).
 */
static const char cfg_text[] =
	"{\"pipeline\": {\"id\": \"default\"},\n"
	" \"stages\": [\n"
	"  {\"id\": \"discovery\", \"max_age_days\": 10,"
	"   \"forecast_category\": \"pipeline\","
	"   \"exit_criteria\": [\"pain\"]},"
	"  {\"id\": \"qualification\", \"max_age_days\": 10,"
	"   \"forecast_category\": \"pipeline\","
	"   \"exit_criteria\": [\"budget\"]},"
	"  {\"id\": \"proposal\", \"max_age_days\": 20,"
	"   \"forecast_category\": \"best_case\"},"
	"  {\"id\": \"closed_won\", \"closed\": true, \"won\": true,"
	"   \"forecast_category\": \"closed\"},"
	"  {\"id\": \"closed_lost\", \"closed\": true,"
	"   \"enter_from_any\": true,"
	"   \"forecast_category\": \"omitted\"}\n"
	" ],\n"
	" \"criteria\": {\"pain\": {\"label\": \"Pain\","
	"   \"buyer_only\": false},"
	"  \"budget\": {\"label\": \"Budget\"}},\n"
	" \"placeholders\": [\"tbd\"],\n"
	" \"forecast\": {\"review_categories\":"
	"   [\"best_case\", \"closed\"]},\n"
	" \"review\": {\"sla_hours\": 48, \"default_assignee\": \"revops\"}\n"
	"}\n";

#define DAY 86400
#define HOUR 3600
/* 2026-10-01T00:00:00Z */
#define T0 ((sg_time)1790812800)
#define D(n) (T0 + (sg_time)(n) * DAY)

struct fx {
	struct sg_config *cfg;
	struct sg_model *m;
	struct sg_replay *r;
	struct sg_measures ms;
};

static void fx_init(struct fx *f)
{
	struct sg_error err;

	memset(f, 0, sizeof(*f));
	sg_error_clear(&err);
	ck_assert_msg(sg_config_load_text(&f->cfg, "measures.json", "/tmp",
					  cfg_text, strlen(cfg_text),
					  &err) == SG_OK,
		      "config: %s", err.message);
	ck_assert_int_eq(sg_model_new(&f->m, f->cfg, &err), SG_OK);
}

/* Finishes the model and judges it at as_of. */
static void fx_replay(struct fx *f, sg_time as_of)
{
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_model_finish(f->m, &err), SG_OK);
	ck_assert_msg(sg_replay_new(&f->r, f->m, as_of, SG_TIME_NONE, &err) ==
		      SG_OK,
		      "replay: %s", err.message);
}

/* Measures [start, end) into f->ms (released first). */
static void fx_measure(struct fx *f, sg_time start, sg_time end,
		       int applicable)
{
	struct sg_error err;

	sg_measures_release(&f->ms);
	sg_error_clear(&err);
	ck_assert_msg(sg_measures_compute(&f->ms, f->r, start, end,
					  applicable, &err) == SG_OK,
		      "measures: %s", err.message);
}

static void fx_free(struct fx *f)
{
	sg_measures_release(&f->ms);
	sg_replay_free(f->r);
	sg_model_free(f->m);
	sg_config_free(f->cfg);
}

static struct sg_rec_opportunity rec_opp(const char *id, const char *stage)
{
	struct sg_rec_opportunity r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.name = id;
	r.pipeline = "";
	r.stage = stage;
	r.owner_id = "u1";
	r.amount = "1000";
	r.currency = "USD";
	r.close_date = D(90);
	r.created_at = SG_TIME_NONE;
	r.next_step_date = SG_TIME_NONE;
	r.forecast_category = "";
	r.next_step = "Call the CFO";
	return r;
}

static void add_rec(struct fx *f, const struct sg_rec_opportunity *r)
{
	struct sg_error err;

	ck_assert_int_eq(sg_model_add_opportunity(f->m, r, NULL, &err), SG_OK);
}

static void add_opp(struct fx *f, const char *id, const char *stage)
{
	struct sg_rec_opportunity r = rec_opp(id, stage);

	add_rec(f, &r);
}

static void add_ev(struct fx *f, const char *opp, const char *to, sg_time at)
{
	sg_test_add_event(f->m, opp, "", to, at, "u1");
}

static void add_evd(struct fx *f, const char *opp, const char *crit,
		    sg_time at)
{
	sg_test_add_evidence(f->m, opp, crit, "yes", SG_PARTY_BUYER, at);
}

static void add_buyer_act(struct fx *f, const char *opp, sg_time at)
{
	sg_test_add_activity(f->m, opp, SG_PARTY_BUYER, at);
}

static void add_chg(struct fx *f, const char *opp, const char *field,
		    const char *old_value, const char *new_value, sg_time at)
{
	sg_test_add_change(f->m, opp, field, old_value, new_value, at);
}

/* The id of the exception of type on opportunity opp. */
static const char *ex_id(const struct fx *f, const char *opp, int type)
{
	const struct sg_exceptions *l = sg_replay_exceptions(f->r);
	struct sg_model_view v;
	size_t i;

	sg_model_view(f->m, &v);
	for (i = 0; i < l->count; i++)
		if (l->items[i].type == type &&
		    strcmp(sg_model_str(f->m, v.opps[l->items[i].opp].id),
			   opp) == 0)
			return l->items[i].id;
	ck_abort_msg("no %s exception on %s", sg_exception_type_name(type),
		     opp);
	return NULL;
}

static void add_task(struct fx *f, const char *id, sg_time created,
		     const char *disposition, sg_time decided)
{
	struct sg_task_record t;
	struct sg_error err;

	t.exception_id = id;
	t.created_at = created;
	t.due_at = created + 48 * HOUR;
	t.disposition = disposition;
	t.decided_at = decided;
	ck_assert_int_eq(sg_replay_add_task(f->r, &t, &err), SG_OK);
}

/* The row of key in the measures' rows. */
static struct sg_measure_row row_of(const struct sg_measures *m,
				    const char *key)
{
	struct sg_measure_row *rows, found;
	struct sg_error err;
	size_t n, i;
	int hit = 0;

	memset(&found, 0, sizeof(found));
	ck_assert_int_eq(sg_measures_rows(m, &rows, &n, &err), SG_OK);
	for (i = 0; i < n; i++)
		if (strcmp(rows[i].key, key) == 0) {
			found = rows[i];
			hit = 1;
		}
	free(rows);
	ck_assert_msg(hit, "no row %s", key);
	return found;
}

/* Rule 33: [start, end) counts a move at start and at end - 1 s, not at
 * end. */
START_TEST(test_window_boundaries)
{
	struct fx f;

	fx_init(&f);
	add_opp(&f, "B", "qualification");
	add_ev(&f, "B", "discovery", D(0));
	add_buyer_act(&f, "B", D(5));
	/* D(10): advance without pain: missing_evidence (not seller_only:
	 * buyer activity at D(5)). */
	add_ev(&f, "B", "qualification", D(10));
	/* D(20) - 1 s: regression. */
	add_ev(&f, "B", "discovery", D(20) - 1);
	/* D(20): advance again: missing_evidence and seller_only. */
	add_ev(&f, "B", "qualification", D(20));
	fx_replay(&f, D(22));

	fx_measure(&f, D(10), D(20), 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_MISSING_EVIDENCE], 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_REGRESSION], 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_SELLER_ONLY], 0);
	ck_assert_uint_eq(f.ms.false_progressions, 1);
	ck_assert_uint_eq(f.ms.evaluated, 1);
	ck_assert_uint_eq(f.ms.with_exception, 1);
	ck_assert(f.ms.rate_present);
	ck_assert(f.ms.exception_rate == 1.0);

	fx_measure(&f, D(20), D(30), 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_MISSING_EVIDENCE], 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_SELLER_ONLY], 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_REGRESSION], 0);
	/* One move flagged twice is one false progression (rule 39). */
	ck_assert_uint_eq(f.ms.false_progressions, 1);
	ck_assert_uint_eq(f.ms.flagged_moves, 1);
	/* The window after as-of: measured up to as-of only. */
	ck_assert_int_eq(f.ms.until, D(22) + 1);
	fx_free(&f);
}
END_TEST

/* Rules 35 and 38: evaluated = open at an instant of the window, not
 * paused; counts include exceptions of opportunities not evaluated, the
 * rate's numerator does not. */
START_TEST(test_evaluated)
{
	struct fx f;
	struct sg_rec_opportunity r;

	fx_init(&f);
	add_opp(&f, "E1", "closed_lost");      /* lost before the window */
	add_ev(&f, "E1", "discovery", D(0));
	add_ev(&f, "E1", "closed_lost", D(5));
	add_opp(&f, "E2", "discovery");        /* created after it */
	add_ev(&f, "E2", "discovery", D(25));
	add_opp(&f, "E3", "closed_won");       /* won at the start */
	add_ev(&f, "E3", "discovery", D(0));
	add_ev(&f, "E3", "closed_won", D(10));
	add_opp(&f, "E4", "closed_won");       /* won 1 s later */
	add_ev(&f, "E4", "discovery", D(0));
	add_ev(&f, "E4", "closed_won", D(10) + 1);
	add_opp(&f, "E5", "discovery");        /* created at end - 1 s */
	add_ev(&f, "E5", "discovery", D(20) - 1);
	r = rec_opp("E6", "discovery");        /* paused: no owner */
	r.owner_id = "";
	add_rec(&f, &r);
	add_ev(&f, "E6", "discovery", D(0));
	r = rec_opp("E7", "discovery");        /* out of scope */
	r.pipeline = "other";
	add_rec(&f, &r);
	add_ev(&f, "E7", "discovery", D(0));
	fx_replay(&f, D(40));

	fx_measure(&f, D(10), D(20), 1);
	ck_assert_uint_eq(f.ms.evaluated, 2);          /* E4, E5 */
	ck_assert_uint_eq(f.ms.counts[SG_EX_SKIPPED_STAGE], 2); /* E3, E4 */
	ck_assert_uint_eq(f.ms.with_exception, 1);     /* E4 only */
	ck_assert(f.ms.rate_present);
	ck_assert(f.ms.exception_rate == 0.5);
	ck_assert_uint_eq(f.ms.paused, 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_DATA_QUALITY], 1);
	/* Two forecast-impacting wins of 1000 USD. */
	ck_assert_uint_eq(f.ms.forecast_changes, 2);

	/* A window wholly after as-of: nothing evaluated, rate null. */
	fx_measure(&f, D(50), D(60), 1);
	ck_assert_uint_eq(f.ms.evaluated, 0);
	ck_assert(!f.ms.rate_present);
	ck_assert_int_eq(row_of(&f.ms, "stage_progression_exception_rate")
			 .kind, SG_MK_NULL);
	ck_assert_uint_eq(f.ms.counts[SG_EX_NO_NEXT_STEP], 0);
	fx_free(&f);
}
END_TEST

/* Rule 36: each stint over age counts once when its over-age interval
 * meets the window; exactly max_age is not over; same-stage events do
 * not reset the stint. */
START_TEST(test_stage_age_stints)
{
	struct fx f;

	fx_init(&f);
	add_opp(&f, "S1", "qualification");
	add_evd(&f, "S1", "pain", D(0));
	add_evd(&f, "S1", "budget", D(0));
	add_ev(&f, "S1", "discovery", D(0));      /* over from D(10)+1 */
	add_ev(&f, "S1", "qualification", D(12));
	add_ev(&f, "S1", "discovery", D(13));     /* over from D(23)+1 */
	add_ev(&f, "S1", "qualification", D(30)); /* over from D(40)+1 */
	add_opp(&f, "S2", "qualification");       /* exactly 10 days */
	add_evd(&f, "S2", "pain", D(0));
	add_ev(&f, "S2", "discovery", D(0));
	add_ev(&f, "S2", "qualification", D(10));
	add_opp(&f, "S3", "qualification");  /* over at D(10)+1 only */
	add_evd(&f, "S3", "pain", D(0));
	add_ev(&f, "S3", "discovery", D(0));
	add_ev(&f, "S3", "qualification", D(10) + 2);
	add_opp(&f, "S4", "discovery");           /* same-stage event */
	add_ev(&f, "S4", "discovery", D(0));
	add_ev(&f, "S4", "discovery", D(5));
	add_chg(&f, "S4", "next_step", "Call", "Call the CFO", D(50));
	fx_replay(&f, D(45));

	/* Over-age intervals: S1 [D10+1, D12), [D23+1, D30), [D40+1, ...);
	 * S2 qualification [D20+1, ...); S3 [D10+1, D10+2) and
	 * qualification [D20+3, ...); S4 [D10+1, ...). */
	fx_measure(&f, D(10), D(12), 1);
	/* S1 first stint, S3 (the instant D(10)+1), S4; not S2. */
	ck_assert_uint_eq(f.ms.counts[SG_EX_STAGE_AGE], 3);
	fx_measure(&f, D(12), D(20), 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_STAGE_AGE], 1);     /* S4 */
	fx_measure(&f, D(20), D(40), 1);
	/* S1 second stint, S2, S3 second stint, S4. */
	ck_assert_uint_eq(f.ms.counts[SG_EX_STAGE_AGE], 4);
	fx_measure(&f, D(40), D(50), 1);
	/* S1's current stint up to as-of (D(40)+1 <= D(45)), S2, S3, S4. */
	ck_assert_uint_eq(f.ms.counts[SG_EX_STAGE_AGE], 4);
	fx_measure(&f, D(0), D(50), 1);
	/* Each stint once: S1 x3, S2 x1, S3 x2, S4 x1. */
	ck_assert_uint_eq(f.ms.counts[SG_EX_STAGE_AGE], 7);
	ck_assert_uint_eq(f.ms.with_exception, 4);
	fx_free(&f);
}
END_TEST

/* Rule 37: no_next_step once at min(as-of, end - 1 s) with the values
 * then (rule 21). */
START_TEST(test_no_next_step)
{
	struct fx f;
	struct sg_rec_opportunity r;

	fx_init(&f);
	r = rec_opp("N1", "discovery");
	r.next_step_date = D(100);
	add_rec(&f, &r);
	add_ev(&f, "N1", "discovery", D(0));
	add_chg(&f, "N1", "next_step", "tbd", "Call the CFO", D(15));
	r = rec_opp("N2", "discovery");
	r.next_step_date = D(12);
	add_rec(&f, &r);
	add_ev(&f, "N2", "discovery", D(0));
	r = rec_opp("N3", "closed_lost");     /* closed at t: not judged */
	r.next_step = "";
	add_rec(&f, &r);
	add_ev(&f, "N3", "discovery", D(0));
	add_ev(&f, "N3", "closed_lost", D(1));
	fx_replay(&f, D(40));

	/* t = D(13) - 1: N1's next_step was "tbd" (missing); N2's date is
	 * D(12), the same UTC day: not overdue. */
	fx_measure(&f, D(10), D(13), 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_NO_NEXT_STEP], 1);
	/* t = D(14) - 1: N1 still tbd, N2 overdue. */
	fx_measure(&f, D(10), D(14), 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_NO_NEXT_STEP], 2);
	/* t = D(20) - 1: N1 has its step now. */
	fx_measure(&f, D(15), D(20), 1);
	ck_assert_uint_eq(f.ms.counts[SG_EX_NO_NEXT_STEP], 1);
	fx_free(&f);
}
END_TEST

/* Rule 40: revert within 14 days inclusive; creations cannot be
 * reverted; disposition "correct" from the review tasks (not in the
 * baseline, not after as-of). */
START_TEST(test_corrections)
{
	struct fx f;

	fx_init(&f);
	/* C1: creation past the first stage, then back to discovery. */
	add_opp(&f, "C1", "discovery");
	add_ev(&f, "C1", "qualification", D(10));
	add_ev(&f, "C1", "discovery", D(11));
	/* C2: regression reverted after exactly 14 days. */
	add_opp(&f, "C2", "qualification");
	add_evd(&f, "C2", "pain", D(0));
	add_ev(&f, "C2", "discovery", D(0));
	add_ev(&f, "C2", "qualification", D(1));
	add_ev(&f, "C2", "discovery", D(10));
	add_ev(&f, "C2", "qualification", D(24));
	/* C3: reverted 14 days and 1 s later: not corrected. */
	add_opp(&f, "C3", "qualification");
	add_evd(&f, "C3", "pain", D(0));
	add_ev(&f, "C3", "discovery", D(0));
	add_ev(&f, "C3", "qualification", D(1));
	add_ev(&f, "C3", "discovery", D(10));
	add_ev(&f, "C3", "qualification", D(24) + 1);
	/* C4: regression corrected by disposition. */
	add_opp(&f, "C4", "discovery");
	add_evd(&f, "C4", "pain", D(0));
	add_ev(&f, "C4", "discovery", D(0));
	add_ev(&f, "C4", "qualification", D(1));
	add_ev(&f, "C4", "discovery", D(10));
	/* C5: disposition "correct" decided after as-of: not yet. */
	add_opp(&f, "C5", "discovery");
	add_evd(&f, "C5", "pain", D(0));
	add_ev(&f, "C5", "discovery", D(0));
	add_ev(&f, "C5", "qualification", D(1));
	add_ev(&f, "C5", "discovery", D(10));
	fx_replay(&f, D(40));
	add_task(&f, ex_id(&f, "C4", SG_EX_REGRESSION), D(11), "correct",
		 D(12));
	add_task(&f, ex_id(&f, "C5", SG_EX_REGRESSION), D(11), "correct",
		 D(41));
	add_task(&f, ex_id(&f, "C3", SG_EX_REGRESSION), D(11), "approve",
		 D(12));

	fx_measure(&f, D(10), D(11), 1);
	/* C1 (creation: missing_evidence, skipped), C2, C3, C4, C5. */
	ck_assert_uint_eq(f.ms.flagged_moves, 5);
	ck_assert_uint_eq(f.ms.corrected_by_revert, 1);        /* C2 */
	ck_assert_uint_eq(f.ms.corrected_by_disposition, 1);   /* C4 */
	ck_assert_uint_eq(f.ms.corrected, 2);
	ck_assert(f.ms.correction_rate_present);
	ck_assert(f.ms.correction_rate == 0.4);
	ck_assert_uint_eq(f.ms.false_progressions, 1);         /* C1 */

	/* The baseline: reverts only, dispositions not applicable. */
	fx_measure(&f, D(10), D(11), 0);
	ck_assert_uint_eq(f.ms.corrected, 1);
	ck_assert(f.ms.correction_rate == 0.2);
	ck_assert_int_eq(row_of(&f.ms, "stage_corrections_by_disposition")
			 .kind, SG_MK_NA);

	/* No flagged move: the rate is null. */
	fx_measure(&f, D(30), D(31), 1);
	ck_assert_uint_eq(f.ms.flagged_moves, 0);
	ck_assert(!f.ms.correction_rate_present);
	fx_free(&f);
}
END_TEST

/* Rule 40 with rule 13: rows in one second keep their order, so each
 * move is located by its own position (issue 12, item 9): created in
 * discovery, advanced to qualification without evidence, back to
 * discovery, all in one second, lost a day later.  The advance is
 * reverted by the row after it; the regression by nothing. */
START_TEST(test_revert_in_one_second)
{
	struct fx f;
	sg_time t = D(10) + 12 * HOUR;

	fx_init(&f);
	add_opp(&f, "R1", "closed_lost");
	/* From-stages given, as an export has them: the first and third
	 * rows must not read as one row repeated. */
	sg_test_add_event(f.m, "R1", "", "discovery", t, "u1");
	sg_test_add_event(f.m, "R1", "discovery", "qualification", t, "u1");
	sg_test_add_event(f.m, "R1", "qualification", "discovery", t, "u1");
	sg_test_add_event(f.m, "R1", "discovery", "closed_lost", t + DAY,
			  "u1");
	fx_replay(&f, D(40));
	fx_measure(&f, D(10), D(11), 1);
	ck_assert_uint_eq(f.ms.flagged_moves, 2);
	ck_assert_uint_eq(f.ms.corrected_by_revert, 1);
	fx_free(&f);
}
END_TEST

/* Rule 41: forecast-impacting amounts exact, per currency; a missing
 * amount is counted apart. */
START_TEST(test_forecast_currencies)
{
	struct fx f;
	struct sg_rec_opportunity r;
	struct sg_measure_row row;
	char buf[64];
	const char *ids[] = { "F1", "F2", "F3", "F4" };
	const char *amounts[] = { "1000.10", "2000.05", "700", "0" };
	const char *currencies[] = { "USD", "USD", "EUR", "EUR" };
	int i;

	fx_init(&f);
	for (i = 0; i < 4; i++) {
		r = rec_opp(ids[i], "proposal");
		r.amount = amounts[i];
		r.currency = currencies[i];
		add_rec(&f, &r);
		add_ev(&f, ids[i], "qualification", D(0));
		add_ev(&f, ids[i], "proposal", D(10) + i);
	}
	fx_replay(&f, D(20));
	fx_measure(&f, D(10), D(11), 1);
	ck_assert_uint_eq(f.ms.forecast_changes, 4);
	ck_assert_uint_eq(f.ms.forecast_without_amount, 1);
	ck_assert_uint_eq(f.ms.amount_count, 2);
	ck_assert_str_eq(f.ms.amounts[0].currency, "EUR");
	ck_assert_str_eq(sg_decimal_format(&f.ms.amounts[0].amount, buf,
					   sizeof(buf)), "700");
	ck_assert_str_eq(f.ms.amounts[1].currency, "USD");
	ck_assert_uint_eq(f.ms.amounts[1].count, 2);
	ck_assert_str_eq(sg_decimal_format(&f.ms.amounts[1].amount, buf,
					   sizeof(buf)), "3000.15");
	row = row_of(&f.ms, "forecast_impacting_amount:USD");
	ck_assert_int_eq(row.kind, SG_MK_DECIMAL);
	ck_assert_str_eq(sg_measure_row_text(&row, buf, sizeof(buf)),
			 "3000.15");
	fx_free(&f);
}
END_TEST

/* Rule 43: close-date pushes: later UTC date, both values present, in
 * the window, whole days. */
START_TEST(test_close_date_pushes)
{
	struct fx f;
	struct sg_rec_opportunity r;

	fx_init(&f);
	add_opp(&f, "P1", "discovery");
	add_ev(&f, "P1", "discovery", D(0));
	add_chg(&f, "P1", "close_date", "2026-12-01", "2026-12-11", D(12));
	add_chg(&f, "P1", "close_date", "2026-12-11", "2026-12-14", D(13));
	add_chg(&f, "P1", "close_date", "2026-12-14", "2026-12-20", D(20));
	add_opp(&f, "P2", "discovery");
	add_ev(&f, "P2", "discovery", D(0));
	add_chg(&f, "P2", "close_date", "", "2026-12-01", D(11));
	add_chg(&f, "P2", "close_date", "2026-12-01", "2026-11-20", D(12));
	add_opp(&f, "P3", "discovery");
	add_ev(&f, "P3", "discovery", D(0));
	add_chg(&f, "P3", "close_date", "2026-12-01T23:00:00Z",
		"2026-12-02T01:00:00Z", D(14));
	r = rec_opp("P4", "discovery");   /* paused: not counted */
	r.owner_id = "";
	add_rec(&f, &r);
	add_ev(&f, "P4", "discovery", D(0));
	add_chg(&f, "P4", "close_date", "2026-12-01", "2026-12-31", D(12));
	fx_replay(&f, D(30));
	fx_measure(&f, D(10), D(20), 1);
	ck_assert_uint_eq(f.ms.pushes, 3);
	ck_assert_uint_eq(f.ms.push_opportunities, 2);
	ck_assert_int_eq(f.ms.push_days_total, 14);
	ck_assert(f.ms.push_median_present);
	ck_assert(f.ms.push_days_median == 3.0);
	fx_measure(&f, D(0), D(5), 1);
	ck_assert_uint_eq(f.ms.pushes, 0);
	ck_assert(!f.ms.push_median_present);
	fx_free(&f);
}
END_TEST

/* Turnaround: median and nearest-rank p90 of the dispositions decided in
 * the window; open past due at min(end, as-of); not applicable in the
 * baseline. */
START_TEST(test_turnaround)
{
	struct fx f;

	fx_init(&f);
	add_opp(&f, "A", "discovery");
	add_ev(&f, "A", "discovery", D(0));
	fx_replay(&f, D(20));
	add_task(&f, "0000000000000001", D(10), "approve", D(10) + 2 * HOUR);
	add_task(&f, "0000000000000002", D(10), "log", D(10) + 4 * HOUR);
	add_task(&f, "0000000000000003", D(10), "block", D(10) + 10 * HOUR);
	add_task(&f, "0000000000000004", D(10), "escalate",
		 D(10) + 30 * HOUR);
	/* Due D(12), decided D(15): open past due at D(14). */
	add_task(&f, "0000000000000005", D(10), "approve", D(15));
	/* Decided after as-of: still open at as-of. */
	add_task(&f, "0000000000000006", D(10), "approve", D(25));
	/* Raised after as-of: does not exist yet. */
	add_task(&f, "0000000000000007", D(21), NULL, SG_TIME_NONE);

	fx_measure(&f, D(10), D(14), 1);
	ck_assert_uint_eq(f.ms.dispositions, 4);
	ck_assert(f.ms.turnaround_present);
	ck_assert(f.ms.turnaround_median_hours == 7.0);
	ck_assert(f.ms.turnaround_p90_hours == 30.0);
	ck_assert_uint_eq(f.ms.open_past_due, 2);          /* 5 and 6 */
	fx_measure(&f, D(10), D(30), 1);
	ck_assert_uint_eq(f.ms.dispositions, 5);           /* not 6 */
	ck_assert(f.ms.turnaround_median_hours == 10.0);
	ck_assert(f.ms.turnaround_p90_hours == 120.0);
	ck_assert_uint_eq(f.ms.open_past_due, 1);          /* 6 at D(20) */

	fx_measure(&f, D(10), D(14), 0);
	ck_assert_int_eq(row_of(&f.ms, "approval_turnaround_median_hours")
			 .kind, SG_MK_NA);
	ck_assert_int_eq(row_of(&f.ms, "reviews_open_past_due").kind,
			 SG_MK_NA);
	ck_assert_int_eq(row_of(&f.ms, "dispositions_recorded").kind,
			 SG_MK_NA);
	fx_free(&f);
}
END_TEST

/* The comparison: change, relative change (null over a zero or null
 * baseline), not applicable, a currency in one window only; the JSON. */
START_TEST(test_compare)
{
	struct fx f;
	struct sg_measures base, pilot;
	struct sg_measure_cmp *cmp;
	struct sg_error err;
	size_t n, i, seen = 0;
	json_t *obj, *row;
	char *text;

	fx_init(&f);
	add_opp(&f, "X", "proposal");
	add_ev(&f, "X", "discovery", D(0));
	add_ev(&f, "X", "qualification", D(5));  /* baseline: ME */
	add_ev(&f, "X", "proposal", D(12));      /* pilot: ME, forecast */
	add_opp(&f, "Y", "discovery");
	add_ev(&f, "Y", "discovery", D(11));
	fx_replay(&f, D(20));
	ck_assert_int_eq(sg_measures_compute(&base, f.r, D(0), D(10), 0,
					     &err), SG_OK);
	ck_assert_int_eq(sg_measures_compute(&pilot, f.r, D(10), D(20), 1,
					     &err), SG_OK);
	ck_assert_int_eq(sg_measures_compare(&base, &pilot, &cmp, &n, &err),
			 SG_OK);
	for (i = 0; i < n; i++) {
		if (strcmp(cmp[i].key, "opportunities_evaluated") == 0) {
			ck_assert_int_eq(cmp[i].baseline.i, 1);
			ck_assert_int_eq(cmp[i].pilot.i, 2);
			ck_assert_int_eq(cmp[i].change.i, 1);
			ck_assert(cmp[i].relative_present);
			ck_assert(cmp[i].relative == 1.0);
			seen++;
		}
		if (strcmp(cmp[i].key, "forecast_impacting_changes") == 0) {
			ck_assert_int_eq(cmp[i].baseline.i, 0);
			ck_assert_int_eq(cmp[i].change.i, 1);
			ck_assert(!cmp[i].relative_present);
			seen++;
		}
		if (strcmp(cmp[i].key, "forecast_impacting_amount:USD") == 0) {
			char b[32], p[32];

			ck_assert_str_eq(sg_measure_row_text(&cmp[i].baseline,
							     b, sizeof(b)),
					 "0");
			ck_assert_str_eq(sg_measure_row_text(&cmp[i].change,
							     p, sizeof(p)),
					 "1000");
			seen++;
		}
		if (strcmp(cmp[i].key, "reviews_open_past_due") == 0) {
			ck_assert_int_eq(cmp[i].baseline.kind, SG_MK_NA);
			ck_assert_int_eq(cmp[i].change.kind, SG_MK_NULL);
			ck_assert(!cmp[i].relative_present);
			seen++;
		}
	}
	ck_assert_uint_eq(seen, 4);
	free(cmp);

	obj = sg_measures_compare_json(&base, &pilot, &pilot, 1, &err);
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(json_string_value(json_object_get(
		json_object_get(obj, "baseline"), "name")), "baseline");
	ck_assert(json_is_null(json_object_get(json_object_get(json_object_get(
		obj, "baseline"), "measures"), "reviews_open_past_due")));
	row = json_array_get(json_object_get(obj, "comparison"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(row, "measure")),
			 "opportunities_evaluated");
	ck_assert_int_eq(json_array_size(json_object_get(obj, "weekly")), 1);
	text = json_dumps(obj, JSON_COMPACT);
	ck_assert_ptr_nonnull(strstr(text,
				     "\"not_applicable\":[\"baseline\"]"));
	free(text);
	json_decref(obj);
	sg_measures_release(&base);
	sg_measures_release(&pilot);
	fx_free(&f);
}
END_TEST

/* Refusals: an empty or inverted window, a task without a valid id. */
/* A replay from a time judges no move before it, and the same data:
 * every window from that time measures the same; one before is refused.
 * P1, closed without an owner long before, is paused either way. */
START_TEST(test_replay_from)
{
	struct fx f;
	struct sg_rec_opportunity r;
	struct sg_replay *from10 = NULL;
	struct sg_measures m;
	struct sg_error err;
	json_t *whole, *part;
	sg_time ends[] = { D(11), D(20), D(50) };
	size_t i;

	fx_init(&f);
	r = rec_opp("P1", "closed_lost");
	r.owner_id = "";
	add_rec(&f, &r);
	add_ev(&f, "P1", "discovery", D(0));
	add_ev(&f, "P1", "closed_lost", D(3));
	add_opp(&f, "B", "qualification");
	add_ev(&f, "B", "qualification", D(5));   /* creation past first */
	add_ev(&f, "B", "discovery", D(9));       /* regression */
	add_ev(&f, "B", "qualification", D(10));  /* advance, no evidence */
	add_opp(&f, "C2", "qualification");
	add_evd(&f, "C2", "pain", D(0));
	add_ev(&f, "C2", "discovery", D(0));
	add_ev(&f, "C2", "qualification", D(1));
	add_ev(&f, "C2", "discovery", D(10));     /* reverted at D(24) */
	add_ev(&f, "C2", "qualification", D(24));
	fx_replay(&f, D(40));
	sg_error_clear(&err);
	ck_assert_int_eq(sg_replay_new(&from10, f.m, D(40), D(10), &err),
			 SG_OK);
	ck_assert_uint_lt(sg_replay_exceptions(from10)->count,
			  sg_replay_exceptions(f.r)->count);
	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		fx_measure(&f, D(10), ends[i], 1);
		ck_assert_int_eq(sg_measures_compute(&m, from10, D(10),
						     ends[i], 1, &err), SG_OK);
		whole = sg_measures_to_json(&f.ms, "w");
		part = sg_measures_to_json(&m, "w");
		ck_assert(json_equal(whole, part));
		json_decref(whole);
		json_decref(part);
		sg_measures_release(&m);
	}
	ck_assert_uint_eq(f.ms.paused, 1);
	ck_assert_uint_gt(f.ms.flagged_moves, 1);
	ck_assert_int_eq(sg_measures_compute(&m, from10, D(10) - 1, D(20), 1,
					     &err), SG_ERR_INTERNAL);
	sg_replay_free(from10);
	fx_free(&f);
}
END_TEST

START_TEST(test_refusals)
{
	struct fx f;
	struct sg_task_record t;
	struct sg_error err;

	fx_init(&f);
	add_opp(&f, "A", "discovery");
	add_ev(&f, "A", "discovery", D(0));
	fx_replay(&f, D(20));
	ck_assert_int_eq(sg_measures_compute(&f.ms, f.r, D(10), D(10), 1,
					     &err), SG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "ends before"));
	ck_assert_int_eq(sg_measures_compute(&f.ms, f.r, D(10), D(9), 1,
					     &err), SG_ERR_USAGE);
	memset(&t, 0, sizeof(t));
	t.exception_id = "0123456789abcdef0";
	ck_assert_int_eq(sg_replay_add_task(f.r, &t, &err), SG_ERR_LEDGER);
	t.exception_id = NULL;
	ck_assert_int_eq(sg_replay_add_task(f.r, &t, &err), SG_ERR_LEDGER);
	fx_free(&f);
}
END_TEST

static Suite *measures_suite(void)
{
	Suite *s = suite_create("measures");
	TCase *tc;

	tc = tcase_create("windows");
	tcase_add_test(tc, test_window_boundaries);
	tcase_add_test(tc, test_evaluated);
	tcase_add_test(tc, test_stage_age_stints);
	tcase_add_test(tc, test_no_next_step);
	suite_add_tcase(s, tc);
	tc = tcase_create("moves");
	tcase_add_test(tc, test_corrections);
	tcase_add_test(tc, test_revert_in_one_second);
	tcase_add_test(tc, test_replay_from);
	tcase_add_test(tc, test_forecast_currencies);
	tcase_add_test(tc, test_close_date_pushes);
	suite_add_tcase(s, tc);
	tc = tcase_create("dispositions");
	tcase_add_test(tc, test_turnaround);
	suite_add_tcase(s, tc);
	tc = tcase_create("output");
	tcase_add_test(tc, test_compare);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(measures_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
