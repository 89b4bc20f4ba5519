/*
 * check_gate.c - `gate`: one proposed move read from JSON into the model
 * (DESIGN §8, docs/gate.md), the verdict chosen from the exceptions that
 * judge the move, the answer's JSON, the bounded reader and every input
 * refusal.  CK_RUN_SUITE / CK_RUN_CASE pick a case.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_checks.h"
#include "sg_config.h"
#include "sg_gate.h"
#include "sg_model.h"
#include "sg_test.h"

/* The rules of tests/fixtures/cli/basic/stageguard.json, without the
 * ledger and sources sections. */
static const char cfg_text[] =
	"{\"pipeline\": {\"id\": \"default\", \"label\": \"New business\"},\n"
	" \"stages\": [\n"
	"  {\"id\": \"discovery\", \"max_age_days\": 14,"
	"   \"forecast_category\": \"pipeline\","
	"   \"exit_criteria\": [\"pain\"],"
	"   \"required_fields\": [\"amount\"]},\n"
	"  {\"id\": \"qualification\", \"max_age_days\": 21,"
	"   \"forecast_category\": \"pipeline\","
	"   \"exit_criteria\": [\"budget\"],"
	"   \"required_fields\": [\"amount\", \"close_date\"]},\n"
	"  {\"id\": \"proposal\", \"max_age_days\": 21,"
	"   \"forecast_category\": \"best_case\","
	"   \"exit_criteria\": [\"success\"],"
	"   \"required_fields\": [\"amount\", \"next_step\"]},\n"
	"  {\"id\": \"closed_won\", \"closed\": true, \"won\": true,"
	"   \"forecast_category\": \"closed\"},\n"
	"  {\"id\": \"closed_lost\", \"closed\": true,"
	"   \"enter_from_any\": true, \"forecast_category\": \"omitted\"}\n"
	" ],\n"
	" \"criteria\": {\n"
	"  \"pain\": {\"label\": \"Pain confirmed by the buyer\"},\n"
	"  \"budget\": {\"label\": \"Budget confirmed\","
	"   \"max_age_days\": 180},\n"
	"  \"success\": {\"label\": \"Success criteria agreed\","
	"   \"buyer_only\": false}\n"
	" },\n"
	" \"placeholders\": [\"tbd\", \"n/a\"],\n"
	" \"forecast\": {\"review_categories\":"
	"   [\"best_case\", \"closed\"]},\n"
	" \"review\": {\"sla_hours\": 48, \"default_assignee\": \"revops\"},\n"
	" \"pilot\": {\"start\": \"2026-11-01\", \"days\": 30,"
	"   \"baseline_days\": 90}\n"
	"}\n";

/* 2026-10-01T00:00:00Z */
#define T0 ((sg_time)1790812800)
#define DAY 86400
#define HOUR 3600
/* 2026-11-02T12:00:00Z, the "at" of most inputs below. */
#define AT (T0 + 32 * DAY + 12 * HOUR)

/* A clean discovery -> qualification move; %s slots: opportunity
 * extras, to_stage. */
#define OPP_BASE \
	"\"id\": \"G1\", \"name\": \"Clean\", \"owner_id\": \"u1\"," \
	" \"amount\": \"12000.00\", \"currency\": \"USD\"," \
	" \"close_date\": \"2026-12-31\"," \
	" \"created_at\": \"2026-10-01T09:00:00Z\"," \
	" \"next_step\": \"Demo\", \"next_step_date\": \"2026-11-25\""
#define HIST_DISCOVERY \
	"\"history\": [{\"to_stage\": \"discovery\"," \
	" \"changed_at\": \"2026-10-01T09:00:00Z\"}]"
#define PAIN_BUYER \
	"\"evidence\": [{\"criterion\": \"pain\", \"value\": \"yes\"," \
	" \"party\": \"buyer\", \"observed_at\": \"2026-10-20T10:00:00Z\"}]"
#define BUYER_EMAIL \
	"\"activities\": [{\"type\": \"email\", \"party\": \"buyer\"," \
	" \"occurred_at\": \"2026-10-21T08:00:00Z\"}]"
#define AT_TEXT "\"at\": \"2026-11-02T12:00:00Z\""

static struct sg_config *cfg;

static void setup(void)
{
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load_text(&cfg, "gate.json", ".", cfg_text,
					     strlen(cfg_text), &err), SG_OK);
}

static void teardown(void)
{
	sg_config_free(cfg);
	cfg = NULL;
}

/* Judges text; fails the test on any error. */
static struct sg_gate *judge(const char *text, sg_time now)
{
	struct sg_gate *g = NULL;
	struct sg_error err;
	int rc;

