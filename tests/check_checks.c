/*
 * check_checks.c - the stage-progression checks (DESIGN §5, §10 rules
 * 13-30 and 44), routing, notes and the exception JSON.
 *
 * Models are built in C through sg_model_add_*() so each test states the
 * exact records it judges.  CK_RUN_SUITE / CK_RUN_CASE pick a case.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_checks.h"
#include "sg_config.h"
#include "sg_hash.h"
#include "sg_model.h"
#include "sg_test_model.h"

/*
 * Stages: 0 discovery, 1 qualification, 2 proposal, 3 negotiation (no
 * forecast category, no age limit), 4 closed_won, 5 closed_lost
 * (enter_from_any, requires a field nobody has).
 */
static const char cfg_text[] =
	"{\"pipeline\": {\"id\": \"default\", \"label\": \"New business\"},\n"
	" \"stages\": [\n"
	"  {\"id\": \"discovery\", \"label\": \"Discovery\","
	"   \"max_age_days\": 14, \"forecast_category\": \"pipeline\","
	"   \"exit_criteria\": [\"pain_confirmed\"],"
	"   \"required_fields\": [\"amount\"]},\n"
	"  {\"id\": \"qualification\", \"label\": \"Qualification\","
	"   \"max_age_days\": 10, \"forecast_category\": \"pipeline\","
	"   \"exit_criteria\": [\"budget_confirmed\", \"pain_confirmed\"]},\n"
	"  {\"id\": \"proposal\", \"label\": \"Proposal\","
	"   \"max_age_days\": 21, \"forecast_category\": \"best_case\","
	"   \"exit_criteria\": [\"decision_path\", \"success_criteria\"],"
	"   \"required_fields\": [\"amount\", \"close_date\","
	"                         \"next_step\"]},\n"
	"  {\"id\": \"negotiation\", \"label\": \"Negotiation\","
	"   \"required_fields\": [\"legal_contact\"]},\n"
	"  {\"id\": \"closed_won\", \"label\": \"Closed won\","
	"   \"closed\": true, \"won\": true,"
	"   \"forecast_category\": \"closed\"},\n"
	"  {\"id\": \"closed_lost\", \"label\": \"Closed lost\","
	"   \"closed\": true, \"enter_from_any\": true,"
	"   \"forecast_category\": \"omitted\","
	"   \"required_fields\": [\"loss_reason\"]}\n"
	" ],\n"
	" \"criteria\": {\n"
	"  \"pain_confirmed\": {\"label\": \"Pain confirmed\","
	"   \"buyer_only\": false},\n"
	"  \"budget_confirmed\": {\"label\":"
	"   \"Budget confirmed by the buyer\", \"max_age_days\": 30},\n"
	"  \"decision_path\": {\"label\": \"Decision path\"},\n"
	"  \"success_criteria\": {\"label\": \"Success criteria\","
	"   \"buyer_only\": false}\n"
	" },\n"
	" \"segments\": {\"field\": \"segment\", \"max_age_days\":"
	"   {\"enterprise\": {\"discovery\": 30, \"negotiation\": 5}}},\n"
	" \"placeholders\": [\"tbd\", \"n/a\"],\n"
	" \"forecast\": {\"review_categories\": [\"best_case\", \"commit\","
	"   \"closed\"]},\n"
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
	struct sg_exceptions ex;
	struct sg_check_window win;
	int finished;
};

static void fx_init_text(struct fx *f, const char *text)
{
	struct sg_error err;

	memset(f, 0, sizeof(*f));
	sg_error_clear(&err);
	ck_assert_msg(sg_config_load_text(&f->cfg, "checks.json", "/tmp",
					  text, strlen(text),
					  &err) == SG_OK,
		      "config: %s", err.message);
	ck_assert_int_eq(sg_model_new(&f->m, f->cfg, &err), SG_OK);
	sg_exceptions_init(&f->ex);
	f->win.since = SG_TIME_NONE;
	f->win.as_of = D(60);
}

static void fx_init(struct fx *f)
{
	fx_init_text(f, cfg_text);
}

static void fx_free(struct fx *f)
{
	sg_exceptions_release(&f->ex);
	sg_model_free(f->m);
	sg_config_free(f->cfg);
}

static struct sg_rec_opportunity rec_opp(const char *id, const char *stage)
{
	struct sg_rec_opportunity r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.name = "Acme expansion";
	r.pipeline = "";
	r.stage = stage;
	r.owner_id = "u1";
	r.amount = "12000.50";
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

static void add_ev_by(struct fx *f, const char *opp, const char *from,
		      const char *to, sg_time at, const char *by)
{
	sg_test_add_event(f->m, opp, from, to, at, by);
}

static void add_ev(struct fx *f, const char *opp, const char *to, sg_time at)
{
	add_ev_by(f, opp, "", to, at, "u1");
}

static void add_evd(struct fx *f, const char *opp, const char *crit,
		    const char *value, int party, sg_time at)
{
	sg_test_add_evidence(f->m, opp, crit, value, party, at);
}

static void add_act(struct fx *f, const char *opp, int party, sg_time at)
{
	sg_test_add_activity(f->m, opp, party, at);
}

static void add_chg(struct fx *f, const char *opp, const char *field,
		    const char *old_value, const char *new_value, sg_time at)
{
	sg_test_add_change(f->m, opp, field, old_value, new_value, at);
}

static void add_owner(struct fx *f, const char *id, const char *manager)
{
	struct sg_rec_owner r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.name = "Jane Seller";
	r.email = "";
	r.manager_id = manager;
	r.team = "";
	ck_assert_int_eq(sg_model_add_owner(f->m, &r, NULL, &err), SG_OK);
}

static void fx_run(struct fx *f)
{
	struct sg_error err;

	sg_error_clear(&err);
	if (!f->finished) {
		ck_assert_int_eq(sg_model_finish(f->m, &err), SG_OK);
		f->finished = 1;
	}
	ck_assert_int_eq(sg_checks_run(&f->ex, f->m, &f->win, &err), SG_OK);
}

static const char *opp_id_of(struct fx *f, const struct sg_exception *e)
{
	struct sg_model_view v;

	sg_model_view(f->m, &v);
	return sg_model_str(f->m, v.opps[e->opp].id);
}

static const char *str(struct fx *f, sg_sym s)
{
	return sg_model_str(f->m, s);
}

static size_t count_type(struct fx *f, const char *opp, int type)
{
	size_t i, n = 0;

	for (i = 0; i < f->ex.count; i++)
		if (f->ex.items[i].type == type &&
		    (opp == NULL || strcmp(opp_id_of(f, &f->ex.items[i]),
					   opp) == 0))
			n++;
	return n;
}

static size_t count_opp(struct fx *f, const char *opp)
{
	size_t i, n = 0;

	for (i = 0; i < f->ex.count; i++)
		if (strcmp(opp_id_of(f, &f->ex.items[i]), opp) == 0)
			n++;
	return n;
}

/* The k-th exception of type for opp (in output order), or NULL. */
static const struct sg_exception *find_nth(struct fx *f, const char *opp,
					   int type, size_t k)
{
	size_t i;

	for (i = 0; i < f->ex.count; i++) {
		const struct sg_exception *e = &f->ex.items[i];

		if (e->type == type && strcmp(opp_id_of(f, e), opp) == 0) {
			if (k == 0)
				return e;
			k--;
		}
	}
	return NULL;
}

static const struct sg_exception *find(struct fx *f, const char *opp,
				       int type)
{
	const struct sg_exception *e = find_nth(f, opp, type, 0);

	ck_assert_msg(e != NULL, "no %s exception for %s",
		      sg_exception_type_name(type), opp);
	return e;
}

/* The detail list as "a,b,c" of criterion ids. */
static void crit_list(struct fx *f, const uint32_t *list, uint32_t n,
		      char *buf, size_t size)
{
	uint32_t i;
	size_t len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? "," : "",
					f->cfg->criteria[list[i]].id);
}

static void stage_list(struct fx *f, const uint32_t *list, uint32_t n,
		       char *buf, size_t size)
{
	uint32_t i;
	size_t len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? "," : "",
					f->cfg->stages[list[i]].id);
}

static json_t *to_json(struct fx *f, const struct sg_exception *e)
{
	struct sg_routing r;
	json_t *j;

	sg_exception_route(e, f->m, f->win.as_of, &r);
	j = sg_exception_to_json(e, f->m, &r, f->win.as_of);
	ck_assert_ptr_nonnull(j);
	return j;
}

static const char *jstr(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	ck_assert_msg(v != NULL, "key %s absent", key);
	if (json_is_null(v))
		return NULL;
	ck_assert_msg(json_is_string(v), "key %s is not a string", key);
	return json_string_value(v);
}

static void assert_move(struct fx *f, const struct sg_exception *e,
			const char *from, const char *to, sg_time at)
{
	ck_assert_int_eq(e->is_move, 1);
	if (from == NULL)
		ck_assert_uint_eq(e->from_stage, 0);
	else
		ck_assert_str_eq(str(f, e->from_stage), from);
	ck_assert_str_eq(str(f, e->to_stage), to);
	ck_assert_str_eq(str(f, e->stage), to);
	ck_assert_int_eq(e->event_at, at);
}

/* --- Names and verdicts. --- */

