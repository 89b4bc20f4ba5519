/*
 * check_model.c - the common model: records grouped by opportunity and
 * sorted by time (ties in input order), identical history rows collapsed,
 * differing duplicate opportunities marked, records of unknown ids
 * dropped and counted, stages resolved, scope, and field values at an
 * instant (DESIGN §10 rules 11, 12, 21, 29); records added in parts
 * (several threads) merged in part order.
 */
#include "sg_model.h"
#include "sg_strtab.h"
#include "sg_test.h"
#include "sg_test_model.h"

static const char rules[] =
	"{\"pipeline\": {\"id\": \"default\"},"
	" \"stages\": [{\"id\": \"discovery\"}, {\"id\": \"proposal\"},"
	"  {\"id\": \"won\", \"closed\": true, \"won\": true}],"
	" \"placeholders\": [\"tbd\"]}";

static struct sg_config *config;
static struct sg_model *model;
static struct sg_error err;

static void setup(void)
{
	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load_text(&config, "rules.json", ".",
					     rules, strlen(rules), &err),
			 SG_OK);
	ck_assert_int_eq(sg_model_new(&model, config, &err), SG_OK);
}

static void teardown(void)
{
	sg_model_free(model);
	sg_config_free(config);
}

static void add_opp(const char *id, const char *stage, const char *amount)
{
	struct sg_rec_opportunity o = { 0 };

	o.id = id;
	o.name = "Deal";
	o.pipeline = "";
	o.stage = stage;
	o.owner_id = "u1";
	o.amount = amount;
	o.currency = "USD";
	o.forecast_category = "";
	o.next_step = "";
	o.close_date = o.created_at = o.next_step_date = SG_TIME_NONE;
	ck_assert_int_eq(sg_model_add_opportunity(model, &o, NULL, &err),
			 SG_OK);
}

static void add_event(const char *opp, const char *to, sg_time at,
		      const char *by)
{
	sg_test_add_event(model, opp, "", to, at, by);
}

static void add_change(const char *opp, const char *field, const char *old,
		       const char *new_value, sg_time at)
{
	sg_test_add_change(model, opp, field, old, new_value, at);
}

static const struct sg_opportunity *opp_named(const struct sg_model_view *v,
					      const char *id)
{
	size_t i;

	for (i = 0; i < v->opp_count; i++)
		if (strcmp(sg_model_str(model, v->opps[i].id), id) == 0)
			return &v->opps[i];
	ck_abort_msg("no opportunity %s", id);
	return NULL;
}

START_TEST(test_events_grouped_and_sorted)
{
	struct sg_model_view v;
	const struct sg_opportunity *a, *b;
	const struct sg_stage_event *e;

	add_opp("A", "proposal", "10");
	add_opp("B", "discovery", "20");
	/* Out of order, interleaved, with a tie at 200 kept in file order. */
	add_event("A", "proposal", 300, "x");
	add_event("B", "discovery", 100, "x");
	add_event("A", "discovery", 100, "x");
	add_event("A", "won", 200, "first");
	add_event("A", "proposal", 200, "second");
	ck_assert_int_eq(sg_model_finish(model, &err), SG_OK);
	sg_model_view(model, &v);
	a = opp_named(&v, "A");
	b = opp_named(&v, "B");
	ck_assert_uint_eq(a->event_count, 4);
	ck_assert_uint_eq(b->event_count, 1);
	e = &v.events[a->event_first];
	ck_assert_int_eq(e[0].changed_at, 100);
	ck_assert_str_eq(sg_model_str(model, e[1].changed_by), "first");
	ck_assert_str_eq(sg_model_str(model, e[2].changed_by), "second");
	ck_assert_int_eq(e[3].changed_at, 300);
	ck_assert_int_eq(e[0].to_index, 0);
	ck_assert_int_eq(e[1].to_index, 2);
	ck_assert_int_eq(e[0].from_index, SG_NO_STAGE);
	ck_assert_int_eq(a->stage_index, 1);
}
END_TEST

START_TEST(test_identical_history_rows_count_once)
{
	struct sg_model_view v;

	add_opp("A", "proposal", "10");
	add_event("A", "discovery", 100, "x");
	add_event("A", "proposal", 200, "x");
	add_event("A", "discovery", 100, "x");
	add_event("A", "proposal", 200, "y");   /* differs: kept */
	ck_assert_int_eq(sg_model_finish(model, &err), SG_OK);
	sg_model_view(model, &v);
	ck_assert_uint_eq(v.event_count, 3);
	ck_assert_uint_eq(v.duplicate_events, 1);
}
END_TEST

