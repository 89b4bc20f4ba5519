/*
 * sg_test_model.h - building a model record by record in a unit test,
 * each add asserting that the model took it.  Shared by the tests of the
 * model, the checks and the measures.
 */
#ifndef SG_TEST_MODEL_H
#define SG_TEST_MODEL_H

#include <check.h>
#include <string.h>

#include "sg_model.h"

static inline void sg_test_add_event(struct sg_model *m, const char *opp,
				     const char *from, const char *to,
				     sg_time at, const char *by)
{
	struct sg_rec_stage_event r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.opportunity_id = opp;
	r.from_stage = from;
	r.to_stage = to;
	r.changed_at = at;
	r.changed_by = by;
	r.source = "test";
	ck_assert_int_eq(sg_model_add_stage_event(m, &r, NULL, &err), SG_OK);
}

static inline void sg_test_add_evidence(struct sg_model *m, const char *opp,
					const char *criterion,
					const char *value, int party,
					sg_time at)
{
	struct sg_rec_evidence r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.opportunity_id = opp;
	r.criterion = criterion;
	r.value = value;
	r.party = party;
	r.observed_at = at;
	r.ref = "";
	ck_assert_int_eq(sg_model_add_evidence(m, &r, NULL, &err), SG_OK);
}

static inline void sg_test_add_activity(struct sg_model *m, const char *opp,
					int party, sg_time at)
{
	struct sg_rec_activity r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.id = "a";
	r.opportunity_id = opp;
	r.type = SG_ACT_EMAIL;
	r.party = party;
	r.occurred_at = at;
	r.actor = "";
	r.subject = "";
	ck_assert_int_eq(sg_model_add_activity(m, &r, NULL, &err), SG_OK);
}

static inline void sg_test_add_change(struct sg_model *m, const char *opp,
				      const char *field,
				      const char *old_value,
				      const char *new_value, sg_time at)
{
	struct sg_rec_field_change r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.opportunity_id = opp;
	r.field = field;
	r.old_value = old_value;
	r.new_value = new_value;
	r.changed_at = at;
	ck_assert_int_eq(sg_model_add_field_change(m, &r, NULL, &err), SG_OK);
}

#endif