	sg_error_clear(&err);
	rc = sg_gate_new(&g, cfg, text, strlen(text), now, "t", &err);
	ck_assert_msg(rc == SG_OK, "sg_gate_new: %s", err.message);
	ck_assert_ptr_nonnull(g);
	return g;
}

/* The types of g's exceptions, comma-separated, in output order. */
static const char *types(const struct sg_gate *g, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < g->exceptions.count && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? "," : "",
					 sg_exception_type_name(
						 g->exceptions.items[i].type));
	return buf;
}

static const struct sg_exception *find(const struct sg_gate *g, int type)
{
	size_t i;

	for (i = 0; i < g->exceptions.count; i++)
		if (g->exceptions.items[i].type == type)
			return &g->exceptions.items[i];
	return NULL;
}

/* --- JSON -> model. --- */

START_TEST(model_translation)
{
	const char *text =
		"{\"opportunity\": {\"id\": \" G1 \", \"name\": \"Clean\","
		"  \"pipeline\": \"default\", \"stage\": \"discovery\","
		"  \"owner_id\": \"u1\", \"amount\": 12000,"
		"  \"currency\": \"USD\", \"close_date\": \"2026-12-31\","
		"  \"forecast_category\": \"pipeline\","
		"  \"created_at\": \"2026-10-01T09:00:00Z\","
		"  \"next_step\": \"Demo\", \"next_step_date\": null,"
		"  \"segment\": \"smb\", \"probability\": 0.25,"
		"  \"strategic\": true},"
		" \"history\": [{\"opportunity_id\": \"G1\","
		"   \"to_stage\": \"discovery\","
		"   \"changed_at\": \"2026-10-01T09:00:00Z\","
		"   \"changed_by\": \"u1\", \"source\": \"crm\"}],"
		" \"evidence\": [{\"criterion\": \"pain\", \"value\": \"yes\","
		"   \"party\": \" Buyer \","
		"   \"observed_at\": \"2026-10-20T10:00:00+02:00\"},"
		"  {\"criterion\": \"budget\", \"value\": \"tbd\","
		"   \"observed_at\": \"2026-10-21\"}],"
		" \"activities\": [{\"type\": \"Meeting\","
		"   \"party\": \"buyer\","
		"   \"occurred_at\": \"2026-10-21T08:00:00Z\"},"
		"  {\"id\": 7, \"type\": \"fax\", \"party\": \"\","
		"   \"occurred_at\": \"2026-10-22T08:00:00Z\"},"
		"  {\"type\": \"call\", \"party\": \"SYSTEM\","
		"   \"occurred_at\": \"2026-10-23T08:00:00Z\"}],"
		" \"field_history\": [{\"field\": \"amount\","
		"   \"old_value\": \"\", \"new_value\": \"12000\","
		"   \"changed_at\": \"2026-10-05T00:00:00Z\"}],"
		" \"owners\": [{\"id\": \"u1\", \"manager_id\": \"m1\"},"
		"  {\"id\": \"m1\", \"name\": \"Max\"}],"
		" \"to_stage\": \"qualification\", " AT_TEXT "}";
	struct sg_gate *g = judge(text, T0);
	struct sg_model_view v;
	const struct sg_opportunity *o;
	char scratch[SG_TIME_ISO_SIZE + 16];
	const struct sg_stage_event *last;

	sg_model_view(g->model, &v);
	ck_assert_uint_eq(v.opp_count, 1);
	o = &v.opps[0];
	ck_assert_str_eq(sg_model_str(g->model, o->id), "G1");
	/* After the move the current stage is the proposed one. */
	ck_assert_str_eq(o->stage, "qualification");
	ck_assert_int_eq(o->stage_index, 1);
	ck_assert_str_eq(o->amount, "12000");
	ck_assert_str_eq(o->pipeline, "default");
	ck_assert(o->close_date == T0 + 91 * DAY);
	ck_assert(o->created_at == T0 + 9 * HOUR);
	ck_assert(o->next_step_date == SG_TIME_NONE);
	ck_assert(o->in_scope);
	/* Unknown keys are extra fields, scalars written as text. */
	ck_assert_str_eq(sg_model_field_value(g->model, o, "segment",
					      scratch), "smb");
	ck_assert_str_eq(sg_model_field_value(g->model, o, "probability",
					      scratch), "0.25");
	ck_assert_str_eq(sg_model_field_value(g->model, o, "strategic",
					      scratch), "true");
	/* History plus the proposed move, last, at `at`. */
	ck_assert_uint_eq(v.event_count, 2);
	last = &v.events[1];
	ck_assert(last->changed_at == AT);
	ck_assert_str_eq(sg_model_str(g->model, last->to_stage),
			 "qualification");
	ck_assert_str_eq(sg_model_str(g->model, last->from_stage),
			 "discovery");
	ck_assert_str_eq(sg_model_str(g->model, last->source), "gate");
	ck_assert_str_eq(sg_model_str(g->model, v.events[0].source), "crm");
	/* Evidence: parties and times as the csv source reads them. */
	ck_assert_uint_eq(v.evidence_count, 2);
	ck_assert_int_eq(v.evidence[0].party, SG_PARTY_BUYER);
	ck_assert(v.evidence[0].observed_at == T0 + 19 * DAY + 8 * HOUR);
	ck_assert(!v.evidence[0].value_missing);
	ck_assert_int_eq(v.evidence[1].party, SG_PARTY_UNKNOWN);
	ck_assert(v.evidence[1].value_missing);
	ck_assert_uint_eq(v.activity_count, 3);
	ck_assert_int_eq(v.activities[0].type, SG_ACT_MEETING);
	ck_assert_int_eq(v.activities[0].party, SG_PARTY_BUYER);
	ck_assert_int_eq(v.activities[1].type, SG_ACT_OTHER);
	ck_assert_int_eq(v.activities[1].party, SG_PARTY_NONE);
	ck_assert_int_eq(v.activities[2].type, SG_ACT_CALL);
	ck_assert_int_eq(v.activities[2].party, SG_PARTY_SYSTEM);
	ck_assert_uint_eq(v.change_count, 1);
	ck_assert_str_eq(v.changes[0].new_value, "12000");
	ck_assert_uint_eq(v.owner_count, 2);
	ck_assert_uint_eq(v.orphan_records, 0);
	ck_assert(g->at == AT);
	ck_assert(g->is_move);
	ck_assert(g->in_scope);
	ck_assert_int_eq(g->verdict, SG_VERDICT_ALLOW);
	sg_gate_free(g);
}
END_TEST