START_TEST(test_names_and_verdicts)
{
	static const char *const names[] = {
		"missing_evidence", "required_field", "skipped_stage",
		"regression", "seller_only", "forecast_impact", "stage_age",
		"no_next_step", "data_quality"
	};
	static const int verdicts[] = {
		SG_VERDICT_BLOCK, SG_VERDICT_BLOCK, SG_VERDICT_REVIEW,
		SG_VERDICT_REVIEW, SG_VERDICT_REVIEW, SG_VERDICT_REVIEW,
		SG_VERDICT_FLAG, SG_VERDICT_FLAG, SG_VERDICT_PAUSE
	};
	int i;

	for (i = 0; i < SG_EX_TYPE_COUNT; i++) {
		ck_assert_str_eq(sg_exception_type_name(i), names[i]);
		ck_assert_int_eq(sg_exception_type_from_name(names[i]), i);
		ck_assert_int_eq(sg_exception_type_verdict(i), verdicts[i]);
	}
	ck_assert_int_eq(sg_exception_type_from_name("stage_ages"), -1);
	ck_assert_int_eq(sg_exception_type_from_name(""), -1);
	ck_assert_int_eq(sg_exception_type_from_name(NULL), -1);
	ck_assert_str_eq(sg_exception_type_name(-1), "unknown");
	ck_assert_str_eq(sg_exception_type_name(SG_EX_TYPE_COUNT), "unknown");
	ck_assert_str_eq(sg_verdict_name(SG_VERDICT_ALLOW), "allow");
	ck_assert_str_eq(sg_verdict_name(SG_VERDICT_FLAG), "flag");
	ck_assert_str_eq(sg_verdict_name(SG_VERDICT_REVIEW), "review");
	ck_assert_str_eq(sg_verdict_name(SG_VERDICT_BLOCK), "block");
	ck_assert_str_eq(sg_verdict_name(SG_VERDICT_PAUSE), "pause");
	ck_assert_str_eq(sg_verdict_name(99), "unknown");
}
END_TEST

/* --- missing_evidence (rules 17-19). --- */

START_TEST(test_missing_evidence_lists)
{
	struct fx f;
	const struct sg_exception *e;
	char buf[256];

	fx_init(&f);
	add_opp(&f, "o1", "negotiation");
	add_ev(&f, "o1", "discovery", D(1));
	add_ev(&f, "o1", "negotiation", D(10));
	/* pain: any party (buyer_only false). */
	add_evd(&f, "o1", "pain_confirmed", "yes", SG_PARTY_SELLER, D(2));
	/* budget: the buyer, within 30 days. */
	add_evd(&f, "o1", "budget_confirmed", "100k", SG_PARTY_BUYER, D(3));
	/* decision_path is buyer_only: a seller's record does not count. */
	add_evd(&f, "o1", "decision_path", "CFO signs", SG_PARTY_SELLER,
		D(4));
	/* success_criteria: a placeholder value is missing. */
	add_evd(&f, "o1", "success_criteria", "TBD", SG_PARTY_BUYER, D(4));
	fx_run(&f);
	e = find(&f, "o1", SG_EX_MISSING_EVIDENCE);
	assert_move(&f, e, "discovery", "negotiation", D(10));
	ck_assert_int_eq(e->verdict, SG_VERDICT_BLOCK);
	/* Rule 19: stage order, exit_criteria order, each once. */
	crit_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "decision_path,success_criteria");
	crit_list(&f, e->list2, e->list2_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "pain_confirmed,budget_confirmed");
	ck_assert_uint_eq(count_type(&f, "o1", SG_EX_MISSING_EVIDENCE), 1);
	fx_free(&f);
}
END_TEST

START_TEST(test_missing_evidence_window)
{
	struct fx f;
	const struct sg_exception *e;
	char buf[256];

	/* Rule 18: 0 <= move - observed_at <= max_age (30 days). */
	fx_init(&f);
	add_opp(&f, "at_move", "proposal");
	add_ev(&f, "at_move", "qualification", D(1));
	add_ev(&f, "at_move", "proposal", D(40));
	add_evd(&f, "at_move", "pain_confirmed", "yes", SG_PARTY_BUYER, D(1));
	add_evd(&f, "at_move", "budget_confirmed", "yes", SG_PARTY_BUYER,
		D(40));

	add_opp(&f, "limit", "proposal");
	add_ev(&f, "limit", "qualification", D(1));
	add_ev(&f, "limit", "proposal", D(40));
	add_evd(&f, "limit", "pain_confirmed", "yes", SG_PARTY_BUYER, D(1));
	add_evd(&f, "limit", "budget_confirmed", "yes", SG_PARTY_BUYER,
		D(10));

	add_opp(&f, "too_old", "proposal");
	add_ev(&f, "too_old", "qualification", D(1));
	add_ev(&f, "too_old", "proposal", D(40));
	add_evd(&f, "too_old", "pain_confirmed", "yes", SG_PARTY_BUYER, D(1));
	add_evd(&f, "too_old", "budget_confirmed", "yes", SG_PARTY_BUYER,
		D(10) - 1);

	add_opp(&f, "after", "proposal");
	add_ev(&f, "after", "qualification", D(1));
	add_ev(&f, "after", "proposal", D(40));
	add_evd(&f, "after", "pain_confirmed", "yes", SG_PARTY_BUYER, D(1));
	add_evd(&f, "after", "budget_confirmed", "yes", SG_PARTY_BUYER,
		D(40) + 1);

	/* pain_confirmed has no age limit. */
	add_opp(&f, "ancient", "qualification");
	add_ev(&f, "ancient", "discovery", D(-900));
	add_ev(&f, "ancient", "qualification", D(40));
	add_evd(&f, "ancient", "pain_confirmed", "yes", SG_PARTY_UNKNOWN,
		D(-899));
	fx_run(&f);

	ck_assert_uint_eq(count_type(&f, "at_move", SG_EX_MISSING_EVIDENCE),
			  0);
	ck_assert_uint_eq(count_type(&f, "limit", SG_EX_MISSING_EVIDENCE), 0);
	e = find(&f, "too_old", SG_EX_MISSING_EVIDENCE);
	crit_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "budget_confirmed");
	crit_list(&f, e->list2, e->list2_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "pain_confirmed");
	e = find(&f, "after", SG_EX_MISSING_EVIDENCE);
	crit_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "budget_confirmed");
	ck_assert_uint_eq(count_type(&f, "ancient", SG_EX_MISSING_EVIDENCE),
			  0);
	fx_free(&f);
}
END_TEST

START_TEST(test_creation_past_first_stage)
{
	struct fx f;
	const struct sg_exception *e;
	struct sg_rec_opportunity r = rec_opp("c1", "proposal");
	char buf[256];
	json_t *j;

	/* Rules 14, 17: a creation past the first stage, own from given. */
	fx_init(&f);
	r.next_step = "n/a";
	r.next_step_date = D(100);
	add_rec(&f, &r);
	add_ev_by(&f, "c1", "discovery", "proposal", D(5), "u1");
	fx_run(&f);
	e = find(&f, "c1", SG_EX_MISSING_EVIDENCE);
	assert_move(&f, e, NULL, "proposal", D(5));
	crit_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "pain_confirmed,budget_confirmed");
	ck_assert_uint_eq(e->list2_count, 0);
	e = find(&f, "c1", SG_EX_SKIPPED_STAGE);
	assert_move(&f, e, NULL, "proposal", D(5));
	stage_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "discovery,qualification");
	/* next_step "n/a" is a placeholder: missing. */
	e = find(&f, "c1", SG_EX_REQUIRED_FIELD);
	ck_assert_uint_eq(e->list_count, 1);
	ck_assert_str_eq(f.cfg->stages[2].required_fields[e->list[0]],
			 "next_step");
	/* Never on a creation: seller_only, forecast_impact, regression. */
	ck_assert_uint_eq(count_type(&f, "c1", SG_EX_SELLER_ONLY), 0);
	ck_assert_uint_eq(count_type(&f, "c1", SG_EX_FORECAST_IMPACT), 0);
	ck_assert_uint_eq(count_type(&f, "c1", SG_EX_REGRESSION), 0);
	ck_assert_uint_eq(count_type(&f, "c1", SG_EX_DATA_QUALITY), 0);
	j = to_json(&f, find(&f, "c1", SG_EX_SKIPPED_STAGE));
	ck_assert_ptr_null(jstr(j, "from_stage"));
	ck_assert_str_eq(jstr(j, "to_stage"), "proposal");
	ck_assert_str_eq(jstr(j, "stage"), "proposal");
	ck_assert_int_eq(json_array_size(json_object_get(j, "skipped")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(
		json_object_get(j, "skipped"), 1)), "qualification");
	json_decref(j);
	fx_free(&f);
}
END_TEST

START_TEST(test_creation_first_stage_and_exit)
{
	struct fx f;
	const struct sg_exception *e;
	struct sg_rec_opportunity r = rec_opp("first", "discovery");

	/* Rule 16. */
	fx_init(&f);
	r.amount = "0.00";
	add_rec(&f, &r);
	add_ev(&f, "first", "discovery", D(55));
	add_opp(&f, "lost", "closed_lost");
	add_ev(&f, "lost", "closed_lost", D(55));
	fx_run(&f);
	/* Into the first stage: skips nothing, required_field checked (a
	 * zero amount is missing). */
	ck_assert_uint_eq(count_opp(&f, "first"), 1);
	e = find(&f, "first", SG_EX_REQUIRED_FIELD);
	assert_move(&f, e, NULL, "discovery", D(55));
	ck_assert_uint_eq(e->list_count, 1);
	ck_assert_str_eq(f.cfg->stages[0].required_fields[e->list[0]],
			 "amount");
	/* Directly into closed_lost: an exit, even though closed_lost
	 * requires a field nobody has. */
	ck_assert_uint_eq(count_opp(&f, "lost"), 0);
	ck_assert_uint_eq(f.ex.evaluated, 2);
	ck_assert_uint_eq(f.ex.paused, 0);
	fx_free(&f);
}
END_TEST

/* --- required_field (rule 21). --- */