START_TEST(test_long_histories_sort_stably)
{
	struct sg_model_view v;
	const struct sg_opportunity *a;
	char by[16];
	int i;

	add_opp("A", "proposal", "10");
	/* More than the insertion-sort threshold, descending times, and
	 * pairs of ties that must keep their input order. */
	for (i = 0; i < 100; i++) {
		snprintf(by, sizeof(by), "%d", i);
		add_event("A", "discovery", 1000 - i / 2, by);
	}
	ck_assert_int_eq(sg_model_finish(model, &err), SG_OK);
	sg_model_view(model, &v);
	a = opp_named(&v, "A");
	ck_assert_uint_eq(a->event_count, 100);
	for (i = 1; i < 100; i++) {
		const struct sg_stage_event *p = &v.events[i - 1];
		const struct sg_stage_event *q = &v.events[i];

		ck_assert_int_le(p->changed_at, q->changed_at);
		if (p->changed_at == q->changed_at)
			ck_assert_int_lt(
				atoi(sg_model_str(model, p->changed_by)),
				atoi(sg_model_str(model, q->changed_by)));
	}
}
END_TEST

START_TEST(test_duplicate_opportunities)
{
	struct sg_model_view v;

	add_opp("A", "proposal", "10");
	add_opp(" A ", "proposal", " 10");  /* identical after trimming */
	add_opp("B", "proposal", "10");
	add_opp("B", "proposal", "11");     /* differs: first kept, marked */
	ck_assert_int_eq(sg_model_finish(model, &err), SG_OK);
	sg_model_view(model, &v);
	ck_assert_uint_eq(v.opp_count, 2);
	ck_assert_uint_eq(opp_named(&v, "A")->duplicate, 0);
	ck_assert_uint_eq(opp_named(&v, "B")->duplicate, 1);
	ck_assert_str_eq(opp_named(&v, "B")->amount, "10");
}
END_TEST

/* An opportunity found by its id as the model holds it (trimmed); an
 * id it does not hold, or a name that is not an opportunity's id,
 * finds none. */
START_TEST(test_opportunity_by_id)
{
	const struct sg_opportunity *a, *b;
	struct sg_model_view v;

	add_opp(" A ", "proposal", "10");
	add_opp("B", "qualification", "20");
	ck_assert_int_eq(sg_model_finish(model, &err), SG_OK);
	sg_model_view(model, &v);
	a = sg_model_opportunity(model, "A");
	b = sg_model_opportunity(model, "B");
	ck_assert_ptr_eq(a, opp_named(&v, "A"));
	ck_assert_ptr_eq(b, opp_named(&v, "B"));
	ck_assert_str_eq(b->amount, "20");
	ck_assert_ptr_null(sg_model_opportunity(model, "C"));
	ck_assert_ptr_null(sg_model_opportunity(model, "proposal"));
	ck_assert_ptr_null(sg_model_opportunity(model, ""));
	ck_assert_ptr_null(sg_model_opportunity(model, NULL));
	ck_assert_ptr_null(sg_model_opportunity(NULL, "A"));
}
END_TEST

START_TEST(test_orphans_dropped_and_counted)
{
	struct sg_model_view v;
	struct sg_rec_activity a = { 0 };

	add_event("GHOST", "discovery", 100, "x");
	add_opp("A", "discovery", "10");
	add_event("A", "discovery", 100, "x");
	a.id = "act1";
	a.opportunity_id = "GHOST";
	a.occurred_at = 5;
	a.actor = a.subject = "";
	ck_assert_int_eq(sg_model_add_activity(model, &a, NULL, &err), SG_OK);
	ck_assert_int_eq(sg_model_finish(model, &err), SG_OK);
	sg_model_view(model, &v);
	ck_assert_uint_eq(v.event_count, 1);
	ck_assert_uint_eq(v.activity_count, 0);
	ck_assert_uint_eq(v.orphan_records, 2);
}
END_TEST

START_TEST(test_scope_and_unknown_stage)
{
	struct sg_model_view v;
	struct sg_rec_opportunity o = { 0 };

	add_opp("A", "Discovery", "10");    /* ids are case-sensitive */
	o.id = "B";
	o.name = o.stage = o.owner_id = o.amount = o.currency = "";
	o.forecast_category = o.next_step = "";
	o.pipeline = "renewals";
	o.close_date = o.created_at = o.next_step_date = SG_TIME_NONE;
	ck_assert_int_eq(sg_model_add_opportunity(model, &o, NULL, &err),
			 SG_OK);
	ck_assert_int_eq(sg_model_finish(model, &err), SG_OK);
	sg_model_view(model, &v);
	ck_assert_int_eq(opp_named(&v, "A")->stage_index, SG_NO_STAGE);
	ck_assert_uint_eq(opp_named(&v, "A")->in_scope, 1);
	ck_assert_uint_eq(opp_named(&v, "B")->in_scope, 0);
}
END_TEST

