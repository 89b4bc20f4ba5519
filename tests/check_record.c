/*
 * check_record.c - a judged run into the ledger (core/sg_record.c): the
 * records the ledger stores are the ones sg_exception_record_fill()
 * makes, whether made ahead on the helper thread or when asked, across
 * more new exceptions than the helper's ring holds; a record the helper
 * cannot make fails the run, named, with nothing recorded.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_checks.h"
#include "sg_config.h"
#include "sg_exception.h"
#include "sg_ledger.h"
#include "sg_model.h"
#include "sg_record.h"
#include "sg_test.h"
#include "sg_test_ledger.h"
#include "sg_test_model.h"

#define DAY 86400
/* 2026-10-01T00:00:00Z */
#define T0 ((sg_time)1790812800)
#define AS_OF (T0 + 60 * DAY)
/* More than the helper's ring (1024 slots), so it wraps. */
#define OPPS 1500

struct fx {
	char dir[64];
	struct sg_config *cfg;
	struct sg_model *m;
	struct sg_exceptions ex;
	struct sg_ledger *ledger;
	char ids[OPPS][16];
};

static void fx_open(struct fx *f, size_t bad_name_at)
{
	struct sg_rec_opportunity r;
	struct sg_check_window win;
	struct sg_error err;
	char path[512];
	size_t i;

	memset(f, 0, sizeof(*f));
	sg_error_clear(&err);
	snprintf(f->dir, sizeof(f->dir), "/tmp/check_record.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	ck_assert_msg(sg_config_load(&f->cfg, sg_test_src_path(
			"tests/fixtures/config/good.json", path,
			sizeof(path)), &err) == SG_OK, "config: %s",
		      err.message);
	ck_assert_int_eq(sg_model_new(&f->m, f->cfg, &err), SG_OK);
	for (i = 0; i < OPPS; i++) {
		snprintf(f->ids[i], sizeof(f->ids[i]), "opp-%05zu", i);
		memset(&r, 0, sizeof(r));
		r.id = f->ids[i];
		r.name = i == bad_name_at ? "Acme \xff" : "Acme expansion";
		r.pipeline = "";
		r.stage = "negotiation";
		r.owner_id = "u1";
		r.amount = i % 2 ? "tbd" : "12000";
		r.currency = "USD";
		r.close_date = AS_OF + 30 * DAY;
		r.created_at = SG_TIME_NONE;
		r.next_step_date = SG_TIME_NONE;
		r.forecast_category = "";
		r.next_step = "";
		ck_assert_int_eq(sg_model_add_opportunity(f->m, &r, NULL,
							  &err), SG_OK);
		/* Skips proposal, without evidence: several exceptions. */
		sg_test_add_event(f->m, f->ids[i], "", "discovery",
				  T0 + (sg_time)(i % 20) * DAY, "u1");
		sg_test_add_event(f->m, f->ids[i], "discovery", "negotiation",
				  T0 + (sg_time)(25 + i % 20) * DAY, "u1");
	}
	ck_assert_int_eq(sg_model_finish(f->m, &err), SG_OK);
	sg_exceptions_init(&f->ex);
	memset(&win, 0, sizeof(win));
	win.since = SG_TIME_NONE;
	win.as_of = AS_OF;
	ck_assert_int_eq(sg_checks_run(&f->ex, f->m, &win, &err), SG_OK);
	ck_assert_uint_gt(f->ex.count, 2 * 1024);
	snprintf(path, sizeof(path), "%s/ledger.db", f->dir);
	ck_assert_msg(sg_ledger_open(&f->ledger, path, &err) == SG_OK,
		      "ledger: %s", err.message);
}

static void fx_close(struct fx *f)
{
	char path[512];

	sg_ledger_close(f->ledger);
	sg_exceptions_release(&f->ex);
	sg_model_free(f->m);
	sg_config_free(f->cfg);
	snprintf(path, sizeof(path), "rm -rf '%s'", f->dir);
	ck_assert_int_eq(system(path), 0);
}

/* The exceptions of list whose index is a multiple of step. */
static struct sg_exceptions every(const struct sg_exceptions *list,
				  size_t step)
{
	struct sg_exceptions some = *list;
	size_t i, n = 0;

	some.items = malloc(list->count * sizeof(*some.items));
	ck_assert_ptr_nonnull(some.items);
	for (i = 0; i < list->count; i += step)
		some.items[n++] = list->items[i];
	some.count = n;
	return some;
}

static int equal_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Each stored exception against the record made for it here. */
struct compare {
	struct fx *f;
	size_t seen;
};

static const struct sg_exception *find(const struct fx *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->ex.count; i++)
		if (strcmp(f->ex.items[i].id, id) == 0)
			return &f->ex.items[i];
	return NULL;
}