START_TEST(test_required_field_history)
{
	struct fx f;
	const struct sg_exception *e;
	struct sg_rec_opportunity r = rec_opp("h1", "proposal");

	fx_init(&f);
	/* Current values are all present ... */
	add_rec(&f, &r);
	add_ev(&f, "h1", "qualification", D(1));
	add_ev(&f, "h1", "proposal", D(20));
	add_evd(&f, "h1", "pain_confirmed", "y", SG_PARTY_BUYER, D(2));
	add_evd(&f, "h1", "budget_confirmed", "y", SG_PARTY_BUYER, D(2));
	add_act(&f, "h1", SG_PARTY_BUYER, D(3));
	/* ... but amount was set after the move: the old value counts. */
	add_chg(&f, "h1", "amount", "", "12000.50", D(20) + 1);
	/* next_step changed at the move second: the new value counts. */
	add_chg(&f, "h1", "next_step", "", "Demo", D(20));
	/* close_date: last change before the move cleared it. */
	add_chg(&f, "h1", "close_date", "", "2026-12-01", D(5));
	add_chg(&f, "h1", "close_date", "2026-12-01", "tbd", D(6));
	add_chg(&f, "h1", "close_date", "tbd", "2026-12-20", D(30));
	f.win.since = D(10);
	fx_run(&f);
	e = find(&f, "h1", SG_EX_REQUIRED_FIELD);
	ck_assert_uint_eq(e->list_count, 2);
	ck_assert_str_eq(f.cfg->stages[2].required_fields[e->list[0]],
			 "amount");
	ck_assert_str_eq(f.cfg->stages[2].required_fields[e->list[1]],
			 "close_date");
	/* And forecast_impact and stage_age, nothing else. */
	ck_assert_uint_eq(count_opp(&f, "h1"), 3);
	ck_assert_uint_eq(count_type(&f, "h1", SG_EX_STAGE_AGE), 1);
	e = find(&f, "h1", SG_EX_FORECAST_IMPACT);
	/* The amount at the move is the old value: missing. */
	ck_assert_ptr_null(e->amount);
	ck_assert_str_eq(e->currency, "USD");
	fx_free(&f);
}
END_TEST

START_TEST(test_required_field_no_column)
{
	struct fx f;
	const struct sg_exception *e;
	json_t *j;

	/* legal_contact is in no file: missing. */
	fx_init(&f);
	add_opp(&f, "n1", "negotiation");
	add_ev(&f, "n1", "proposal", D(1));
	add_ev(&f, "n1", "negotiation", D(2));
	add_evd(&f, "n1", "decision_path", "y", SG_PARTY_BUYER, D(1));
	add_evd(&f, "n1", "success_criteria", "y", SG_PARTY_SELLER, D(1));
	add_act(&f, "n1", SG_PARTY_BUYER, D(1));
	f.win.since = D(1);
	fx_run(&f);
	e = find(&f, "n1", SG_EX_REQUIRED_FIELD);
	assert_move(&f, e, "proposal", "negotiation", D(2));
	j = to_json(&f, e);
	ck_assert_str_eq(json_string_value(json_array_get(
		json_object_get(j, "fields"), 0)), "legal_contact");
	ck_assert_int_eq(json_array_size(json_object_get(j, "fields")), 1);
	ck_assert_str_eq(jstr(j, "verdict"), "block");
	json_decref(j);
	ck_assert_uint_eq(count_type(&f, "n1", SG_EX_MISSING_EVIDENCE), 0);
	ck_assert_uint_eq(count_type(&f, "n1", SG_EX_SELLER_ONLY), 0);
	ck_assert_uint_eq(count_type(&f, "n1", SG_EX_SKIPPED_STAGE), 0);
	/* best_case -> none: differs, best_case is reviewed. */
	e = find(&f, "n1", SG_EX_FORECAST_IMPACT);
	ck_assert_str_eq(e->from_category, "best_case");
	ck_assert_ptr_null(e->to_category);
	fx_free(&f);
}
END_TEST

/* --- skipped_stage, regression, exits, reopens (rules 16, 20). --- */

START_TEST(test_enter_from_any_between)
{
	static const char text[] =
		"{\"pipeline\": {\"id\": \"p\"},"
		" \"stages\": ["
		"  {\"id\": \"a\", \"exit_criteria\": [\"c1\"]},"
		"  {\"id\": \"hold\", \"enter_from_any\": true,"
		"   \"exit_criteria\": [\"c2\"]},"
		"  {\"id\": \"b\"},"
		"  {\"id\": \"c\"}],"
		" \"criteria\": {\"c1\": {}, \"c2\": {}}}";
	struct fx f;
	const struct sg_exception *e;
	char buf[64];

	/* enter_from_any stages are never passed over, and their exit
	 * criteria are not required (rules 16, 17, 20). */
	fx_init_text(&f, text);
	add_opp(&f, "x", "c");
	add_ev(&f, "x", "a", D(1));
	add_ev(&f, "x", "c", D(2));
	add_opp(&f, "y", "b");
	add_ev(&f, "y", "b", D(2));
	add_opp(&f, "z", "b");
	add_ev(&f, "z", "a", D(1));
	add_ev(&f, "z", "b", D(2));
	fx_run(&f);
	e = find(&f, "x", SG_EX_SKIPPED_STAGE);
	assert_move(&f, e, "a", "c", D(2));
	stage_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "b");
	e = find(&f, "x", SG_EX_MISSING_EVIDENCE);
	crit_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "c1");
	e = find(&f, "y", SG_EX_SKIPPED_STAGE);
	stage_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a");
	ck_assert_uint_eq(count_type(&f, "z", SG_EX_SKIPPED_STAGE), 0);
	e = find(&f, "z", SG_EX_MISSING_EVIDENCE);
	crit_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "c1");
	fx_free(&f);
}
END_TEST

START_TEST(test_skipped_stage)
{
	struct fx f;
	const struct sg_exception *e;
	char buf[128];

	fx_init(&f);
	/* closed_lost (enter_from_any) is never passed over. */
	add_opp(&f, "s1", "closed_won");
	add_ev(&f, "s1", "qualification", D(1));
	add_ev(&f, "s1", "closed_won", D(2));
	add_opp(&f, "s2", "proposal");
	add_ev(&f, "s2", "qualification", D(1));
	add_ev(&f, "s2", "proposal", D(2));
	f.win.since = D(1);
	fx_run(&f);
	e = find(&f, "s1", SG_EX_SKIPPED_STAGE);
	assert_move(&f, e, "qualification", "closed_won", D(2));
	ck_assert_int_eq(e->verdict, SG_VERDICT_REVIEW);
	stage_list(&f, e->list, e->list_count, buf, sizeof(buf));
	ck_assert_str_eq(buf, "proposal,negotiation");
	e = find(&f, "s1", SG_EX_MISSING_EVIDENCE);
	crit_list(&f, e->list, e->list_count, buf, sizeof(buf));
	/* qualification, proposal, negotiation criteria. */
	ck_assert_str_eq(buf, "budget_confirmed,pain_confirmed,"
			 "decision_path,success_criteria");
	ck_assert_uint_eq(count_type(&f, "s2", SG_EX_SKIPPED_STAGE), 0);
	fx_free(&f);
}
END_TEST

START_TEST(test_regressions_exits_reopens)
{
	struct fx f;
	const struct sg_exception *e;

	fx_init(&f);
	/* A plain move back. */
	add_opp(&f, "back", "discovery");
	add_ev(&f, "back", "proposal", D(1));
	add_ev(&f, "back", "discovery", D(2));
	/* closed_lost -> closed_won: a regression by order (rule 20). */
	add_opp(&f, "lw", "closed_won");
	add_ev(&f, "lw", "closed_lost", D(1));
	add_ev(&f, "lw", "closed_won", D(2));
	/* A reopen: closed_won -> proposal. */
	add_opp(&f, "re", "proposal");
	add_ev(&f, "re", "closed_won", D(1));
	add_ev(&f, "re", "proposal", D(2));
	/* An exit from proposal: never an advance, skip or regression. */
	add_opp(&f, "ex", "closed_lost");
	add_ev(&f, "ex", "proposal", D(1));
	add_ev(&f, "ex", "closed_lost", D(2));
	/* Exit from discovery: pipeline -> omitted, neither reviewed. */
	add_opp(&f, "ex2", "closed_lost");
	add_ev(&f, "ex2", "discovery", D(1));
	add_ev(&f, "ex2", "closed_lost", D(2));
	f.win.since = D(1);
	fx_run(&f);

	e = find(&f, "back", SG_EX_REGRESSION);
	assert_move(&f, e, "proposal", "discovery", D(2));
	ck_assert_int_eq(e->verdict, SG_VERDICT_REVIEW);
	ck_assert_uint_eq(count_type(&f, "back", SG_EX_FORECAST_IMPACT), 1);
	ck_assert_uint_eq(count_type(&f, "back", SG_EX_MISSING_EVIDENCE), 0);
	ck_assert_uint_eq(count_type(&f, "back", SG_EX_REQUIRED_FIELD), 0);
	ck_assert_uint_eq(count_type(&f, "back", SG_EX_SELLER_ONLY), 0);

	e = find(&f, "lw", SG_EX_REGRESSION);
	assert_move(&f, e, "closed_lost", "closed_won", D(2));
	e = find(&f, "lw", SG_EX_FORECAST_IMPACT);
	ck_assert_str_eq(e->from_category, "omitted");
	ck_assert_str_eq(e->to_category, "closed");
	ck_assert_uint_eq(count_opp(&f, "lw"), 2);

	e = find(&f, "re", SG_EX_REGRESSION);
	assert_move(&f, e, "closed_won", "proposal", D(2));
	ck_assert_uint_eq(count_type(&f, "re", SG_EX_MISSING_EVIDENCE), 0);
	ck_assert_uint_eq(count_type(&f, "re", SG_EX_FORECAST_IMPACT), 1);

	ck_assert_uint_eq(count_type(&f, "ex", SG_EX_REGRESSION), 0);
	ck_assert_uint_eq(count_type(&f, "ex", SG_EX_REQUIRED_FIELD), 0);
	ck_assert_uint_eq(count_type(&f, "ex", SG_EX_SKIPPED_STAGE), 0);
	ck_assert_uint_eq(count_type(&f, "ex", SG_EX_MISSING_EVIDENCE), 0);
	ck_assert_uint_eq(count_type(&f, "ex", SG_EX_SELLER_ONLY), 0);
	e = find(&f, "ex", SG_EX_FORECAST_IMPACT);
	assert_move(&f, e, "proposal", "closed_lost", D(2));
	ck_assert_str_eq(e->from_category, "best_case");
	ck_assert_str_eq(e->to_category, "omitted");
	ck_assert_str_eq(e->amount, "12000.50");
	ck_assert_uint_eq(count_opp(&f, "ex"), 1);
	ck_assert_uint_eq(count_opp(&f, "ex2"), 0);
	fx_free(&f);
}
END_TEST