START_TEST(test_field_value_at_rule_21)
{
	struct sg_model_view v;
	const struct sg_opportunity *a;
	char scratch[SG_TIME_ISO_SIZE];

	add_opp("A", "proposal", "500");
	add_change("A", "amount", "100", "200", 1000);
	add_change("A", "amount", "200", "500", 2000);
	ck_assert_int_eq(sg_model_finish(model, &err), SG_OK);
	sg_model_view(model, &v);
	a = opp_named(&v, "A");
	/* Before any change: the old value of the first change after. */
	ck_assert_str_eq(sg_model_field_value_at(model, a, "amount", 999,
						 scratch), "100");
	/* A change at the move second counts as before. */
	ck_assert_str_eq(sg_model_field_value_at(model, a, "amount", 1000,
						 scratch), "200");
	ck_assert_str_eq(sg_model_field_value_at(model, a, "amount", 1500,
						 scratch), "200");
	ck_assert_str_eq(sg_model_field_value_at(model, a, "amount", 5000,
						 scratch), "500");
	/* No history of that field: the current value. */
	ck_assert_str_eq(sg_model_field_value_at(model, a, "currency", 5,
						 scratch), "USD");
	/* A field no file has. */
	ck_assert_ptr_null(sg_model_field_value_at(model, a, "segment", 5,
						   scratch));
	ck_assert_int_eq(sg_model_has_field(model, "next_step"), 1);
	ck_assert_int_eq(sg_model_has_field(model, "segment"), 0);
}
END_TEST

START_TEST(test_extra_fields_and_owners)
{
	struct sg_model_view v;
	struct sg_rec_opportunity o = { 0 };
	struct sg_rec_owner w = { 0 };
	struct sg_field extra[] = { { "segment", " enterprise " },
				    { "region", "EMEA" } };
	const struct sg_owner *owner;
	char scratch[SG_TIME_ISO_SIZE];

	o.id = "A";
	o.name = o.pipeline = o.amount = o.currency = "";
	o.forecast_category = o.next_step = "";
	o.stage = "discovery";
	o.owner_id = "u1";
	o.extra = extra;
	o.extra_count = 2;
	o.close_date = o.next_step_date = SG_TIME_NONE;
	o.created_at = 86400;
	ck_assert_int_eq(sg_model_add_opportunity(model, &o, NULL, &err),
			 SG_OK);
	w.id = "u1";
	w.name = "Ann";
	w.email = "";
	w.manager_id = "m9";
	w.team = "East";
	ck_assert_int_eq(sg_model_add_owner(model, &w, NULL, &err), SG_OK);
	ck_assert_int_eq(sg_model_finish(model, &err), SG_OK);
	sg_model_view(model, &v);
	ck_assert_str_eq(sg_model_field_value(model, &v.opps[0], "segment",
					      scratch), "enterprise");
	ck_assert_str_eq(sg_model_field_value(model, &v.opps[0], "created_at",
					      scratch), "1970-01-02T00:00:00Z");
	ck_assert_int_eq(sg_model_has_field(model, "region"), 1);
	owner = sg_model_owner(model, sg_model_lookup(model, "u1"));
	ck_assert_ptr_nonnull(owner);
	ck_assert_str_eq(sg_model_str(model, owner->manager_id), "m9");
	ck_assert_ptr_null(sg_model_owner(model, sg_model_lookup(model,
								 "nobody")));
}
END_TEST

START_TEST(test_refuses_records_without_id_or_time)
{
	struct sg_rec_opportunity o = { 0 };
	struct sg_rec_stage_event e = { 0 };
	struct sg_where where = { "opportunities.csv", 7 };

	o.id = "  ";
	ck_assert_int_eq(sg_model_add_opportunity(model, &o, &where, &err),
			 SG_ERR_PARSE);
	ck_assert_str_eq(err.path, "opportunities.csv");
	ck_assert_int_eq(err.line, 7);
	e.opportunity_id = "A";
	e.to_stage = "discovery";
	e.changed_at = SG_TIME_NONE;
	ck_assert_int_eq(sg_model_add_stage_event(model, &e, NULL, &err),
			 SG_ERR_PARSE);
}
END_TEST