START_TEST(model_amounts)
{
	static const struct {
		const char *amount, *stored;
	} cases[] = {
		{ "\"12000.50\"", "12000.50" }, { "\" 7 \"", "7" },
		/* A number keeps only its value: 12000.50 reads 12000.5. */
		{ "12000.50", "12000.5" }, { "42", "42" },
		{ "\"tbd\"", "tbd" }, { "null", "" }, { "\"\"", "" },
	};
	char text[1024];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_gate *g;
		struct sg_model_view v;

		snprintf(text, sizeof(text),
			 "{\"opportunity\": {\"id\": \"A\", \"owner_id\": "
			 "\"u1\", \"amount\": %s}, \"to_stage\": "
			 "\"discovery\", " AT_TEXT "}", cases[i].amount);
		g = judge(text, T0);
		sg_model_view(g->model, &v);
		ck_assert_msg(strcmp(v.opps[0].amount, cases[i].stored) == 0,
			      "amount %s stored as \"%s\"", cases[i].amount,
			      v.opps[0].amount);
		sg_gate_free(g);
	}
}
END_TEST

START_TEST(model_integer_id_and_default_at)
{
	struct sg_gate *g = judge("{\"opportunity\": {\"id\": 42,"
				  " \"owner_id\": \"u1\"},"
				  " \"to_stage\": \"discovery\","
				  " \"at\": null}",
				  AT);
	struct sg_model_view v;

	sg_model_view(g->model, &v);
	ck_assert_str_eq(sg_model_str(g->model, v.opps[0].id), "42");
	/* No "at": the caller's now. */
	ck_assert(g->at == AT);
	ck_assert(v.events[0].changed_at == AT);
	sg_gate_free(g);
}
END_TEST

/* --- Which stage the model holds. --- */

START_TEST(stage_snapshot_after_change)
{
	/* A webhook that fires after the CRM saved the new stage sends it as
	 * the opportunity's stage: that is not a mismatch. */
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ","
		"  \"stage\": \"qualification\"},"
		HIST_DISCOVERY ", " PAIN_BUYER ", " BUYER_EMAIL ","
		" \"to_stage\": \"qualification\", " AT_TEXT "}", T0);
	char buf[256];

	ck_assert_str_eq(types(g, buf, sizeof(buf)), "");
	ck_assert_int_eq(g->verdict, SG_VERDICT_ALLOW);
	sg_gate_free(g);
}
END_TEST

START_TEST(stage_mismatch_pauses)
{
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"stage\": \"proposal\"},"
		HIST_DISCOVERY ", " PAIN_BUYER ", " BUYER_EMAIL ","
		" \"to_stage\": \"qualification\", " AT_TEXT "}", T0);
	const struct sg_exception *ex = find(g, SG_EX_DATA_QUALITY);

	ck_assert_uint_eq(g->exceptions.count, 1);
	ck_assert_ptr_nonnull(ex);
	ck_assert_uint_eq(ex->dq_reasons, 1u << SG_DQ_STAGE_MISMATCH);
	ck_assert_int_eq(g->verdict, SG_VERDICT_PAUSE);
	sg_gate_free(g);
}
END_TEST