/* --- seller_only (rules 15, 22). --- */

START_TEST(test_seller_only)
{
	struct fx f;
	const struct sg_exception *e;
	json_t *j;

	fx_init(&f);
	/* No activity at all: fires with 0. */
	add_opp(&f, "none", "qualification");
	add_ev(&f, "none", "discovery", D(1));
	add_ev(&f, "none", "qualification", D(5));
	add_evd(&f, "none", "pain_confirmed", "yes", SG_PARTY_SELLER, D(2));

	/* Seller activities in the span count; others do not. */
	add_opp(&f, "cnt", "qualification");
	add_ev(&f, "cnt", "discovery", D(1));
	add_ev(&f, "cnt", "qualification", D(5));
	add_evd(&f, "cnt", "pain_confirmed", "yes", SG_PARTY_SELLER, D(2));
	add_act(&f, "cnt", SG_PARTY_SELLER, D(1) - 1); /* before entered */
	add_act(&f, "cnt", SG_PARTY_SELLER, D(1));     /* at entered */
	add_act(&f, "cnt", SG_PARTY_SYSTEM, D(2));
	add_act(&f, "cnt", SG_PARTY_NONE, D(2));
	add_act(&f, "cnt", SG_PARTY_SELLER, D(5));     /* at the move */
	add_act(&f, "cnt", SG_PARTY_BUYER, D(5) + 1);  /* after */
	/* Buyer evidence with a missing value is no buyer evidence. */
	add_evd(&f, "cnt", "decision_path", "tbd", SG_PARTY_BUYER, D(3));

	/* A buyer activity at the entered second counts. */
	add_opp(&f, "b_start", "qualification");
	add_ev(&f, "b_start", "discovery", D(1));
	add_ev(&f, "b_start", "qualification", D(5));
	add_evd(&f, "b_start", "pain_confirmed", "y", SG_PARTY_SELLER, D(2));
	add_act(&f, "b_start", SG_PARTY_BUYER, D(1));

	/* A buyer activity at the move second counts. */
	add_opp(&f, "b_end", "qualification");
	add_ev(&f, "b_end", "discovery", D(1));
	add_ev(&f, "b_end", "qualification", D(5));
	add_evd(&f, "b_end", "pain_confirmed", "y", SG_PARTY_SELLER, D(2));
	add_act(&f, "b_end", SG_PARTY_BUYER, D(5));

	/* Buyer evidence (any criterion) counts. */
	add_opp(&f, "b_evd", "qualification");
	add_ev(&f, "b_evd", "discovery", D(1));
	add_ev(&f, "b_evd", "qualification", D(5));
	add_evd(&f, "b_evd", "pain_confirmed", "y", SG_PARTY_SELLER, D(2));
	add_evd(&f, "b_evd", "other_thing", "ok", SG_PARTY_BUYER, D(4));

	/* Same-stage events never reset entered: the buyer email between
	 * the creation and the same-stage event counts. */
	add_opp(&f, "same", "qualification");
	add_ev(&f, "same", "discovery", D(1));
	add_ev_by(&f, "same", "discovery", "discovery", D(3), "u2");
	add_ev(&f, "same", "qualification", D(5));
	add_evd(&f, "same", "pain_confirmed", "y", SG_PARTY_SELLER, D(2));
	add_act(&f, "same", SG_PARTY_BUYER, D(2));

	/* A buyer email before a regression and re-entry does not count:
	 * entered(discovery) is the last actual move into it. */
	add_opp(&f, "reent", "qualification");
	add_ev(&f, "reent", "discovery", D(1));
	add_ev(&f, "reent", "qualification", D(2));
	add_ev(&f, "reent", "discovery", D(3));
	add_ev(&f, "reent", "qualification", D(5));
	add_evd(&f, "reent", "pain_confirmed", "y", SG_PARTY_SELLER, D(1));
	add_act(&f, "reent", SG_PARTY_BUYER, D(1));
	add_act(&f, "reent", SG_PARTY_SELLER, D(4));
	f.win.since = D(4);
	fx_run(&f);

	e = find(&f, "none", SG_EX_SELLER_ONLY);
	assert_move(&f, e, "discovery", "qualification", D(5));
	ck_assert_uint_eq(e->seller_activities, 0);
	ck_assert_int_eq(e->verdict, SG_VERDICT_REVIEW);
	j = to_json(&f, e);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
				"seller_activities")), 0);
	json_decref(j);
	e = find(&f, "cnt", SG_EX_SELLER_ONLY);
	ck_assert_uint_eq(e->seller_activities, 2);
	ck_assert_uint_eq(count_type(&f, "b_start", SG_EX_SELLER_ONLY), 0);
	ck_assert_uint_eq(count_type(&f, "b_end", SG_EX_SELLER_ONLY), 0);
	ck_assert_uint_eq(count_type(&f, "b_evd", SG_EX_SELLER_ONLY), 0);
	ck_assert_uint_eq(count_type(&f, "same", SG_EX_SELLER_ONLY), 0);
	e = find(&f, "reent", SG_EX_SELLER_ONLY);
	ck_assert_uint_eq(e->seller_activities, 1);
	assert_move(&f, e, "discovery", "qualification", D(5));
	/* Only the move in (since, as_of] is judged. */
	ck_assert_uint_eq(count_type(&f, "reent", SG_EX_SELLER_ONLY), 1);
	fx_free(&f);
}
END_TEST

/* --- forecast_impact (rule 23). --- */

START_TEST(test_forecast_impact)
{
	struct fx f;
	const struct sg_exception *e;
	struct sg_rec_opportunity r = rec_opp("f1", "proposal");
	json_t *j;

	fx_init(&f);
	r.currency = "";
	r.amount = " 7000.5 ";
	add_rec(&f, &r);
	add_ev(&f, "f1", "discovery", D(1));
	add_ev(&f, "f1", "qualification", D(2)); /* pipeline -> pipeline */
	add_ev(&f, "f1", "proposal", D(3));      /* pipeline -> best_case */
	add_chg(&f, "f1", "amount", "", "9000", D(2));
	add_chg(&f, "f1", "amount", "9000", "7000.5", D(3) + 60);
	add_chg(&f, "f1", "currency", "EUR", "", D(10));
	add_act(&f, "f1", SG_PARTY_BUYER, D(1));
	fx_run(&f);
	ck_assert_uint_eq(count_type(&f, "f1", SG_EX_FORECAST_IMPACT), 1);
	e = find(&f, "f1", SG_EX_FORECAST_IMPACT);
	assert_move(&f, e, "qualification", "proposal", D(3));
	ck_assert_str_eq(e->from_category, "pipeline");
	ck_assert_str_eq(e->to_category, "best_case");
	ck_assert_str_eq(e->amount, "9000");
	ck_assert_str_eq(e->currency, "EUR");
	j = to_json(&f, e);
	ck_assert_str_eq(jstr(j, "from_category"), "pipeline");
	ck_assert_str_eq(jstr(j, "to_category"), "best_case");
	ck_assert_str_eq(jstr(j, "amount"), "9000");
	ck_assert_str_eq(jstr(j, "currency"), "EUR");
	ck_assert_str_eq(jstr(j, "verdict"), "review");
	json_decref(j);
	fx_free(&f);
}
END_TEST

/* --- stage_age (rules 15, 24, 25). --- */

