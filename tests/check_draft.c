/*
 * check_draft.c - a rules config drafted from a pipeline description
 * (core/sg_draft.c): it loads as a config, with the stages in order,
 * closed, won and lost, forecast categories, the pipeline and the
 * source's section; descriptions it cannot draft from are refused.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sg_config.h"
#include "sg_draft.h"
#include "sg_test.h"

static const struct sg_described_stage stages[] = {
	{ "appointmentscheduled", "Appointment Scheduled", 0, 0, "pipeline" },
	{ "contractsent", "Contract Sent", -1, -1, NULL },
	{ "closedwon", "Closed Won", 1, 1, "closed" },
	{ "closedlost", "closedlost", 1, 0, "omitted" },
};

static struct sg_pipeline_description description(size_t count)
{
	static const char *const notes[] = { "from the API" };
	struct sg_pipeline_description d;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.pipeline_id = "default";
	d.pipeline_label = "Sales Pipeline";
	d.stages = stages;
	d.stage_count = count;
	d.notes = notes;
	d.note_count = 1;
	return d;
}

START_TEST(test_draft_loads_as_a_config)
{
	struct sg_pipeline_description d = description(4);
	json_t *section = json_pack("{s:s}", "token_env", "HUBSPOT_TOKEN");
	struct sg_config *config = NULL;
	struct sg_error err;
	json_t *doc;
	char *text = NULL;

	ck_assert_int_eq(sg_draft_config(&d, "hubspot", section, &text, &err),
			 SG_OK);
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	ck_assert_msg(sg_config_load_text(&config, "draft.json", ".", text,
					  strlen(text), &err) == SG_OK,
		      "%s\n%s", err.message, text);
	ck_assert_str_eq(config->pipeline_id, "default");
	ck_assert_str_eq(config->pipeline_label, "Sales Pipeline");
	ck_assert_uint_eq(config->stage_count, 4);
	ck_assert_str_eq(config->stages[0].id, "appointmentscheduled");
	ck_assert_str_eq(config->stages[0].label, "Appointment Scheduled");
	ck_assert_str_eq(config->stages[0].forecast_category, "pipeline");
	ck_assert_int_eq(config->stages[0].closed, 0);
	ck_assert_int_eq(config->stages[1].closed, 0);     /* unknown */
	ck_assert_ptr_null(config->stages[1].forecast_category);
	ck_assert_int_eq(config->stages[2].closed, 1);
	ck_assert_int_eq(config->stages[2].won, 1);
	ck_assert_int_eq(config->stages[2].enter_from_any, 0);
	ck_assert_int_eq(config->stages[3].closed, 1);
	ck_assert_int_eq(config->stages[3].won, 0);
	ck_assert_int_eq(config->stages[3].enter_from_any, 1);
	ck_assert_str_eq(config->stages[3].label, "closedlost");
	doc = json_loads(text, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
		json_object_get(doc, "sources"), "hubspot"), "token_env")),
		"HUBSPOT_TOKEN");
	/* Left for the person: no criteria, empty lists. */
	ck_assert_uint_eq(json_object_size(json_object_get(doc, "criteria")),
			  0);
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(
		json_object_get(doc, "stages"), 0), "exit_criteria")), 0);
	json_decref(doc);
	json_decref(section);
	sg_config_free(config);
	free(text);
}
END_TEST

START_TEST(test_refusals)
{
	static const struct sg_described_stage twice[] = {
		{ "a", NULL, 0, 0, NULL }, { "a", NULL, 0, 0, NULL } };
	static const struct sg_described_stage no_id[] = {
		{ "", NULL, 0, 0, NULL } };
	struct sg_pipeline_description d = description(0);
	struct sg_error err;
	char *text = NULL;

	ck_assert_int_eq(sg_draft_config(&d, "csv", NULL, &text, &err),
			 SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "no stage"));
	ck_assert_ptr_null(text);
	d.stages = twice;
	d.stage_count = 2;
	ck_assert_int_eq(sg_draft_config(&d, "csv", NULL, &text, &err),
			 SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "twice"));
	d.stages = no_id;
	d.stage_count = 1;
	ck_assert_int_eq(sg_draft_config(&d, "csv", NULL, &text, &err),
			 SG_ERR_PLUGIN);
	/* No pipeline known: no "pipeline" key (every pipeline in scope). */
	d = description(1);
	d.pipeline_id = NULL;
	ck_assert_int_eq(sg_draft_config(&d, "csv", NULL, &text, &err),
			 SG_OK);
	ck_assert_ptr_null(strstr(text, "\"pipeline\": {"));
	free(text);
}
END_TEST

static Suite *draft_suite(void)
{
	Suite *s = suite_create("draft");
	TCase *tc = tcase_create("draft");

	tcase_add_test(tc, test_draft_loads_as_a_config);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(draft_suite());
}