START_TEST(stage_creation_without_history)
{
	/* No history and no stage: the move is the creation, judged as one
	 * (a creation into proposal needs pain and budget). */
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE "}, " PAIN_BUYER ","
		" \"to_stage\": \"proposal\", " AT_TEXT "}", T0);
	const struct sg_exception *me = find(g, SG_EX_MISSING_EVIDENCE);
	const struct sg_exception *sk = find(g, SG_EX_SKIPPED_STAGE);
	char buf[256];

	ck_assert_str_eq(types(g, buf, sizeof(buf)),
			 "missing_evidence,skipped_stage");
	ck_assert_ptr_nonnull(me);
	ck_assert_uint_eq(me->list_count, 1);
	ck_assert_str_eq(cfg->criteria[me->list[0]].id, "budget");
	ck_assert(me->from_stage == 0);
	ck_assert_uint_eq(sk->list_count, 2);
	ck_assert(g->is_move);
	ck_assert_int_eq(g->verdict, SG_VERDICT_BLOCK);
	sg_gate_free(g);
}
END_TEST

START_TEST(stage_not_a_move)
{
	/* to_stage is the current stage: nothing is judged as a move. */
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"stage\": \"discovery\"},"
		HIST_DISCOVERY ", \"to_stage\": \"discovery\", " AT_TEXT "}",
		T0);
	char buf[256];

	ck_assert(!g->is_move);
	/* In discovery since 2026-10-01 09:00: 32.1 days, over 14. */
	ck_assert_str_eq(types(g, buf, sizeof(buf)), "stage_age");
	ck_assert_int_eq(g->verdict, SG_VERDICT_ALLOW);
	ck_assert_int_eq(sg_gate_exit_status(g->verdict), 0);
	sg_gate_free(g);
}
END_TEST

START_TEST(stage_at_before_history)
{
	/* A history entry after `at` is a future event: paused. */
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"stage\": \"discovery\"},"
		" \"history\": [{\"to_stage\": \"discovery\","
		"  \"changed_at\": \"2026-11-05T00:00:00Z\"}],"
		" \"to_stage\": \"qualification\", " AT_TEXT "}", T0);
	const struct sg_exception *ex = find(g, SG_EX_DATA_QUALITY);

	ck_assert_ptr_nonnull(ex);
	ck_assert(ex->dq_reasons & (1u << SG_DQ_FUTURE_EVENT));
	ck_assert_int_eq(g->verdict, SG_VERDICT_PAUSE);
	sg_gate_free(g);
}
END_TEST

START_TEST(stage_other_pipeline)
{
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"pipeline\": \"renewals\"},"
		HIST_DISCOVERY ", \"to_stage\": \"proposal\", " AT_TEXT "}",
		T0);

	ck_assert(!g->in_scope);
	ck_assert_uint_eq(g->exceptions.count, 0);
	ck_assert_int_eq(g->verdict, SG_VERDICT_ALLOW);
	sg_gate_free(g);
}
END_TEST

/* --- Verdicts. --- */

START_TEST(verdict_allow)
{
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"stage\": \"discovery\"},"
		HIST_DISCOVERY ", " PAIN_BUYER ", " BUYER_EMAIL ","
		" \"to_stage\": \"qualification\", " AT_TEXT "}", T0);

	ck_assert_uint_eq(g->exceptions.count, 0);
	ck_assert_int_eq(g->verdict, SG_VERDICT_ALLOW);
	ck_assert_int_eq(sg_gate_exit_status(g->verdict), 0);
	sg_gate_free(g);
}
END_TEST

START_TEST(verdict_flag_is_allow)
{
	/* A placeholder next step is a no_next_step flag: reported, and
	 * allowed. */
	struct sg_gate *g = judge(
		"{\"opportunity\": {\"id\": \"G1\", \"owner_id\": \"u1\","
		"  \"amount\": 1, \"close_date\": \"2026-12-31\","
		"  \"next_step\": \"tbd\"},"
		HIST_DISCOVERY ", " PAIN_BUYER ", " BUYER_EMAIL ","
		" \"to_stage\": \"qualification\", " AT_TEXT "}", T0);
	const struct sg_exception *ex = find(g, SG_EX_NO_NEXT_STEP);

	ck_assert_uint_eq(g->exceptions.count, 1);
	ck_assert_ptr_nonnull(ex);
	ck_assert_int_eq(ex->verdict, SG_VERDICT_FLAG);
	ck_assert(!sg_gate_decides(ex, g->at));
	ck_assert_int_eq(g->verdict, SG_VERDICT_ALLOW);
	ck_assert_int_eq(sg_gate_exit_status(g->verdict), 0);
	sg_gate_free(g);
}
END_TEST