START_TEST(test_stage_age)
{
	struct fx f;
	const struct sg_exception *e;
	struct sg_rec_opportunity r;
	struct sg_field seg = { "segment", " enterprise " };
	json_t *j;
	char *s;

	fx_init(&f);
	f.win.as_of = D(60);
	/* 20.25 days in discovery (limit 14): 20.3. */
	add_opp(&f, "age", "discovery");
	add_ev(&f, "age", "discovery", D(60) - 20 * DAY - 6 * HOUR);
	/* Exactly 14 days: not over. */
	add_opp(&f, "exact", "discovery");
	add_ev(&f, "exact", "discovery", D(46));
	/* 14 days and a second: over, 14.0. */
	add_opp(&f, "over", "discovery");
	add_ev(&f, "over", "discovery", D(46) - 1);
	/* Same-stage events do not reset the age. */
	add_opp(&f, "same", "discovery");
	add_ev(&f, "same", "discovery", D(30));
	add_ev_by(&f, "same", "", "discovery", D(59), "u2");
	/* Segment limit: 30 days in discovery for enterprise. */
	r = rec_opp("ent", "discovery");
	r.extra = &seg;
	r.extra_count = 1;
	add_rec(&f, &r);
	add_ev(&f, "ent", "discovery", D(60) - 20 * DAY - 6 * HOUR);
	r = rec_opp("ent_over", "discovery");
	r.extra = &seg;
	r.extra_count = 1;
	add_rec(&f, &r);
	add_ev(&f, "ent_over", "discovery", D(20));
	/* A stage without its own limit gets the segment's. */
	r = rec_opp("ent_neg", "negotiation");
	r.extra = &seg;
	r.extra_count = 1;
	add_rec(&f, &r);
	add_ev(&f, "ent_neg", "negotiation", D(50));
	add_opp(&f, "neg", "negotiation");
	add_ev(&f, "neg", "negotiation", D(1));
	/* Closed: not judged. */
	add_opp(&f, "won", "closed_won");
	add_ev(&f, "won", "closed_won", D(1));
	f.win.since = D(59);
	fx_run(&f);

	e = find(&f, "age", SG_EX_STAGE_AGE);
	ck_assert_int_eq(e->age_tenths, 203);
	ck_assert(e->max_age_days == 14.0);
	ck_assert_int_eq(e->is_move, 0);
	ck_assert_uint_eq(e->from_stage, 0);
	ck_assert_uint_eq(e->to_stage, 0);
	ck_assert_str_eq(str(&f, e->stage), "discovery");
	ck_assert_int_eq(e->event_at, D(60) - 20 * DAY - 6 * HOUR);
	ck_assert_int_eq(e->verdict, SG_VERDICT_FLAG);
	j = to_json(&f, e);
	ck_assert_ptr_null(jstr(j, "from_stage"));
	ck_assert_ptr_null(jstr(j, "to_stage"));
	ck_assert_str_eq(jstr(j, "stage"), "discovery");
	ck_assert_str_eq(jstr(j, "event_at"), "2026-11-09T18:00:00Z");
	ck_assert(json_real_value(json_object_get(j, "age_days")) == 20.3);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
				"max_age_days")), 14);
	s = json_dumps(j, SG_EXCEPTION_JSON_FLAGS);
	ck_assert_ptr_nonnull(strstr(s, "\"age_days\":20.3,"));
	free(s);
	json_decref(j);

	ck_assert_uint_eq(count_type(&f, "exact", SG_EX_STAGE_AGE), 0);
	e = find(&f, "over", SG_EX_STAGE_AGE);
	ck_assert_int_eq(e->age_tenths, 140);
	e = find(&f, "same", SG_EX_STAGE_AGE);
	ck_assert_int_eq(e->event_at, D(30));
	ck_assert_int_eq(e->age_tenths, 300);
	ck_assert_uint_eq(count_type(&f, "ent", SG_EX_STAGE_AGE), 0);
	e = find(&f, "ent_over", SG_EX_STAGE_AGE);
	ck_assert(e->max_age_days == 30.0);
	ck_assert_int_eq(e->age_tenths, 400);
	e = find(&f, "ent_neg", SG_EX_STAGE_AGE);
	ck_assert(e->max_age_days == 5.0);
	ck_assert_uint_eq(count_type(&f, "neg", SG_EX_STAGE_AGE), 0);
	ck_assert_uint_eq(count_opp(&f, "won"), 0);
	fx_free(&f);
}
END_TEST

/* --- no_next_step (rule 26). --- */

START_TEST(test_no_next_step)
{
	struct fx f;
	const struct sg_exception *e;
	struct sg_rec_opportunity r;
	json_t *j;

	fx_init(&f);
	f.win.as_of = D(60) + 30 * 60; /* 2026-11-30T00:30:00Z */
	f.win.since = D(59);
	/* Missing wins over overdue. */
	r = rec_opp("miss", "discovery");
	r.next_step = " tbd ";
	r.next_step_date = D(1);
	add_rec(&f, &r);
	add_ev(&f, "miss", "discovery", D(58));
	/* Due the day before as-of, late in the day: overdue. */
	r = rec_opp("late", "discovery");
	r.next_step_date = D(60) - HOUR;
	add_rec(&f, &r);
	add_ev(&f, "late", "discovery", D(58));
	/* Due earlier on the as-of date: not overdue. */
	r = rec_opp("today", "discovery");
	r.next_step_date = D(60);
	add_rec(&f, &r);
	add_ev(&f, "today", "discovery", D(58));
	/* A next step without a date is not flagged. */
	r = rec_opp("nodate", "discovery");
	add_rec(&f, &r);
	add_ev(&f, "nodate", "discovery", D(58));
	/* Punctuation only is missing. */
	r = rec_opp("punct", "discovery");
	r.next_step = "--";
	add_rec(&f, &r);
	add_ev(&f, "punct", "discovery", D(58));
	/* Closed: not judged. */
	r = rec_opp("closed", "closed_won");
	r.next_step = "";
	add_rec(&f, &r);
	add_ev(&f, "closed", "closed_won", D(58));
	fx_run(&f);

	e = find(&f, "miss", SG_EX_NO_NEXT_STEP);
	ck_assert_int_eq(e->next_step_reason, SG_NNS_MISSING);
	ck_assert_int_eq(e->event_at, f.win.as_of);
	ck_assert_str_eq(str(&f, e->stage), "discovery");
	ck_assert_int_eq(e->verdict, SG_VERDICT_FLAG);
	j = to_json(&f, e);
	ck_assert_str_eq(jstr(j, "reason"), "missing");
	ck_assert_str_eq(jstr(j, "event_at"), "2026-11-30T00:30:00Z");
	ck_assert_ptr_null(jstr(j, "from_stage"));
	ck_assert_ptr_null(jstr(j, "to_stage"));
	ck_assert_str_eq(jstr(j, "stage"), "discovery");
	json_decref(j);
	e = find(&f, "late", SG_EX_NO_NEXT_STEP);
	ck_assert_int_eq(e->next_step_reason, SG_NNS_OVERDUE);
	ck_assert_uint_eq(count_opp(&f, "today"), 0);
	ck_assert_uint_eq(count_opp(&f, "nodate"), 0);
	ck_assert_uint_eq(count_type(&f, "punct", SG_EX_NO_NEXT_STEP), 1);
	ck_assert_uint_eq(count_opp(&f, "closed"), 0);
	fx_free(&f);
}
END_TEST

/* --- data_quality (rules 27-29). --- */

static unsigned dq_of(struct fx *f, const char *opp)
{
	const struct sg_exception *e = find(f, opp, SG_EX_DATA_QUALITY);

	return e->dq_reasons;
}

#define BIT(r) (1u << (r))

START_TEST(test_data_quality_reasons)
{
	struct fx f;
	struct sg_rec_opportunity r;
	const struct sg_exception *e;
	json_t *j, *a;

	fx_init(&f);
	f.win.as_of = D(60);
	/* unknown_stage: the current stage. */
	add_opp(&f, "u_cur", "demo");
	add_ev(&f, "u_cur", "discovery", D(1));
	add_ev(&f, "u_cur", "demo", D(2));
	/* unknown_stage: an own from_stage. */
	add_opp(&f, "u_from", "discovery");
	add_ev_by(&f, "u_from", "Prospect", "discovery", D(1), "u1");
	/* no_history (and no stage_mismatch). */
	add_opp(&f, "nohist", "discovery");
	/* stage_mismatch. */
	add_opp(&f, "mism", "proposal");
	add_ev(&f, "mism", "discovery", D(1));
	/* future_event: strictly after as-of. */
	add_opp(&f, "future", "qualification");
	add_ev(&f, "future", "discovery", D(1));
	add_ev(&f, "future", "qualification", D(60) + 1);
	add_opp(&f, "at_asof", "discovery");
	add_ev(&f, "at_asof", "discovery", D(60));
	/* before_created: strictly more than 60 s. */
	r = rec_opp("early", "discovery");
	r.created_at = D(10) + 61;
	add_rec(&f, &r);
	add_ev(&f, "early", "discovery", D(10));
	r = rec_opp("early60", "discovery");
	r.created_at = D(10) + 60;
	add_rec(&f, &r);
	add_ev(&f, "early60", "discovery", D(10));
	/* contradictory_history, in sorted order (rows given reversed). */
	add_opp(&f, "contra", "proposal");
	add_ev_by(&f, "contra", "discovery", "proposal", D(3), "u1");
	add_ev_by(&f, "contra", "closed_won", "qualification", D(2), "u1");
	add_ev(&f, "contra", "discovery", D(1));
	/* An own from on the first event is never contradictory. */
	add_opp(&f, "first_from", "discovery");
	add_ev_by(&f, "first_from", "proposal", "discovery", D(50), "u1");
	/* missing_owner: a placeholder. */
	r = rec_opp("noowner", "discovery");
	r.owner_id = "N/A";
	add_rec(&f, &r);
	add_ev(&f, "noowner", "discovery", D(50));
	/* duplicate_record: different values; identical ones collapse. */
	add_opp(&f, "dup", "discovery");
	r = rec_opp("dup", "discovery");
	r.amount = "1";
	add_rec(&f, &r);
	add_ev(&f, "dup", "discovery", D(50));
	add_opp(&f, "same_dup", "discovery");
	add_opp(&f, "same_dup", "discovery");
	add_ev(&f, "same_dup", "discovery", D(50));
	/* Several reasons, in the order of §5. */
	r = rec_opp("many", "ghost");
	r.owner_id = "";
	add_rec(&f, &r);
	add_opp(&f, "many", "discovery");
	add_ev(&f, "many", "discovery", D(61));
	fx_run(&f);

	ck_assert_uint_eq(dq_of(&f, "u_cur"), BIT(SG_DQ_UNKNOWN_STAGE));
	ck_assert_uint_eq(dq_of(&f, "u_from"), BIT(SG_DQ_UNKNOWN_STAGE));
	ck_assert_uint_eq(dq_of(&f, "nohist"), BIT(SG_DQ_NO_HISTORY));
	ck_assert_uint_eq(dq_of(&f, "mism"), BIT(SG_DQ_STAGE_MISMATCH));
	ck_assert_uint_eq(dq_of(&f, "future"), BIT(SG_DQ_FUTURE_EVENT));
	ck_assert_uint_eq(count_type(&f, "at_asof", SG_EX_DATA_QUALITY), 0);
	ck_assert_uint_eq(dq_of(&f, "early"), BIT(SG_DQ_BEFORE_CREATED));
	ck_assert_uint_eq(count_type(&f, "early60", SG_EX_DATA_QUALITY), 0);
	ck_assert_uint_eq(dq_of(&f, "contra"),
			  BIT(SG_DQ_CONTRADICTORY_HISTORY));
	ck_assert_uint_eq(count_type(&f, "first_from", SG_EX_DATA_QUALITY), 0);
	ck_assert_uint_eq(dq_of(&f, "noowner"), BIT(SG_DQ_MISSING_OWNER));
	ck_assert_uint_eq(dq_of(&f, "dup"), BIT(SG_DQ_DUPLICATE_RECORD));
	ck_assert_uint_eq(count_type(&f, "same_dup", SG_EX_DATA_QUALITY), 0);
	ck_assert_uint_eq(dq_of(&f, "many"),
			  BIT(SG_DQ_UNKNOWN_STAGE) |
			  BIT(SG_DQ_STAGE_MISMATCH) |
			  BIT(SG_DQ_FUTURE_EVENT) | BIT(SG_DQ_MISSING_OWNER) |
			  BIT(SG_DQ_DUPLICATE_RECORD));

	/* A paused opportunity gets this one exception only. */
	ck_assert_uint_eq(count_opp(&f, "contra"), 1);
	ck_assert_uint_eq(count_opp(&f, "future"), 1);
	ck_assert_uint_eq(count_opp(&f, "early"), 1);
	e = find(&f, "many", SG_EX_DATA_QUALITY);
	ck_assert_int_eq(e->verdict, SG_VERDICT_PAUSE);
	ck_assert_int_eq(e->event_at, D(60));
	ck_assert_int_eq(e->is_move, 0);
	j = to_json(&f, e);
	ck_assert_str_eq(jstr(j, "type"), "data_quality");
	ck_assert_str_eq(jstr(j, "verdict"), "pause");
	ck_assert_ptr_null(jstr(j, "from_stage"));
	ck_assert_ptr_null(jstr(j, "to_stage"));
	ck_assert_str_eq(jstr(j, "stage"), "ghost");
	ck_assert_ptr_null(jstr(j, "owner_id"));
	a = json_object_get(j, "reasons");
	ck_assert_int_eq(json_array_size(a), 5);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)),
			 "unknown_stage");
	ck_assert_str_eq(json_string_value(json_array_get(a, 1)),
			 "stage_mismatch");
	ck_assert_str_eq(json_string_value(json_array_get(a, 2)),
			 "future_event");
	ck_assert_str_eq(json_string_value(json_array_get(a, 3)),
			 "missing_owner");
	ck_assert_str_eq(json_string_value(json_array_get(a, 4)),
			 "duplicate_record");
	json_decref(j);
	ck_assert_uint_eq(f.ex.paused, 10);
	ck_assert_uint_eq(f.ex.evaluated, 4);
	fx_free(&f);
}
END_TEST