START_TEST(test_strtab_interns)
{
	struct sg_strtab *tab;
	sg_sym a, b, c;
	char key[32];
	int i;

	ck_assert_int_eq(sg_strtab_new(&tab, &err), SG_OK);
	ck_assert_int_eq(sg_strtab_intern(tab, "alpha", 5, &a), SG_OK);
	ck_assert_int_eq(sg_strtab_intern(tab, "alphabet", 5, &b), SG_OK);
	ck_assert_int_eq(sg_strtab_intern(tab, "", 0, &c), SG_OK);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_eq(c, 0);
	/* Growth keeps every symbol findable. */
	for (i = 0; i < 50000; i++) {
		snprintf(key, sizeof(key), "id-%d", i);
		ck_assert_int_eq(sg_strtab_intern(tab, key, strlen(key), &a),
				 SG_OK);
	}
	ck_assert_uint_eq(sg_strtab_count(tab), 50002);
	b = sg_strtab_lookup(tab, "id-31337", 8);
	ck_assert_str_eq(sg_strtab_text(tab, b), "id-31337");
	ck_assert_uint_eq(sg_strtab_lookup(tab, "absent", 6), 0);
	sg_strtab_free(tab);
}
END_TEST

/* The records of test_parts_merge_in_part_order: opportunity, kind
 * (e event, c change, a activity, v evidence), time.  Several records of
 * one opportunity share a time, so their order shows. */
struct part_rec {
	const char *opp;
	char kind;
	sg_time at;
	const char *text;
};

static const struct part_rec part_recs[] = {
	{ "A", 'e', 100, "discovery" }, { "A", 'a', 50, "x" },
	{ "B", 'e', 300, "discovery" }, { "A", 'e', 100, "proposal" },
	{ "A", 'c', 10, "one" }, { "A", 'v', 20, "c1" },
	{ "Z", 'a', 5, "orphan" }, { "B", 'a', 50, "y" },
	{ "A", 'c', 10, "two" }, { "B", 'e', 200, "proposal" },
	{ "A", 'a', 50, "z" }, { "A", 'v', 20, "c2" },
	{ "B", 'v', 1, "c3" }, { "A", 'e', 100, "won" },
	{ "B", 'c', 10, "three" }, { "Z", 'e', 5, "won" },
};

static void add_part_rec(struct sg_model *m, unsigned part,
			 const struct part_rec *x)
{
	struct sg_error e;
	int rc = SG_OK;

	switch (x->kind) {
	case 'e': {
		struct sg_rec_stage_event r = { 0 };

		r.opportunity_id = x->opp;
		r.from_stage = "";
		r.to_stage = x->text;
		r.changed_at = x->at;
		r.changed_by = x->text;
		r.source = "test";
		rc = sg_model_add_stage_event_to(m, part, &r, NULL, &e);
		break;
	}
	case 'c': {
		struct sg_rec_field_change r = { 0 };

		r.opportunity_id = x->opp;
		r.field = "amount";
		r.old_value = x->text;
		r.new_value = x->text;
		r.changed_at = x->at;
		rc = sg_model_add_field_change_to(m, part, &r, NULL, &e);
		break;
	}
	case 'a': {
		struct sg_rec_activity r = { 0 };

		r.id = x->text;
		r.opportunity_id = x->opp;
		r.type = x->text[0] == 'y' ? SG_ACT_CALL : SG_ACT_EMAIL;
		r.party = x->text[0] == 'z' ? SG_PARTY_SELLER : SG_PARTY_BUYER;
		r.occurred_at = x->at;
		rc = sg_model_add_activity_to(m, part, &r, NULL, &e);
		break;
	}
	default: {
		struct sg_rec_evidence r = { 0 };

		r.opportunity_id = x->opp;
		r.criterion = x->text;
		r.value = "yes";
		r.party = SG_PARTY_BUYER;
		r.observed_at = x->at;
		r.ref = "";
		rc = sg_model_add_evidence_to(m, part, &r, NULL, &e);
		break;
	}
	}
	ck_assert_int_eq(rc, SG_OK);
}

/* A model with opportunities A and B and the records split at cut: the
 * first cut into part first, the rest into part first + 1, the later
 * part added before the earlier one (as two threads may). */
static struct sg_model *parts_model(size_t cut, unsigned first)
{
	static const char *const ids[] = { "A", "B" };
	struct sg_model *m;
	size_t i, n = sizeof(part_recs) / sizeof(part_recs[0]);