START_TEST(verdict_review)
{
	/* discovery -> proposal with pain and budget: skipped_stage and
	 * forecast_impact, both review. */
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"stage\": \"discovery\"},"
		HIST_DISCOVERY ", \"evidence\": ["
		" {\"criterion\": \"pain\", \"value\": \"yes\","
		"  \"party\": \"buyer\", \"observed_at\": \"2026-10-02\"},"
		" {\"criterion\": \"budget\", \"value\": \"50k\","
		"  \"party\": \"buyer\", \"observed_at\": \"2026-10-03\"}],"
		BUYER_EMAIL ", \"to_stage\": \"proposal\", " AT_TEXT "}", T0);
	char buf[256];

	ck_assert_str_eq(types(g, buf, sizeof(buf)),
			 "forecast_impact,skipped_stage");
	ck_assert_int_eq(g->verdict, SG_VERDICT_REVIEW);
	ck_assert_int_eq(sg_gate_exit_status(g->verdict), 10);
	sg_gate_free(g);
}
END_TEST

START_TEST(verdict_block)
{
	/* No pain evidence, seller activity only. */
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"stage\": \"discovery\"},"
		HIST_DISCOVERY ", \"activities\": [{\"type\": \"email\","
		"  \"party\": \"seller\", \"occurred_at\": \"2026-10-12\"}],"
		" \"to_stage\": \"qualification\", " AT_TEXT "}", T0);
	const struct sg_exception *so = find(g, SG_EX_SELLER_ONLY);
	char buf[256];

	ck_assert_str_eq(types(g, buf, sizeof(buf)),
			 "missing_evidence,seller_only");
	ck_assert_uint_eq(so->seller_activities, 1);
	ck_assert_int_eq(g->verdict, SG_VERDICT_BLOCK);
	ck_assert_int_eq(sg_gate_exit_status(g->verdict), 20);
	sg_gate_free(g);
}
END_TEST

START_TEST(verdict_block_required_field_history)
{
	/* close_date is set now, but field history says it was empty at
	 * the move (a later change): required_field blocks. */
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"stage\": \"discovery\"},"
		HIST_DISCOVERY ", " PAIN_BUYER ", " BUYER_EMAIL ","
		" \"field_history\": [{\"field\": \"close_date\","
		"  \"old_value\": \"\", \"new_value\": \"2026-12-31\","
		"  \"changed_at\": \"2026-11-03T00:00:00Z\"}],"
		" \"to_stage\": \"qualification\", " AT_TEXT "}", T0);
	char buf[256];

	ck_assert_str_eq(types(g, buf, sizeof(buf)), "required_field");
	ck_assert_int_eq(g->verdict, SG_VERDICT_BLOCK);
	sg_gate_free(g);
}
END_TEST

START_TEST(verdict_pause_unknown_stage)
{
	/* An unknown to_stage is not an input error. */
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"stage\": \"discovery\"},"
		HIST_DISCOVERY ", \"to_stage\": \"negotiation\", " AT_TEXT "}",
		T0);
	const struct sg_exception *ex = find(g, SG_EX_DATA_QUALITY);

	ck_assert_uint_eq(g->exceptions.count, 1);
	ck_assert_uint_eq(ex->dq_reasons, 1u << SG_DQ_UNKNOWN_STAGE);
	ck_assert_int_eq(g->verdict, SG_VERDICT_PAUSE);
	ck_assert_int_eq(sg_gate_exit_status(g->verdict), 30);
	sg_gate_free(g);
}
END_TEST

START_TEST(verdict_pause_missing_owner)
{
	struct sg_gate *g = judge(
		"{\"opportunity\": {\"id\": \"G1\", \"owner_id\": \"n/a\","
		"  \"amount\": 1, \"close_date\": \"2026-12-31\"},"
		HIST_DISCOVERY ", " PAIN_BUYER ", " BUYER_EMAIL ","
		" \"to_stage\": \"qualification\", " AT_TEXT "}", T0);
	const struct sg_exception *ex = find(g, SG_EX_DATA_QUALITY);

	ck_assert_ptr_nonnull(ex);
	ck_assert_uint_eq(ex->dq_reasons, 1u << SG_DQ_MISSING_OWNER);
	ck_assert_int_eq(g->verdict, SG_VERDICT_PAUSE);
	sg_gate_free(g);
}
END_TEST