START_TEST(test_data_quality_scope)
{
	struct fx f;

	/* Rule 27: a deal closed before since is not raised again. */
	fx_init(&f);
	f.win.since = D(30);
	add_opp(&f, "old_closed", "closed_won");
	add_ev(&f, "old_closed", "discovery", D(1));
	add_ev(&f, "old_closed", "mystery", D(2));
	add_ev(&f, "old_closed", "closed_won", D(3));
	/* Closed, with an event after since: judged. */
	add_opp(&f, "new_closed", "closed_won");
	add_ev(&f, "new_closed", "mystery", D(1));
	add_ev(&f, "new_closed", "closed_won", D(31));
	/* Closed, no history: nothing after since. */
	add_opp(&f, "closed_nohist", "closed_lost");
	/* Open, old history only: judged. */
	add_opp(&f, "open_old", "mystery");
	add_ev(&f, "open_old", "mystery", D(1));
	fx_run(&f);
	ck_assert_uint_eq(count_opp(&f, "old_closed"), 0);
	ck_assert_uint_eq(dq_of(&f, "new_closed"), BIT(SG_DQ_UNKNOWN_STAGE));
	ck_assert_uint_eq(count_opp(&f, "closed_nohist"), 0);
	ck_assert_uint_eq(dq_of(&f, "open_old"), BIT(SG_DQ_UNKNOWN_STAGE));
	ck_assert_uint_eq(f.ex.paused, 2);
	ck_assert_uint_eq(f.ex.evaluated, 2);
	fx_free(&f);

	/* From the beginning of history every event is after since. */
	fx_init(&f);
	add_opp(&f, "old_closed", "closed_won");
	add_ev(&f, "old_closed", "mystery", D(2));
	add_ev(&f, "old_closed", "closed_won", D(3));
	add_opp(&f, "closed_nohist", "closed_lost");
	fx_run(&f);
	ck_assert_uint_eq(dq_of(&f, "old_closed"), BIT(SG_DQ_UNKNOWN_STAGE));
	ck_assert_uint_eq(count_opp(&f, "closed_nohist"), 0);
	fx_free(&f);
}
END_TEST

START_TEST(test_out_of_scope)
{
	struct fx f;
	struct sg_rec_opportunity r;

	/* Rule 10: another pipeline is not judged, not counted. */
	fx_init(&f);
	r = rec_opp("other", "mystery");
	r.pipeline = "renewals";
	r.owner_id = "";
	add_rec(&f, &r);
	r = rec_opp("mine", "discovery");
	r.pipeline = "default";
	add_rec(&f, &r);
	add_ev(&f, "mine", "discovery", D(59));
	add_opp(&f, "blank", "discovery");
	add_ev(&f, "blank", "discovery", D(59));
	fx_run(&f);
	ck_assert_uint_eq(count_opp(&f, "other"), 0);
	ck_assert_uint_eq(f.ex.paused, 0);
	ck_assert_uint_eq(f.ex.evaluated, 2);
	fx_free(&f);
}
END_TEST

/* --- Windows, ties, merging, ids, order (rules 13, 30, 44). --- */

START_TEST(test_window_boundaries)
{
	struct fx f;

	fx_init(&f);
	f.win.since = D(10);
	f.win.as_of = D(20);
	/* At since: not judged (since is exclusive). */
	add_opp(&f, "at_since", "proposal");
	add_ev(&f, "at_since", "discovery", D(1));
	add_ev(&f, "at_since", "proposal", D(10));
	/* A second later: judged. */
	add_opp(&f, "after_since", "proposal");
	add_ev(&f, "after_since", "discovery", D(1));
	add_ev(&f, "after_since", "proposal", D(10) + 1);
	/* At as-of: judged (inclusive). */
	add_opp(&f, "at_asof", "proposal");
	add_ev(&f, "at_asof", "discovery", D(1));
	add_ev(&f, "at_asof", "proposal", D(20));
	fx_run(&f);
	ck_assert_uint_eq(count_type(&f, "at_since", SG_EX_SKIPPED_STAGE), 0);
	ck_assert_uint_eq(count_type(&f, "at_since", SG_EX_SELLER_ONLY), 0);
	ck_assert_uint_eq(count_type(&f, "after_since", SG_EX_SKIPPED_STAGE),
			  1);
	ck_assert_uint_eq(count_type(&f, "after_since", SG_EX_SELLER_ONLY),
			  1);
	ck_assert_uint_eq(count_type(&f, "at_asof", SG_EX_SKIPPED_STAGE), 1);
	ck_assert_uint_eq(count_type(&f, "at_asof", SG_EX_DATA_QUALITY), 0);
	/* The creations at D(1) are before since. */
	ck_assert_uint_eq(count_type(&f, "at_asof", SG_EX_REQUIRED_FIELD), 0);
	fx_free(&f);
}
END_TEST

START_TEST(test_ties_keep_input_order)
{
	struct fx f;

	/* Rule 13: same second, file order. */
	fx_init(&f);
	add_opp(&f, "tie", "proposal");
	add_ev(&f, "tie", "discovery", D(1));
	add_ev(&f, "tie", "qualification", D(5));
	add_ev(&f, "tie", "proposal", D(5));
	fx_run(&f);
	ck_assert_uint_eq(count_type(&f, "tie", SG_EX_REGRESSION), 0);
	ck_assert_uint_eq(count_type(&f, "tie", SG_EX_SKIPPED_STAGE), 0);
	ck_assert_uint_eq(count_type(&f, "tie", SG_EX_SELLER_ONLY), 2);
	assert_move(&f, find_nth(&f, "tie", SG_EX_SELLER_ONLY, 0),
		    "discovery", "qualification", D(5));
	assert_move(&f, find_nth(&f, "tie", SG_EX_SELLER_ONLY, 1),
		    "qualification", "proposal", D(5));
	fx_free(&f);
}
END_TEST

START_TEST(test_merge_rule_30_44)
{
	struct fx f;
	const struct sg_exception *e;

	/* discovery -> qualification twice at the same second: the two
	 * seller_only exceptions are one; the first in sorted order (the
	 * first move, whose span started at D(1)) is kept. */
	fx_init(&f);
	add_opp(&f, "m", "qualification");
	add_ev(&f, "m", "discovery", D(1));
	add_ev_by(&f, "m", "", "qualification", D(5), "a");
	add_ev_by(&f, "m", "", "discovery", D(5), "b");
	add_ev_by(&f, "m", "", "qualification", D(5), "c");
	add_act(&f, "m", SG_PARTY_SELLER, D(2));
	add_act(&f, "m", SG_PARTY_SELLER, D(3));
	add_evd(&f, "m", "pain_confirmed", "y", SG_PARTY_SELLER, D(2));
	/* Identical rows (rule 12) count once: no extra move. */
	add_opp(&f, "i", "qualification");
	add_ev(&f, "i", "discovery", D(1));
	add_ev(&f, "i", "qualification", D(5));
	add_ev(&f, "i", "qualification", D(5));
	add_evd(&f, "i", "pain_confirmed", "y", SG_PARTY_SELLER, D(2));
	add_act(&f, "i", SG_PARTY_BUYER, D(2));
	f.win.as_of = D(10);
	fx_run(&f);
	ck_assert_uint_eq(count_type(&f, "m", SG_EX_SELLER_ONLY), 1);
	e = find(&f, "m", SG_EX_SELLER_ONLY);
	ck_assert_uint_eq(e->seller_activities, 2);
	ck_assert_uint_eq(count_type(&f, "m", SG_EX_REGRESSION), 1);
	ck_assert_uint_eq(count_opp(&f, "m"), 2);
	ck_assert_uint_eq(count_opp(&f, "i"), 0);
	fx_free(&f);
}
END_TEST