	ck_assert_int_eq(sg_model_new(&m, config, &err), SG_OK);
	for (i = 0; i < 2; i++) {
		struct sg_rec_opportunity o = { 0 };

		o.id = ids[i];
		o.name = o.pipeline = o.owner_id = o.amount = "";
		o.currency = o.forecast_category = o.next_step = "";
		o.stage = "discovery";
		o.close_date = o.created_at = o.next_step_date = SG_TIME_NONE;
		ck_assert_int_eq(sg_model_add_opportunity(m, &o, NULL, &err),
				 SG_OK);
	}
	ck_assert_int_eq(sg_model_set_parts(m, first + 2, &err), SG_OK);
	for (i = cut; i < n; i++)
		add_part_rec(m, first + 1, &part_recs[i]);
	for (i = 0; i < cut; i++)
		add_part_rec(m, first, &part_recs[i]);
	ck_assert_int_eq(sg_model_finish(m, &err), SG_OK);
	return m;
}

START_TEST(test_parts_merge_in_part_order)
{
	size_t n = sizeof(part_recs) / sizeof(part_recs[0]), cut, i;
	struct sg_model *one = parts_model(n, 0), *m;
	struct sg_model_view a, b;
	struct sg_rec_activity r = { 0 };

	sg_model_view(one, &a);
	ck_assert_uint_eq(a.event_count, 5);
	ck_assert_uint_eq(a.orphan_records, 2);
	/* Same-time records of A keep their order of adding. */
	ck_assert_str_eq(sg_model_str(one, a.events[0].to_stage),
			 "discovery");
	ck_assert_str_eq(sg_model_str(one, a.events[2].to_stage), "won");
	for (cut = 0; cut <= n; cut++) {
		m = parts_model(cut, 1 + (unsigned)(cut % 3));
		sg_model_view(m, &b);
		ck_assert_uint_eq(b.event_count, a.event_count);
		ck_assert_uint_eq(b.change_count, a.change_count);
		ck_assert_uint_eq(b.activity_count, a.activity_count);
		ck_assert_uint_eq(b.evidence_count, a.evidence_count);
		ck_assert_uint_eq(b.orphan_records, a.orphan_records);
		for (i = 0; i < a.event_count; i++) {
			ck_assert_uint_eq(b.events[i].opp, a.events[i].opp);
			ck_assert_int_eq(b.events[i].changed_at,
					 a.events[i].changed_at);
			ck_assert_str_eq(sg_model_str(m, b.events[i].to_stage),
					 sg_model_str(one,
						      a.events[i].to_stage));
		}
		for (i = 0; i < a.change_count; i++)
			ck_assert_str_eq(b.changes[i].old_value,
					 a.changes[i].old_value);
		ck_assert_mem_eq(b.activities, a.activities,
				 a.activity_count * sizeof(*a.activities));
		for (i = 0; i < a.evidence_count; i++)
			ck_assert_str_eq(
				sg_model_str(m, b.evidence[i].criterion),
				sg_model_str(one, a.evidence[i].criterion));
		for (i = 0; i < a.opp_count; i++) {
			ck_assert_uint_eq(b.opps[i].event_first,
					  a.opps[i].event_first);
			ck_assert_uint_eq(b.opps[i].activity_count,
					  a.opps[i].activity_count);
		}
		sg_model_free(m);
	}
	sg_model_free(one);
	/* A part never made available is refused. */
	r.opportunity_id = "A";
	r.occurred_at = 1;
	ck_assert_int_eq(sg_model_add_activity_to(model, 1, &r, NULL, &err),
			 SG_ERR_INTERNAL);
	ck_assert_int_eq(sg_model_add_activity_to(model, 0, &r, NULL, &err),
			 SG_OK);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("build");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_events_grouped_and_sorted);
	tcase_add_test(tc, test_identical_history_rows_count_once);
	tcase_add_test(tc, test_long_histories_sort_stably);
	tcase_add_test(tc, test_duplicate_opportunities);
	tcase_add_test(tc, test_opportunity_by_id);
	tcase_add_test(tc, test_orphans_dropped_and_counted);
	tcase_add_test(tc, test_scope_and_unknown_stage);
	tcase_add_test(tc, test_field_value_at_rule_21);
	tcase_add_test(tc, test_extra_fields_and_owners);
	tcase_add_test(tc, test_refuses_records_without_id_or_time);
	tcase_add_test(tc, test_strtab_interns);
	tcase_add_test(tc, test_parts_merge_in_part_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(model_suite());
}