/* Hand-built lists: only the move at `at` and data_quality decide. */
START_TEST(verdict_selection)
{
	struct sg_exception items[4];
	struct sg_exceptions list;

	memset(items, 0, sizeof(items));
	sg_exceptions_init(&list);
	list.items = items;

	/* A flag of the current state: allow. */
	items[0].type = SG_EX_STAGE_AGE;
	items[0].verdict = SG_VERDICT_FLAG;
	items[0].event_at = AT - 40 * DAY;
	list.count = 1;
	ck_assert(!sg_gate_decides(&items[0], AT));
	ck_assert_int_eq(sg_gate_verdict(&list, AT), SG_VERDICT_ALLOW);

	/* A block on an earlier move does not decide; a review on the
	 * proposed move does. */
	items[1].type = SG_EX_MISSING_EVIDENCE;
	items[1].verdict = SG_VERDICT_BLOCK;
	items[1].is_move = 1;
	items[1].event_at = AT - DAY;
	items[2].type = SG_EX_SKIPPED_STAGE;
	items[2].verdict = SG_VERDICT_REVIEW;
	items[2].is_move = 1;
	items[2].event_at = AT;
	list.count = 3;
	ck_assert(!sg_gate_decides(&items[1], AT));
	ck_assert(sg_gate_decides(&items[2], AT));
	ck_assert_int_eq(sg_gate_verdict(&list, AT), SG_VERDICT_REVIEW);
	ck_assert_int_eq(sg_gate_verdict(&list, AT - DAY), SG_VERDICT_BLOCK);

	/* data_quality decides whatever its time: pause wins. */
	items[3].type = SG_EX_DATA_QUALITY;
	items[3].verdict = SG_VERDICT_PAUSE;
	items[3].event_at = AT + 5;
	list.count = 4;
	ck_assert_int_eq(sg_gate_verdict(&list, AT), SG_VERDICT_PAUSE);

	list.count = 0;
	ck_assert_int_eq(sg_gate_verdict(&list, AT), SG_VERDICT_ALLOW);

	ck_assert_int_eq(sg_gate_exit_status(SG_VERDICT_ALLOW), 0);
	ck_assert_int_eq(sg_gate_exit_status(SG_VERDICT_FLAG), 0);
	ck_assert_int_eq(sg_gate_exit_status(SG_VERDICT_REVIEW), 10);
	ck_assert_int_eq(sg_gate_exit_status(SG_VERDICT_BLOCK), 20);
	ck_assert_int_eq(sg_gate_exit_status(SG_VERDICT_PAUSE), 30);
}
END_TEST

/* --- The answer. --- */

START_TEST(answer_json)
{
	struct sg_gate *g = judge(
		"{\"opportunity\": {" OPP_BASE ", \"stage\": \"discovery\"},"
		HIST_DISCOVERY ", \"owners\": [{\"id\": \"u1\","
		"  \"manager_id\": \"m1\"}],"
		" \"to_stage\": \"qualification\", " AT_TEXT "}", T0);
	json_t *answer = sg_gate_to_json(g), *list, *first;

	ck_assert_ptr_nonnull(answer);
	ck_assert_uint_eq(json_object_size(answer), 2);
	ck_assert_str_eq(json_string_value(json_object_get(answer, "verdict")),
			 "block");
	list = json_object_get(answer, "exceptions");
	ck_assert(json_is_array(list));
	ck_assert_uint_eq(json_array_size(list), 2);
	first = json_array_get(list, 0);
	ck_assert_str_eq(json_string_value(json_object_get(first, "type")),
			 "missing_evidence");
	ck_assert_str_eq(json_string_value(json_object_get(first,
							   "from_stage")),
			 "discovery");
	ck_assert_str_eq(json_string_value(json_object_get(first,
							   "to_stage")),
			 "qualification");
	ck_assert_str_eq(json_string_value(json_object_get(first,
							   "event_at")),
			 "2026-11-02T12:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(first,
							   "detected_at")),
			 "2026-11-02T12:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(first,
							   "due_at")),
			 "2026-11-04T12:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(first,
							   "assignee")),
			 "m1");
	ck_assert_uint_eq(strlen(json_string_value(
		json_object_get(first, "id"))), 16);
	json_decref(answer);
	sg_gate_free(g);
}
END_TEST

/* --- Refusals: every one names the JSON path. --- */

static void refuse(const char *text, const char *expect)
{
	struct sg_gate *g = (struct sg_gate *)1;
	struct sg_error err;
	int rc;

	sg_error_clear(&err);
	rc = sg_gate_new(&g, cfg, text, strlen(text), AT, "stdin", &err);
	ck_assert_msg(rc == SG_ERR_PARSE, "accepted (rc %d): %s", rc, text);
	ck_assert_ptr_null(g);
	ck_assert_str_eq(err.path, "stdin");
	ck_assert_msg(strstr(err.message, expect) == err.message,
		      "message \"%s\" does not start with \"%s\"",
		      err.message, expect);
}