static void build_sample(struct fx *f)
{
	struct sg_rec_opportunity r;

	add_owner(f, "u1", "mgr1");
	add_owner(f, "u2", "");
	add_opp(f, "o3", "proposal");
	add_ev(f, "o3", "discovery", D(1));
	add_ev(f, "o3", "proposal", D(50));
	r = rec_opp("o1", "discovery");
	r.next_step = "";
	r.owner_id = "u2";
	add_rec(f, &r);
	add_ev(f, "o1", "proposal", D(2));
	add_ev(f, "o1", "discovery", D(3));
	r = rec_opp("o2", "qualification");
	r.owner_id = "u9";
	add_rec(f, &r);
	add_ev(f, "o2", "qualification", D(51));
	add_opp(f, "o10", "ghost");
}

START_TEST(test_ids_stable_and_exact)
{
	struct fx a, b;
	size_t i;
	char id[SG_EXCEPTION_ID_SIZE];
	const char *p[5];
	const struct sg_exception *e;
	char at[32];

	fx_init(&a);
	fx_init(&b);
	build_sample(&a);
	build_sample(&b);
	/* A later as-of judges the same moves: same ids. */
	b.win.as_of = a.win.as_of + 5 * HOUR;
	fx_run(&a);
	fx_run(&b);
	ck_assert_uint_eq(a.ex.count, b.ex.count);
	ck_assert_uint_gt(a.ex.count, 8);
	for (i = 0; i < a.ex.count; i++) {
		ck_assert_str_eq(a.ex.items[i].id, b.ex.items[i].id);
		ck_assert_int_eq((int)strlen(a.ex.items[i].id), 16);
	}
	/* Moves: type, opportunity, from ("" for a creation), to,
	 * changed_at in decimal seconds. */
	e = find(&a, "o3", SG_EX_SKIPPED_STAGE);
	snprintf(at, sizeof(at), "%lld", (long long)D(50));
	p[0] = "skipped_stage";
	p[1] = "o3";
	p[2] = "discovery";
	p[3] = "proposal";
	p[4] = at;
	sg_id_hex16(p, 5, id);
	ck_assert_str_eq(e->id, id);
	e = find(&a, "o2", SG_EX_SKIPPED_STAGE);
	snprintf(at, sizeof(at), "%lld", (long long)D(51));
	p[0] = "skipped_stage";
	p[1] = "o2";
	p[2] = "";
	p[3] = "qualification";
	sg_id_hex16(p, 5, id);
	ck_assert_str_eq(e->id, id);
	/* stage_age: stage and entered time. */
	e = find(&a, "o1", SG_EX_STAGE_AGE);
	snprintf(at, sizeof(at), "%lld", (long long)D(3));
	p[0] = "stage_age";
	p[1] = "o1";
	p[2] = "discovery";
	p[3] = at;
	sg_id_hex16(p, 4, id);
	ck_assert_str_eq(e->id, id);
	/* no_next_step: reason and date ("" when absent). */
	e = find(&a, "o1", SG_EX_NO_NEXT_STEP);
	p[0] = "no_next_step";
	p[2] = "missing";
	p[3] = "";
	sg_id_hex16(p, 4, id);
	ck_assert_str_eq(e->id, id);
	/* data_quality: reasons joined by ",". */
	e = find(&a, "o10", SG_EX_DATA_QUALITY);
	p[0] = "data_quality";
	p[1] = "o10";
	p[2] = "unknown_stage,no_history";
	sg_id_hex16(p, 3, id);
	ck_assert_str_eq(e->id, id);
	fx_free(&a);
	fx_free(&b);
}
END_TEST

static int type_cmp(int a, int b)
{
	return strcmp(sg_exception_type_name(a), sg_exception_type_name(b));
}

START_TEST(test_sorted_output)
{
	struct fx f;
	size_t i;

	fx_init(&f);
	build_sample(&f);
	fx_run(&f);
	for (i = 1; i < f.ex.count; i++) {
		const struct sg_exception *x = &f.ex.items[i - 1];
		const struct sg_exception *y = &f.ex.items[i];
		int c = strcmp(opp_id_of(&f, x), opp_id_of(&f, y));

		ck_assert_int_le(c, 0);
		if (c < 0)
			continue;
		ck_assert_int_le(x->event_at, y->event_at);
		if (x->event_at < y->event_at)
			continue;
		ck_assert_int_lt(type_cmp(x->type, y->type), 0);
	}
	/* "o1" < "o10" < "o2" < "o3" by text. */
	ck_assert_str_eq(opp_id_of(&f, &f.ex.items[0]), "o1");
	ck_assert_str_eq(opp_id_of(&f, &f.ex.items[f.ex.count - 1]), "o3");
	/* o3's move at D(50): forecast_impact, missing_evidence,
	 * seller_only, skipped_stage by type name. */
	ck_assert_uint_eq(count_opp(&f, "o3"), 4);
	i = f.ex.count - 1;
	ck_assert_int_eq(f.ex.items[i].type, SG_EX_SKIPPED_STAGE);
	ck_assert_int_eq(f.ex.items[i - 1].type, SG_EX_SELLER_ONLY);
	ck_assert_int_eq(f.ex.items[i - 2].type, SG_EX_MISSING_EVIDENCE);
	ck_assert_int_eq(f.ex.items[i - 3].type, SG_EX_FORECAST_IMPACT);
	/* o1: the creation at D(2) (three types), the regression at D(3)
	 * (two), then stage_age at D(3) after them by event_at, then
	 * no_next_step at as-of. */
	ck_assert_uint_eq(count_opp(&f, "o1"), 7);
	ck_assert_int_eq(f.ex.items[0].type, SG_EX_MISSING_EVIDENCE);
	ck_assert_int_eq(f.ex.items[1].type, SG_EX_REQUIRED_FIELD);
	ck_assert_int_eq(f.ex.items[2].type, SG_EX_SKIPPED_STAGE);
	ck_assert_int_eq(f.ex.items[3].type, SG_EX_FORECAST_IMPACT);
	ck_assert_int_eq(f.ex.items[4].type, SG_EX_REGRESSION);
	ck_assert_int_eq(f.ex.items[5].type, SG_EX_STAGE_AGE);
	ck_assert_int_eq(f.ex.items[6].type, SG_EX_NO_NEXT_STEP);
	fx_free(&f);
}
END_TEST

START_TEST(test_routing)
{
	struct fx f;
	struct sg_routing r;

	fx_init(&f);
	build_sample(&f);
	fx_run(&f);
	sg_exception_route(find(&f, "o3", SG_EX_SKIPPED_STAGE), f.m, D(61),
			   &r);
	ck_assert_str_eq(r.assignee, "mgr1");
	ck_assert_int_eq(r.detected_at, D(61));
	ck_assert_int_eq(r.due_at, D(63));
	/* Owner without a manager; owner not in owners.csv. */
	sg_exception_route(find(&f, "o1", SG_EX_STAGE_AGE), f.m, D(61), &r);
	ck_assert_str_eq(r.assignee, "revops");
	sg_exception_route(find(&f, "o2", SG_EX_SKIPPED_STAGE), f.m, D(61),
			   &r);
	ck_assert_str_eq(r.assignee, "revops");
	fx_free(&f);
}
END_TEST