static int compare_one(void *arg, const struct sg_exception_record *got,
		       struct sg_error *err)
{
	struct compare *c = arg;
	const struct sg_exception *ex = find(c->f, got->id);
	struct sg_exception_record want;
	struct sg_text scratch = { NULL, 0, 0 };
	struct sg_routing routing;

	(void)err;
	ck_assert_msg(ex != NULL, "%s: not judged", got->id);
	sg_exception_route(ex, c->f->m, AS_OF, &routing);
	ck_assert_int_eq(sg_exception_record_fill(&want, &scratch, ex,
						  c->f->m, &routing, AS_OF),
			 SG_OK);
	ck_assert_str_eq(got->type, want.type);
	ck_assert_str_eq(got->verdict, want.verdict);
	ck_assert_str_eq(got->opportunity_id, want.opportunity_id);
	ck_assert(equal_text(got->opportunity_name, want.opportunity_name));
	ck_assert(equal_text(got->owner_id, want.owner_id));
	ck_assert_str_eq(got->assignee, want.assignee);
	ck_assert(equal_text(got->from_stage, want.from_stage));
	ck_assert(equal_text(got->to_stage, want.to_stage));
	ck_assert(equal_text(got->stage, want.stage));
	ck_assert_int_eq(got->event_at, want.event_at);
	ck_assert_int_eq(got->detected_at, want.detected_at);
	ck_assert_int_eq(got->due_at, want.due_at);
	ck_assert_str_eq(got->details, want.details);
	ck_assert_str_eq(got->note, want.note);
	sg_text_release(&scratch);
	c->seen++;
	return SG_OK;
}

static void assert_stored_as_made(struct fx *f, size_t count)
{
	struct compare c = { f, 0 };
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_msg(sg_ledger_each_exception(f->ledger, NULL, compare_one,
					       &c, &err) == SG_OK,
		      "read: %s", err.message);
	ck_assert_uint_eq(c.seen, count);
}

START_TEST(test_records_made_ahead_are_stored)
{
	struct fx f;
	struct sg_run_record run;
	struct sg_run_outcome outcome;
	struct sg_error err;

	fx_open(&f, (size_t)-1);
	run = sg_test_make_run(AS_OF);
	sg_error_clear(&err);
	ck_assert_msg(sg_record_run(f.ledger, &run, &f.ex, f.m, &outcome,
				    &err) == SG_OK, "record: %s", err.message);
	ck_assert_uint_eq(outcome.new_exceptions, f.ex.count);
	assert_stored_as_made(&f, f.ex.count);
	fx_close(&f);
}
END_TEST

/* A second run asks only for the exceptions the first did not record:
 * the helper makes those, in the order the ledger asks. */
START_TEST(test_only_new_ones_made)
{
	struct fx f;
	struct sg_exceptions third;
	struct sg_run_record run;
	struct sg_run_outcome outcome;
	struct sg_error err;

	fx_open(&f, (size_t)-1);
	third = every(&f.ex, 3);
	run = sg_test_make_run(AS_OF);
	sg_error_clear(&err);
	ck_assert_msg(sg_record_run(f.ledger, &run, &third, f.m, &outcome,
				    &err) == SG_OK, "record: %s", err.message);
	ck_assert_uint_eq(outcome.new_exceptions, third.count);
	/* Again at the same as-of (so each record is made as of it), a
	 * second later. */
	run = sg_test_make_run(AS_OF);
	run.started_at++;
	run.finished_at++;
	ck_assert_msg(sg_record_run(f.ledger, &run, &f.ex, f.m, &outcome,
				    &err) == SG_OK, "record: %s", err.message);
	ck_assert_uint_eq(outcome.seen_again, third.count);
	ck_assert_uint_eq(outcome.new_exceptions, f.ex.count - third.count);
	assert_stored_as_made(&f, f.ex.count);
	free(third.items);
	fx_close(&f);
}
END_TEST

/* The helper fails on an exception past its first ring: the run fails
 * naming the opportunity, and nothing of it is recorded. */
START_TEST(test_helper_failure_fails_the_run)
{
	struct fx f;
	struct sg_run_record run;
	struct sg_run_outcome outcome;
	struct sg_ledger_counts counts;
	struct sg_error err;

	fx_open(&f, 1200);
	run = sg_test_make_run(AS_OF);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_record_run(f.ledger, &run, &f.ex, f.m, &outcome,
				       &err), SG_ERR_PARSE);
	ck_assert_msg(strstr(err.message, "opp-01200") != NULL &&
		      strstr(err.message, "not UTF-8") != NULL,
		      "message: %s", err.message);
	ck_assert_int_eq(sg_ledger_counts(f.ledger, &counts, &err), SG_OK);
	ck_assert_uint_eq(counts.runs, 0);
	ck_assert_uint_eq(counts.exceptions, 0);
	fx_close(&f);
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("record");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_records_made_ahead_are_stored);
	tcase_add_test(tc, test_only_new_ones_made);
	tcase_add_test(tc, test_helper_failure_fails_the_run);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(record_suite());
}