START_TEST(refuse_input)
{
	const char *opp = "\"opportunity\": {\"id\": \"G1\"}";
	char text[1024];

	refuse("", "$: not valid JSON");
	refuse("{\"opportunity\": ", "$: not valid JSON");
	refuse("{\"opportunity\": {\"id\": \"A\", \"id\": \"B\"},"
	       " \"to_stage\": \"x\"}", "$: not valid JSON");
	refuse("[]", "$: expected a JSON object");
	refuse("{\"to_stage\": \"qualification\"}", "$.opportunity: missing");
	refuse("{\"opportunity\": [], \"to_stage\": \"q\"}",
	       "$.opportunity: expected an object");
	refuse("{\"opportunity\": {\"name\": \"x\"}, \"to_stage\": \"q\"}",
	       "$.opportunity.id: missing");
	refuse("{\"opportunity\": {\"id\": \" \"}, \"to_stage\": \"q\"}",
	       "$.opportunity.id: empty");

	snprintf(text, sizeof(text), "{%s}", opp);
	refuse(text, "$.to_stage: missing");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \" \"}", opp);
	refuse(text, "$.to_stage: empty");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": 3}", opp);
	refuse(text, "$.to_stage: expected a string");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"stage\": \"x\"}", opp);
	refuse(text, "$.stage: unknown key");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"at\": \"2026-11-02T12:00:00\"}", opp);
	refuse(text, "$.at: ");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"at\": \"soon\"}", opp);
	refuse(text, "$.at: ");

	/* Times. */
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", \"history\": ["
		 "{\"to_stage\": \"discovery\","
		 " \"changed_at\": \"2026-10-01\"},"
		 "{\"to_stage\": \"discovery\","
		 " \"changed_at\": \"2026-10-02\"},"
		 "{\"to_stage\": \"discovery\", \"changed_at\": \"yesterday\"}"
		 "]}", opp);
	refuse(text, "$.history[2].changed_at: ");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", \"history\": ["
		 "{\"to_stage\": \"discovery\"}]}", opp);
	refuse(text, "$.history[0].changed_at: missing");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", \"history\": ["
		 "{\"changed_at\": \"2026-10-01\"}]}", opp);
	refuse(text, "$.history[0].to_stage: missing");
	refuse("{\"opportunity\": {\"id\": \"G1\", \"created_at\": "
	       "\"1st of October\"}, \"to_stage\": \"q\"}",
	       "$.opportunity.created_at: ");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"evidence\": ["
		 "{\"criterion\": \"pain\", \"observed_at\": \"\"}]}", opp);
	refuse(text, "$.evidence[0].observed_at: empty");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"activities\": [{\"party\": \"buyer\", \"occurred_at\": "
		 "\"tbd\"}]}", opp);
	refuse(text, "$.activities[0].occurred_at: ");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"field_history\": [{\"field\": \"amount\"}]}", opp);
	refuse(text, "$.field_history[0].changed_at: missing");

	/* Parties and other values. */
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"evidence\": ["
		 "{\"criterion\": \"pain\", \"party\": \"customer\","
		 " \"observed_at\": \"2026-10-01\"}]}", opp);
	refuse(text, "$.evidence[0].party: unknown party \"customer\"");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"evidence\": ["
		 "{\"criterion\": \"pain\", \"party\": \"system\","
		 " \"observed_at\": \"2026-10-01\"}]}", opp);
	refuse(text, "$.evidence[0].party: unknown party");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"activities\": [{\"party\": \"unknown\", \"occurred_at\": "
		 "\"2026-10-01\"}]}", opp);
	refuse(text, "$.activities[0].party: unknown party");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"evidence\": ["
		 "{\"party\": \"buyer\", \"observed_at\": \"2026-10-01\"}]}",
		 opp);
	refuse(text, "$.evidence[0].criterion: missing");
	refuse("{\"opportunity\": {\"id\": \"G1\", \"amount\": \"$1,000\"},"
	       " \"to_stage\": \"q\"}", "$.opportunity.amount: ");
	refuse("{\"opportunity\": {\"id\": \"G1\", \"amount\": 1e300},"
	       " \"to_stage\": \"q\"}", "$.opportunity.amount: ");
	refuse("{\"opportunity\": {\"id\": \"G1\", \"name\": {\"a\": 1}},"
	       " \"to_stage\": \"q\"}",
	       "$.opportunity.name: expected a string");
	refuse("{\"opportunity\": {\"id\": \"G1\", \"tags\": [1]},"
	       " \"to_stage\": \"q\"}",
	       "$.opportunity.tags: expected a string");

	/* Shapes and keys of the record arrays. */
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"history\": {}}", opp);
	refuse(text, "$.history: expected an array");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"evidence\": [\"pain\"]}", opp);
	refuse(text, "$.evidence[0]: expected an object");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", \"history\": ["
		 "{\"to_stage\": \"d\", \"changed_at\": \"2026-10-01\","
		 " \"note\": \"x\"}]}", opp);
	refuse(text, "$.history[0].note: unknown key");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", \"owners\": ["
		 "{\"name\": \"Uma\"}]}", opp);
	refuse(text, "$.owners[0].id: missing");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", \"owners\": ["
		 "{\"id\": \"u1\", \"role\": \"AE\"}]}", opp);
	refuse(text, "$.owners[0].role: unknown key");
	snprintf(text, sizeof(text), "{%s, \"to_stage\": \"q\", "
		 "\"evidence\": ["
		 "{\"opportunity_id\": \"OTHER\", \"criterion\": \"pain\","
		 " \"observed_at\": \"2026-10-01\"}]}", opp);
	refuse(text, "$.evidence[0].opportunity_id: ");
}
END_TEST

