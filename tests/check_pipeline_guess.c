/*
 * check_pipeline_guess.c - a pipeline guessed from stage histories
 * (core/util/sg_pipeline_guess.c): the order stages are entered in, a
 * regression that does not reorder it, closed and won stages, a stage
 * seen only as a current stage, forecast categories, events in any
 * order.
 */
#include <check.h>
#include <string.h>

#include "sg_pipeline_guess.h"
#include "sg_test.h"

#define DAY 86400

/* One history: stages entered a day apart. */
static void history(struct sg_pipeline_guess *g, const char *opp,
		    const char *const *stages, size_t n)
{
	size_t i;

	/* Fed backwards: the guess sorts each history by time. */
	for (i = n; i-- > 0;)
		ck_assert_int_eq(sg_pipeline_guess_event(g, opp,
				 i ? stages[i - 1] : "", stages[i],
				 (sg_time)(1000000 + i * DAY)), SG_OK);
}

static const char *stage_at(const struct sg_pipeline_description *d,
			    size_t i)
{
	ck_assert_uint_lt(i, d->stage_count);
	return d->stages[i].id;
}

START_TEST(test_order_closed_and_won)
{
	static const char *const a[] = { "Prospecting", "Qualification",
					  "Proposal", "Closed Won" };
	static const char *const b[] = { "Prospecting", "Qualification",
					  "Closed Lost" };
	static const char *const c[] = { "Prospecting", "Proposal",
					  "Qualification" };  /* a regression */
	static const char *const d1[] = { "Prospecting", "Qualification",
					   "Proposal", "Signed" };
	static const char *const e[] = { "Prospecting", "Qualification",
					  "Proposal", "Signed" };
	struct sg_pipeline_guess *g;
	struct sg_pipeline_description d;
	char opp[16];
	int i;

	ck_assert_int_eq(sg_pipeline_guess_new(&g), SG_OK);
	for (i = 0; i < 3; i++) {
		snprintf(opp, sizeof(opp), "A%d", i);
		history(g, opp, a, 4);
	}
	history(g, "B", b, 3);
	history(g, "C", c, 3);
	history(g, "D", d1, 4);
	history(g, "E", e, 4);
	ck_assert_int_eq(sg_pipeline_guess_current(g, "Proposal", "Best case"),
			 SG_OK);
	ck_assert_int_eq(sg_pipeline_guess_current(g, "Proposal", "Best case"),
			 SG_OK);
	ck_assert_int_eq(sg_pipeline_guess_current(g, "Proposal", "Pipeline"),
			 SG_OK);
	ck_assert_int_eq(sg_pipeline_guess_current(g, "Negotiation", ""),
			 SG_OK);
	ck_assert_int_eq(sg_pipeline_guess_describe(g, &d), SG_OK);
	ck_assert_uint_eq(d.size, sizeof(d));
	ck_assert_uint_eq(d.stage_count, 7);
	ck_assert_str_eq(stage_at(&d, 0), "Prospecting");
	ck_assert_str_eq(stage_at(&d, 1), "Qualification");
	ck_assert_str_eq(stage_at(&d, 2), "Proposal");
	/* Seen only as a current stage: last of the open ones. */
	ck_assert_str_eq(stage_at(&d, 3), "Negotiation");
	ck_assert_int_eq(d.stages[3].closed, 0);
	/* Won first, then the other closed stages; "Signed" is closed
	 * because histories end there and never leave it. */
	ck_assert_str_eq(stage_at(&d, 4), "Closed Won");
	ck_assert_int_eq(d.stages[4].closed, 1);
	ck_assert_int_eq(d.stages[4].won, 1);
	ck_assert_int_eq(d.stages[5].closed, 1);
	ck_assert_int_eq(d.stages[5].won, 0);
	ck_assert_int_eq(d.stages[6].closed, 1);
	ck_assert_ptr_nonnull(strstr(stage_at(&d, 5), "Signed") ?
			      stage_at(&d, 5) : stage_at(&d, 6));
	ck_assert_str_eq(d.stages[2].forecast_category, "Best case");
	ck_assert_ptr_null(d.stages[0].forecast_category);
	ck_assert_uint_ge(d.note_count, 3);
	ck_assert_ptr_nonnull(strstr(d.notes[0], "7 stages seen in 7 stage "
				     "histories"));
	ck_assert_ptr_nonnull(strstr(d.notes[1], "Negotiation"));
	/* Asked again, the same answer. */
	ck_assert_int_eq(sg_pipeline_guess_describe(g, &d), SG_OK);
	ck_assert_str_eq(stage_at(&d, 1), "Qualification");
	sg_pipeline_guess_free(g);
}
END_TEST

START_TEST(test_repeats_and_empty)
{
	struct sg_pipeline_guess *g;
	struct sg_pipeline_description d;

	ck_assert_int_eq(sg_pipeline_guess_new(&g), SG_OK);
	ck_assert_int_eq(sg_pipeline_guess_describe(g, &d), SG_OK);
	ck_assert_uint_eq(d.stage_count, 0);
	/* A repeated stage is not a second entry; an empty to is skipped. */
	ck_assert_int_eq(sg_pipeline_guess_event(g, "O", "", "a", 1), SG_OK);
	ck_assert_int_eq(sg_pipeline_guess_event(g, "O", "a", "a", 2), SG_OK);
	ck_assert_int_eq(sg_pipeline_guess_event(g, "O", "a", "b", 3), SG_OK);
	ck_assert_int_eq(sg_pipeline_guess_event(g, "O", "b", "", 4), SG_OK);
	ck_assert_int_eq(sg_pipeline_guess_describe(g, &d), SG_OK);
	ck_assert_uint_eq(d.stage_count, 2);
	ck_assert_str_eq(stage_at(&d, 0), "a");
	ck_assert_str_eq(stage_at(&d, 1), "b");
	/* One history ending in b is not enough to call it closed. */
	ck_assert_int_eq(d.stages[1].closed, 0);
	sg_pipeline_guess_free(g);
	sg_pipeline_guess_free(NULL);
}
END_TEST

static Suite *guess_suite(void)
{
	Suite *s = suite_create("pipeline_guess");
	TCase *tc = tcase_create("guess");

	tcase_add_test(tc, test_order_closed_and_won);
	tcase_add_test(tc, test_repeats_and_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(guess_suite());
}