START_TEST(test_json_and_note)
{
	struct fx f;
	const struct sg_exception *e;
	struct sg_routing r;
	json_t *j;
	const char *note;
	static const char *const keys[] = {
		"id", "type", "verdict", "opportunity_id", "opportunity_name",
		"owner_id", "assignee", "from_stage", "to_stage", "stage",
		"event_at", "detected_at", "due_at", "missing", "present",
		"note"
	};
	size_t i;

	fx_init(&f);
	build_sample(&f);
	add_evd(&f, "o3", "pain_confirmed", "yes", SG_PARTY_BUYER, D(2));
	fx_run(&f);
	e = find(&f, "o3", SG_EX_MISSING_EVIDENCE);
	sg_exception_route(e, f.m, D(61), &r);
	j = sg_exception_to_json(e, f.m, &r, f.win.as_of);
	ck_assert_ptr_nonnull(j);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(json_object_get(j, keys[i]) != NULL,
			      "no key %s", keys[i]);
	ck_assert_str_eq(jstr(j, "id"), e->id);
	ck_assert_str_eq(jstr(j, "type"), "missing_evidence");
	ck_assert_str_eq(jstr(j, "verdict"), "block");
	ck_assert_str_eq(jstr(j, "opportunity_id"), "o3");
	ck_assert_str_eq(jstr(j, "opportunity_name"), "Acme expansion");
	ck_assert_str_eq(jstr(j, "owner_id"), "u1");
	ck_assert_str_eq(jstr(j, "assignee"), "mgr1");
	ck_assert_str_eq(jstr(j, "from_stage"), "discovery");
	ck_assert_str_eq(jstr(j, "to_stage"), "proposal");
	ck_assert_str_eq(jstr(j, "stage"), "proposal");
	ck_assert_str_eq(jstr(j, "event_at"), "2026-11-20T00:00:00Z");
	ck_assert_str_eq(jstr(j, "detected_at"), "2026-12-01T00:00:00Z");
	ck_assert_str_eq(jstr(j, "due_at"), "2026-12-03T00:00:00Z");
	ck_assert_str_eq(json_string_value(json_array_get(
		json_object_get(j, "missing"), 0)), "budget_confirmed");
	ck_assert_str_eq(json_string_value(json_array_get(
		json_object_get(j, "present"), 0)), "pain_confirmed");
	note = jstr(j, "note");
	ck_assert_ptr_nonnull(strstr(note, "Acme expansion"));
	ck_assert_ptr_nonnull(strstr(note, "(o3)"));
	ck_assert_ptr_nonnull(strstr(note, "from Discovery to Proposal"));
	ck_assert_ptr_nonnull(strstr(note,
		"Evidence missing: Budget confirmed by the buyer."));
	ck_assert_ptr_nonnull(strstr(note,
		"Evidence present: Pain confirmed."));
	ck_assert_ptr_nonnull(strstr(note, "It has been in Proposal for"));
	ck_assert_ptr_nonnull(strstr(note, "Decision needed: approve the "
		"move if the buyer has confirmed Budget confirmed by the "
		"buyer outside the CRM, or correct the stage back to "
		"Discovery."));
	json_decref(j);

	/* Every exception renders, with a note naming the deal. */
	for (i = 0; i < f.ex.count; i++) {
		char *n = sg_exception_note(&f.ex.items[i], f.m, f.win.as_of);

		ck_assert_ptr_nonnull(n);
		ck_assert_ptr_nonnull(strstr(n, "Deal \"Acme expansion\""));
		ck_assert_ptr_nonnull(strstr(n, "Decision needed:"));
		free(n);
		j = to_json(&f, &f.ex.items[i]);
		json_decref(j);
	}
	e = find(&f, "o3", SG_EX_FORECAST_IMPACT);
	note = sg_exception_note(e, f.m, f.win.as_of);
	ck_assert_ptr_nonnull(strstr(note, "from pipeline to best_case, for "
				     "an amount of 12000.50 USD"));
	free((void *)note);
	e = find(&f, "o10", SG_EX_DATA_QUALITY);
	note = sg_exception_note(e, f.m, f.win.as_of);
	ck_assert_ptr_nonnull(strstr(note, "no stage history"));
	free((void *)note);
	fx_free(&f);
}
END_TEST

/* The direct writer gives json_dumps()'s bytes for every exception, text
 * that needs escaping included, and fails where jansson refuses. */
START_TEST(test_jsonl_writer_matches_jansson)
{
	struct fx f;
	struct sg_rec_opportunity r;
	char *text = NULL;
	size_t len = 0, cap = 0, i, checked = 0, refused = 0;

	fx_init(&f);
	build_sample(&f);
	r = rec_opp("o20", "proposal");
	r.name = "Q\"uote\\ back\ttab\nnl\r\x01\x1f\b\f caf\xc3\xa9 "
		 "\xe2\x82\xac \xf0\x9f\x98\x80 /slash \x7f end";
	r.next_step = "Say \"hi\"\n";
	r.next_step_date = D(10);
	r.amount = "";
	add_rec(&f, &r);
	add_ev(&f, "o20", "discovery", D(5));
	add_ev(&f, "o20", "proposal", D(6));
	r = rec_opp("o21", "proposal");
	r.name = "bad \xff byte";
	add_rec(&f, &r);
	add_ev(&f, "o21", "proposal", D(7));
	r = rec_opp("o22", "proposal");
	r.name = "overlong \xc0\xaf and surrogate \xed\xa0\x80";
	add_rec(&f, &r);
	add_ev(&f, "o22", "proposal", D(8));
	fx_run(&f);
	for (i = 0; i < f.ex.count; i++) {
		const struct sg_exception *e = &f.ex.items[i];
		struct sg_routing rt;
		json_t *j;
		char *want;
		size_t before = len;
		int rc;

		sg_exception_route(e, f.m, f.win.as_of, &rt);
		j = sg_exception_to_json(e, f.m, &rt, f.win.as_of);
		want = j != NULL ? json_dumps(j, SG_EXCEPTION_JSON_FLAGS) :
			NULL;
		json_decref(j);
		rc = sg_exception_append_jsonl(&text, &len, &cap, e, f.m, &rt,
					       f.win.as_of);
		if (want == NULL) {
			ck_assert_int_eq(rc, SG_ERR_NOMEM);
			ck_assert_uint_eq(len, before);
			refused++;
			continue;
		}
		ck_assert_int_eq(rc, SG_OK);
		ck_assert_uint_eq(len - before, strlen(want) + 1);
		ck_assert_msg(memcmp(text + before, want, strlen(want)) == 0,
			      "want %s\ngot  %.*s", want,
			      (int)(len - before), text + before);
		ck_assert_int_eq(text[len - 1], '\n');
		free(want);
		checked++;
	}
	/* o21 and o22 cannot be written (their names are not UTF-8). */
	ck_assert_uint_eq(refused, count_opp(&f, "o21") +
			  count_opp(&f, "o22"));
	ck_assert_uint_gt(refused, 1);
	ck_assert_uint_gt(count_opp(&f, "o20"), 1);
	ck_assert_uint_gt(checked, 10);
	ck_assert_ptr_nonnull(strstr(text, "\\\"uote\\\\ back\\ttab\\nnl\\r"
				     "\\u0001\\u001F\\b\\f caf\xc3\xa9"));
	free(text);
	fx_free(&f);
}
END_TEST

START_TEST(test_release_and_append)
{
	struct fx f;
	size_t first;

	fx_init(&f);
	build_sample(&f);
	fx_run(&f);
	first = f.ex.count;
	/* Running again appends, merges the repeats, and keeps order. */
	fx_run(&f);
	ck_assert_uint_eq(f.ex.count, first);
	sg_exceptions_release(&f.ex);
	ck_assert_uint_eq(f.ex.count, 0);
	ck_assert_ptr_null(f.ex.items);
	sg_exceptions_release(&f.ex);
	sg_exceptions_release(NULL);
	fx_free(&f);
}
END_TEST

/* Two threads: enough opportunities, added in reverse id order. */
START_TEST(test_large_two_threads)
{
	struct fx f;
	size_t i, n = 12000;
	char id[32], prev[32] = "";

	fx_init(&f);
	for (i = n; i-- > 0;) {
		snprintf(id, sizeof(id), "opp%06zu", i);
		add_opp(&f, id, "proposal");
		add_ev(&f, id, "discovery", D(1));
		add_ev(&f, id, "proposal", D(2));
		if (i % 2)
			add_act(&f, id, SG_PARTY_BUYER, D(1));
	}
	fx_run(&f);
	ck_assert_uint_eq(f.ex.evaluated, n);
	ck_assert_uint_eq(count_type(&f, NULL, SG_EX_SELLER_ONLY), n / 2);
	ck_assert_uint_eq(count_type(&f, NULL, SG_EX_SKIPPED_STAGE), n);
	ck_assert_uint_eq(count_type(&f, NULL, SG_EX_STAGE_AGE), n);
	/* Both halves arrive whole and in order (the second half's items
	 * are moved after the first's). */
	for (i = 0; i < f.ex.count; i++) {
		const struct sg_exception *e = &f.ex.items[i];
		const char *o = opp_id_of(&f, e);

		ck_assert_int_le(strcmp(prev, o), 0);
		snprintf(prev, sizeof(prev), "%s", o);
		ck_assert_int_eq((int)strlen(e->id), 16);
		if (e->type == SG_EX_STAGE_AGE)
			ck_assert_int_eq(e->event_at, D(2));
		else
			assert_move(&f, e, "discovery", "proposal", D(2));
	}
	ck_assert_str_eq(opp_id_of(&f, &f.ex.items[0]), "opp000000");
	ck_assert_str_eq(prev, "opp011999");
	fx_free(&f);
}
END_TEST

static Suite *checks_suite(void)
{
	Suite *s = suite_create("checks");
	TCase *tc;

	tc = tcase_create("names");
	tcase_add_test(tc, test_names_and_verdicts);
	suite_add_tcase(s, tc);

	tc = tcase_create("moves");
	tcase_add_test(tc, test_missing_evidence_lists);
	tcase_add_test(tc, test_missing_evidence_window);
	tcase_add_test(tc, test_creation_past_first_stage);
	tcase_add_test(tc, test_creation_first_stage_and_exit);
	tcase_add_test(tc, test_required_field_history);
	tcase_add_test(tc, test_required_field_no_column);
	tcase_add_test(tc, test_skipped_stage);
	tcase_add_test(tc, test_enter_from_any_between);
	tcase_add_test(tc, test_regressions_exits_reopens);
	tcase_add_test(tc, test_seller_only);
	tcase_add_test(tc, test_forecast_impact);
	suite_add_tcase(s, tc);

	tc = tcase_create("as_of");
	tcase_add_test(tc, test_stage_age);
	tcase_add_test(tc, test_no_next_step);
	suite_add_tcase(s, tc);

	tc = tcase_create("data_quality");
	tcase_add_test(tc, test_data_quality_reasons);
	tcase_add_test(tc, test_data_quality_scope);
	tcase_add_test(tc, test_out_of_scope);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_add_test(tc, test_window_boundaries);
	tcase_add_test(tc, test_ties_keep_input_order);
	tcase_add_test(tc, test_merge_rule_30_44);
	tcase_add_test(tc, test_ids_stable_and_exact);
	tcase_add_test(tc, test_sorted_output);
	tcase_add_test(tc, test_release_and_append);
	suite_add_tcase(s, tc);

	/* More opportunities than one thread takes: slow under sanitizers. */
	tc = tcase_create("threads");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_large_two_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_test(tc, test_routing);
	tcase_add_test(tc, test_json_and_note);
	tcase_add_test(tc, test_jsonl_writer_matches_jansson);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(checks_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