START_TEST(refuse_too_large)
{
	size_t n = SG_GATE_INPUT_MAX + 1;
	char *text = malloc(n + 1);
	struct sg_gate *g = NULL;
	struct sg_error err;

	ck_assert_ptr_nonnull(text);
	memset(text, ' ', n);
	text[n] = '\0';
	sg_error_clear(&err);
	ck_assert_int_eq(sg_gate_new(&g, cfg, text, n, AT, "stdin", &err),
			 SG_ERR_PARSE);
	ck_assert_ptr_null(g);
	ck_assert_ptr_nonnull(strstr(err.message, "larger than"));
	free(text);
}
END_TEST

/* --- The bounded reader. --- */

static FILE *stream_of(size_t n, char fill)
{
	FILE *f = tmpfile();
	size_t i;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < n; i++)
		ck_assert_int_ne(fputc(fill, f), EOF);
	rewind(f);
	return f;
}

START_TEST(read_bounded)
{
	struct sg_error err;
	char *text = NULL;
	size_t len = 1;
	FILE *f;

	sg_error_clear(&err);
	f = stream_of(0, 'x');
	ck_assert_int_eq(sg_gate_read(&text, &len, f, 100, "s", &err), SG_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(text, "");
	free(text);
	fclose(f);

	/* Exactly the bound, across several buffer growths. */
	f = stream_of(20000, 'a');
	ck_assert_int_eq(sg_gate_read(&text, &len, f, 20000, "s", &err),
			 SG_OK);
	ck_assert_uint_eq(len, 20000);
	ck_assert_uint_eq(strlen(text), 20000);
	free(text);
	fclose(f);

	f = stream_of(20001, 'a');
	text = (char *)1;
	ck_assert_int_eq(sg_gate_read(&text, &len, f, 20000, "s", &err),
			 SG_ERR_PARSE);
	ck_assert_ptr_null(text);
	ck_assert_str_eq(err.path, "s");
	ck_assert_ptr_nonnull(strstr(err.message, "larger than 20000"));
	fclose(f);
}
END_TEST

static Suite *gate_suite(void)
{
	Suite *s = suite_create("gate");
	TCase *tc;

	tc = tcase_create("model");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, model_translation);
	tcase_add_test(tc, model_amounts);
	tcase_add_test(tc, model_integer_id_and_default_at);
	suite_add_tcase(s, tc);

	tc = tcase_create("stage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, stage_snapshot_after_change);
	tcase_add_test(tc, stage_mismatch_pauses);
	tcase_add_test(tc, stage_creation_without_history);
	tcase_add_test(tc, stage_not_a_move);
	tcase_add_test(tc, stage_at_before_history);
	tcase_add_test(tc, stage_other_pipeline);
	suite_add_tcase(s, tc);

	tc = tcase_create("verdict");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, verdict_allow);
	tcase_add_test(tc, verdict_flag_is_allow);
	tcase_add_test(tc, verdict_review);
	tcase_add_test(tc, verdict_block);
	tcase_add_test(tc, verdict_block_required_field_history);
	tcase_add_test(tc, verdict_pause_unknown_stage);
	tcase_add_test(tc, verdict_pause_missing_owner);
	tcase_add_test(tc, verdict_selection);
	suite_add_tcase(s, tc);

	tc = tcase_create("answer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, answer_json);
	suite_add_tcase(s, tc);

	tc = tcase_create("refuse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, refuse_input);
	tcase_add_test(tc, refuse_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_test(tc, read_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(gate_suite());
}
