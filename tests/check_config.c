/*
 * check_config.c - the rules config loader (DESIGN §4, §10 rules 5, 32):
 * a full valid config field by field, defaults, and every refusal with
 * its exact message.
 *
 * Run one suite or case with CK_RUN_SUITE=config CK_RUN_CASE=refusals.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sg_config.h"
#include "sg_rules.h"

static char fixture_buf[PATH_MAX];

/* The path of a file under tests/fixtures/config in the source tree. */
static const char *fixture(const char *name)
{
	const char *top = getenv("top_srcdir");

	if (top == NULL || top[0] == '\0')
		top = SG_SOURCE_DIR;
	snprintf(fixture_buf, sizeof(fixture_buf),
		 "%s/tests/fixtures/config/%s", top, name);
	return fixture_buf;
}

static const char *source_file(const char *rel)
{
	const char *top = getenv("top_srcdir");

	if (top == NULL || top[0] == '\0')
		top = SG_SOURCE_DIR;
	snprintf(fixture_buf, sizeof(fixture_buf), "%s/%s", top, rel);
	return fixture_buf;
}

/* Loads text as "inline.json" in folder /cfg. */
static int load(struct sg_config **cfg, const char *text,
		struct sg_error *err)
{
	sg_error_clear(err);
	return sg_config_load_text(cfg, "inline.json", "/cfg", text,
				   strlen(text), err);
}

/* Asserts that text is refused with exactly message. */
static void refused(const char *text, const char *message)
{
	struct sg_config *cfg = (struct sg_config *)1;
	struct sg_error err;
	int rc;

	rc = load(&cfg, text, &err);
	ck_assert_int_eq(rc, SG_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(err.code, SG_ERR_CONFIG);
	ck_assert_str_eq(err.path, "inline.json");
	ck_assert_str_eq(err.message, message);
}

/* Asserts that the fixture is refused with exactly message. */
static void fixture_refused(const char *name, const char *message)
{
	struct sg_config *cfg = (struct sg_config *)1;
	struct sg_error err;
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s", fixture(name));
	sg_error_clear(&err);
	rc = sg_config_load(&cfg, path, &err);
	ck_assert_int_eq(rc, SG_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err.path, path);
	ck_assert_str_eq(err.message, message);
}

#define STAGE_KEYS "id, label, max_age_days, forecast_category, " \
	"exit_criteria, required_fields, closed, won, enter_from_any"
#define TOP_KEYS "pipeline, stages, criteria, segments, placeholders, " \
	"forecast, review, data, pilot, ledger, sources, sinks"

START_TEST(test_good_fields)
{
	struct sg_config *cfg = NULL;
	struct sg_error err;
	const struct sg_stage *st;
	char path[PATH_MAX], want[PATH_MAX + 32];
	json_t *csv;

	snprintf(path, sizeof(path), "%s", fixture("good.json"));
	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load(&cfg, path, &err), SG_OK);
	ck_assert_ptr_nonnull(cfg);

	ck_assert_str_eq(cfg->path, path);
	ck_assert_str_eq(cfg->dir, source_file("tests/fixtures/config"));
	ck_assert_str_eq(cfg->pipeline_id, "default");
	ck_assert_str_eq(cfg->pipeline_label, "New business");

	ck_assert_uint_eq(cfg->criterion_count, 3);
	ck_assert_str_eq(cfg->criteria[0].id, "pain_confirmed");
	ck_assert_str_eq(cfg->criteria[0].label, "Pain confirmed");
	ck_assert_int_eq(cfg->criteria[0].buyer_only, 1);
	ck_assert_int_eq(cfg->criteria[0].max_age.present, 1);
	ck_assert_double_eq(cfg->criteria[0].max_age.days, 0.5);
	ck_assert_int_eq(cfg->criteria[0].max_age.seconds, 43200);
	ck_assert_str_eq(cfg->criteria[1].id, "budget_confirmed");
	ck_assert_str_eq(cfg->criteria[1].label,
			 "Budget confirmed by the buyer");
	ck_assert_int_eq(cfg->criteria[1].buyer_only, 1);
	ck_assert_int_eq(cfg->criteria[1].max_age.seconds, 180 * 86400);
	ck_assert_str_eq(cfg->criteria[2].id, "decision_path");
	ck_assert_str_eq(cfg->criteria[2].label, "decision_path");
	ck_assert_int_eq(cfg->criteria[2].buyer_only, 0);
	ck_assert_int_eq(cfg->criteria[2].max_age.present, 0);

	ck_assert_uint_eq(cfg->stage_count, 5);
	st = &cfg->stages[0];
	ck_assert_str_eq(st->id, "discovery");
	ck_assert_str_eq(st->label, "Discovery");
	ck_assert_int_eq(st->order, 0);
	ck_assert_int_eq(st->max_age.present, 1);
	ck_assert_int_eq(st->max_age.seconds, 14 * 86400);
	ck_assert_str_eq(st->forecast_category, "pipeline");
	ck_assert_uint_eq(st->exit_criteria_count, 1);
	ck_assert_uint_eq(st->exit_criteria[0], 0);
	ck_assert_uint_eq(st->required_field_count, 1);
	ck_assert_str_eq(st->required_fields[0], "amount");
	ck_assert_int_eq(st->closed, 0);
	ck_assert_int_eq(st->won, 0);
	ck_assert_int_eq(st->enter_from_any, 0);

	st = &cfg->stages[1];
	ck_assert_str_eq(st->id, "proposal");
	ck_assert_str_eq(st->label, "proposal");
	ck_assert_int_eq(st->order, 1);
	ck_assert_double_eq(st->max_age.days, 20.5);
	ck_assert_int_eq(st->max_age.seconds, 1771200);
	ck_assert_str_eq(st->forecast_category, "best_case");
	ck_assert_uint_eq(st->exit_criteria_count, 2);
	ck_assert_uint_eq(st->exit_criteria[0], 1);
	ck_assert_uint_eq(st->exit_criteria[1], 2);
	ck_assert_uint_eq(st->required_field_count, 3);
	ck_assert_str_eq(st->required_fields[2], "next_step");

	st = &cfg->stages[2];
	ck_assert_str_eq(st->id, "negotiation");
	ck_assert_int_eq(st->max_age.present, 0);
	ck_assert_uint_eq(st->exit_criteria_count, 0);
	ck_assert_uint_eq(st->required_field_count, 0);

	st = &cfg->stages[3];
	ck_assert_str_eq(st->id, "closed_won");
	ck_assert_int_eq(st->closed, 1);
	ck_assert_int_eq(st->won, 1);
	ck_assert_int_eq(st->enter_from_any, 0);
	ck_assert_str_eq(st->forecast_category, "closed");

	st = &cfg->stages[4];
	ck_assert_str_eq(st->id, "closed_lost");
	ck_assert_int_eq(st->order, 4);
	ck_assert_int_eq(st->closed, 1);
	ck_assert_int_eq(st->won, 0);
	ck_assert_int_eq(st->enter_from_any, 1);

	ck_assert_str_eq(cfg->segment_field, "segment");
	ck_assert_uint_eq(cfg->segment_count, 2);
	ck_assert_str_eq(cfg->segments[0].value, "enterprise");
	ck_assert_int_eq(cfg->segments[0].limits[0].present, 1);
	ck_assert_int_eq(cfg->segments[0].limits[0].seconds, 30 * 86400);
	ck_assert_int_eq(cfg->segments[0].limits[1].present, 0);
	ck_assert_double_eq(cfg->segments[0].limits[2].days, 45.25);
	ck_assert_int_eq(cfg->segments[0].limits[2].seconds, 3909600);
	ck_assert_str_eq(cfg->segments[1].value, "smb");
	ck_assert_int_eq(cfg->segments[1].limits[1].seconds, 7 * 86400);

	ck_assert_uint_eq(cfg->placeholders.count, 3);
	ck_assert_ptr_eq(cfg->placeholders.words,
			 (const char *const *)cfg->placeholder_words);
	ck_assert_str_eq(cfg->placeholders.words[0], "tbd");
	ck_assert_str_eq(cfg->placeholders.words[1], "n/a");
	ck_assert_str_eq(cfg->placeholders.words[2], "-");

	ck_assert_uint_eq(cfg->review_category_count, 3);
	ck_assert_str_eq(cfg->review_categories[1], "commit");
	ck_assert_double_eq(cfg->review_sla_hours, 24.5);
	ck_assert_int_eq(cfg->review_sla_seconds, 88200);
	ck_assert_str_eq(cfg->default_assignee, "sales-ops");

	ck_assert_int_eq(cfg->stale_after.present, 1);
	ck_assert_double_eq(cfg->stale_after.days, 36);
	ck_assert_int_eq(cfg->stale_after.seconds, 36 * 3600);

	ck_assert_int_eq(cfg->pilot_present, 1);
	/* 2026-11-01T00:00:00Z */
	ck_assert_int_eq(cfg->pilot_start, 1793491200);
	ck_assert_int_eq(cfg->pilot_days, 28);
	ck_assert_int_eq(cfg->baseline_days, 60);

	snprintf(want, sizeof(want), "%s/state/stageguard.db", cfg->dir);
	ck_assert_str_eq(cfg->ledger_path, want);

	ck_assert_ptr_nonnull(cfg->sources);
	csv = json_object_get(cfg->sources, "csv");
	ck_assert_ptr_nonnull(csv);
	ck_assert_str_eq(json_string_value(json_object_get(csv, "dir")),
			 "data/");
	ck_assert_ptr_nonnull(cfg->sinks);
	ck_assert_ptr_nonnull(json_object_get(cfg->sinks, "metrics"));

	ck_assert_ptr_nonnull(cfg->text_sha256);
	ck_assert_uint_eq(strlen(cfg->text_sha256), 64);
	sg_config_free(cfg);
}
END_TEST

/* The rules as a plugin sees them (sg_rules.h): every stage in order
 * with its label, flags, category, exit criteria by id and required
 * fields; the criteria; the segment field; the placeholders. */
START_TEST(test_rules_view)
{
	struct sg_config *cfg = NULL;
	struct sg_rules_view *view = NULL;
	const struct sg_rules *r;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load(&cfg, fixture("good.json"), &err),
			 SG_OK);
	ck_assert_int_eq(sg_rules_view_new(&view, cfg, &err), SG_OK);
	r = sg_rules_of(view);
	ck_assert_uint_eq(r->size, sizeof(*r));
	ck_assert_str_eq(r->pipeline_id, "default");
	ck_assert_str_eq(r->pipeline_label, "New business");
	ck_assert_uint_eq(r->stage_count, 5);
	ck_assert_str_eq(r->stages[0].id, "discovery");
	ck_assert_str_eq(r->stages[0].label, "Discovery");
	ck_assert_str_eq(r->stages[1].label, "proposal");
	ck_assert_str_eq(r->stages[1].forecast_category, "best_case");
	ck_assert_uint_eq(r->stages[1].exit_criteria_count, 2);
	ck_assert_str_eq(r->stages[1].exit_criteria[0], "budget_confirmed");
	ck_assert_str_eq(r->stages[1].exit_criteria[1], "decision_path");
	ck_assert_uint_eq(r->stages[1].required_field_count, 3);
	ck_assert_str_eq(r->stages[1].required_fields[2], "next_step");
	ck_assert_uint_eq(r->stages[2].exit_criteria_count, 0);
	ck_assert(!r->stages[2].closed);
	ck_assert(r->stages[3].closed && r->stages[3].won);
	ck_assert(r->stages[4].closed && !r->stages[4].won);
	ck_assert_uint_eq(r->criterion_count, 3);
	ck_assert_str_eq(r->criteria[0].id, "pain_confirmed");
	ck_assert_str_eq(r->criteria[0].label, "Pain confirmed");
	ck_assert(r->criteria[1].buyer_only);
	ck_assert(!r->criteria[2].buyer_only);
	ck_assert_str_eq(r->segment_field, "segment");
	ck_assert_uint_eq(r->placeholder_count, 3);
	ck_assert_str_eq(r->placeholders[2], "-");
	sg_rules_view_free(view);
	sg_rules_view_free(NULL);
	sg_config_free(cfg);
}
END_TEST

START_TEST(test_defaults)
{
	struct sg_config *cfg = NULL;
	struct sg_error err;

	ck_assert_int_eq(load(&cfg, "{\"stages\": [{\"id\": \"open\"}],"
			      " \"criteria\": {\"c\": {}},"
			      " \"pilot\": {\"start\": \"2026-11-01T09:30:00"
			      "+02:00\"}}", &err), SG_OK);
	ck_assert_ptr_null(cfg->pipeline_id);
	ck_assert_ptr_null(cfg->pipeline_label);
	ck_assert_uint_eq(cfg->stage_count, 1);
	ck_assert_str_eq(cfg->stages[0].label, "open");
	ck_assert_ptr_null(cfg->stages[0].forecast_category);
	ck_assert_int_eq(cfg->stages[0].max_age.present, 0);
	ck_assert_int_eq(cfg->criteria[0].buyer_only, 1);
	ck_assert_str_eq(cfg->criteria[0].label, "c");
	ck_assert_ptr_null(cfg->segment_field);
	ck_assert_uint_eq(cfg->segment_count, 0);
	/* §10 rule 5: no placeholders key, no placeholders. */
	ck_assert_uint_eq(cfg->placeholders.count, 0);
	ck_assert_uint_eq(cfg->review_category_count, 0);
	ck_assert_double_eq(cfg->review_sla_hours, 48);
	ck_assert_int_eq(cfg->review_sla_seconds, 48 * 3600);
	ck_assert_str_eq(cfg->default_assignee, "revops");
	ck_assert_int_eq(cfg->stale_after.present, 0);
	ck_assert_int_eq(cfg->pilot_present, 1);
	ck_assert_int_eq(cfg->pilot_start, 1793491200 + 7 * 3600 + 1800);
	ck_assert_int_eq(cfg->pilot_days, 30);
	ck_assert_int_eq(cfg->baseline_days, 90);
	ck_assert_ptr_null(cfg->ledger_path);
	ck_assert_ptr_null(cfg->sources);
	ck_assert_ptr_null(cfg->sinks);
	ck_assert_str_eq(cfg->dir, "/cfg");
	ck_assert_str_eq(cfg->path, "inline.json");
	sg_config_free(cfg);

	ck_assert_int_eq(load(&cfg, "{\"stages\": [{\"id\": \"a\"}],"
			      " \"placeholders\": [],"
			      " \"review\": {\"sla_hours\": 0}}", &err),
			 SG_OK);
	ck_assert_int_eq(cfg->pilot_present, 0);
	ck_assert_int_eq(cfg->pilot_start, SG_TIME_NONE);
	ck_assert_uint_eq(cfg->placeholders.count, 0);
	ck_assert_double_eq(cfg->review_sla_hours, 0);
	ck_assert_int_eq(cfg->review_sla_seconds, 0);
	ck_assert_str_eq(cfg->default_assignee, "revops");
	sg_config_free(cfg);
	sg_config_free(NULL);
}
END_TEST

START_TEST(test_minimal_fixture)
{
	struct sg_config *cfg = NULL;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load(&cfg, fixture("minimal.json"), &err),
			 SG_OK);
	ck_assert_uint_eq(cfg->stage_count, 1);
	ck_assert_str_eq(cfg->stages[0].id, "open");
	sg_config_free(cfg);
}
END_TEST

START_TEST(test_example_config)
{
	struct sg_config *cfg = NULL;
	struct sg_error err;
	json_t *csv;
	char path[PATH_MAX], want[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s",
		 source_file("configs/example.json"));
	sg_error_clear(&err);
	ck_assert_msg(sg_config_load(&cfg, path, &err) == SG_OK, "%s",
		      err.message);
	ck_assert_str_eq(cfg->pipeline_id, "default");
	ck_assert_uint_ge(cfg->stage_count, 4);
	ck_assert_uint_eq(cfg->placeholders.count, 10);
	ck_assert_int_eq(cfg->pilot_present, 1);
	snprintf(want, sizeof(want), "%s/stageguard.db", cfg->dir);
	ck_assert_str_eq(cfg->ledger_path, want);
	csv = json_object_get(cfg->sources, "csv");
	ck_assert_str_eq(json_string_value(json_object_get(csv, "dir")),
			 "data/");
	ck_assert_str_eq(json_string_value(json_object_get(
		json_object_get(cfg->sinks, "xlsx"), "out")),
		"out/pilot-report.xlsx");
	ck_assert_uint_eq(json_object_size(cfg->sinks), 3);
	sg_config_free(cfg);
}
END_TEST

START_TEST(test_hash_and_dir)
{
	static const char text[] = "{\"stages\":[{\"id\":\"a\"}]}";
	static const char bom[] =
		"\xEF\xBB\xBF{\"stages\":[{\"id\":\"a\"}]}";
	struct sg_config *cfg = NULL;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load_text(&cfg, "rules.json", NULL, text,
					     strlen(text), &err), SG_OK);
	ck_assert_str_eq(cfg->text_sha256, "641e48cbe7a6f4d521ecd52d4ff5c412"
			 "d8d8872396ee4d13dd3ed5418f03e014");
	ck_assert_str_eq(cfg->dir, ".");
	sg_config_free(cfg);

	ck_assert_int_eq(sg_config_load_text(&cfg, "/etc/sg/rules.json",
					     NULL, text, strlen(text), &err),
			 SG_OK);
	ck_assert_str_eq(cfg->dir, "/etc/sg");
	sg_config_free(cfg);

	ck_assert_int_eq(sg_config_load_text(&cfg, "/rules.json", NULL,
					     text, strlen(text), &err),
			 SG_OK);
	ck_assert_str_eq(cfg->dir, "/");
	sg_config_free(cfg);

	/* A UTF-8 byte order mark is skipped. */
	ck_assert_int_eq(sg_config_load_text(&cfg, "bom.json", NULL, bom,
					     sizeof(bom) - 1, &err), SG_OK);
	sg_config_free(cfg);
}
END_TEST

START_TEST(test_resolve_path)
{
	struct sg_config *cfg = NULL;
	struct sg_error err;
	char tmpl[] = "/tmp/sgcfgXXXXXX", path[PATH_MAX], *p;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/c.json", tmpl);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("{\"stages\": [{\"id\": \"a\"}], \"ledger\": \"l.db\"}", fp);
	fclose(fp);

	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load(&cfg, path, &err), SG_OK);
	ck_assert_str_eq(cfg->dir, tmpl);
	snprintf(path, sizeof(path), "%s/l.db", tmpl);
	ck_assert_str_eq(cfg->ledger_path, path);
	p = sg_config_resolve_path(cfg, "/var/x.db");
	ck_assert_str_eq(p, "/var/x.db");
	free(p);
	p = sg_config_resolve_path(cfg, "out/r.xlsx");
	snprintf(path, sizeof(path), "%s/out/r.xlsx", tmpl);
	ck_assert_str_eq(p, path);
	free(p);
	ck_assert_ptr_null(sg_config_resolve_path(cfg, NULL));
	sg_config_free(cfg);

	/* A config named without a folder resolves against ".". */
	ck_assert_int_eq(chdir(tmpl), 0);
	ck_assert_int_eq(sg_config_load(&cfg, "c.json", &err), SG_OK);
	ck_assert_str_eq(cfg->dir, ".");
	ck_assert_str_eq(cfg->ledger_path, "l.db");
	sg_config_free(cfg);

	ck_assert_int_eq(load(&cfg, "{\"stages\": [{\"id\": \"a\"}],"
			      " \"ledger\": \"/abs/l.db\"}", &err), SG_OK);
	ck_assert_str_eq(cfg->ledger_path, "/abs/l.db");
	sg_config_free(cfg);

	unlink("c.json");
	ck_assert_int_eq(chdir("/"), 0);
	rmdir(tmpl);
}
END_TEST

START_TEST(test_lookups)
{
	struct sg_config *cfg = NULL;
	struct sg_error err;
	const struct sg_days *d;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load(&cfg, fixture("good.json"), &err),
			 SG_OK);
	ck_assert_int_eq(sg_config_stage_index(cfg, "proposal", 8), 1);
	ck_assert_int_eq(sg_config_stage_index(cfg, "  proposal \t", 12), 1);
	ck_assert_int_eq(sg_config_stage_index(cfg, "proposalX", 8), 1);
	ck_assert_int_eq(sg_config_stage_index(cfg, "Proposal", 8), -1);
	ck_assert_int_eq(sg_config_stage_index(cfg, "propos", 6), -1);
	ck_assert_int_eq(sg_config_stage_index(cfg, "", 0), -1);
	ck_assert_int_eq(sg_config_stage_index(cfg, NULL, 0), -1);
	ck_assert_int_eq(sg_config_stage_index(cfg, "closed_lost", 11), 4);

	ck_assert_int_eq(sg_config_criterion_index(cfg, "decision_path"), 2);
	ck_assert_int_eq(sg_config_criterion_index(cfg, "budget"), -1);
	ck_assert_int_eq(sg_config_criterion_index(cfg, NULL), -1);

	ck_assert_int_eq(sg_config_is_review_category(cfg, "commit"), 1);
	ck_assert_int_eq(sg_config_is_review_category(cfg, "pipeline"), 0);
	ck_assert_int_eq(sg_config_is_review_category(cfg, NULL), 0);

	/* The segment's own limit replaces the stage's. */
	d = sg_config_max_age(cfg, 0, "enterprise");
	ck_assert_int_eq(d->present, 1);
	ck_assert_int_eq(d->seconds, 30 * 86400);
	d = sg_config_max_age(cfg, 0, " enterprise\t");
	ck_assert_int_eq(d->seconds, 30 * 86400);
	/* No segment limit for the stage: the stage's own. */
	d = sg_config_max_age(cfg, 1, "enterprise");
	ck_assert_int_eq(d->seconds, 1771200);
	/* A stage without a limit of its own gets the segment's. */
	d = sg_config_max_age(cfg, 2, "enterprise");
	ck_assert_int_eq(d->present, 1);
	ck_assert_int_eq(d->seconds, 3909600);
	d = sg_config_max_age(cfg, 2, "smb");
	ck_assert_int_eq(d->present, 0);
	d = sg_config_max_age(cfg, 1, "smb");
	ck_assert_int_eq(d->seconds, 7 * 86400);
	/* Segment values match exactly. */
	d = sg_config_max_age(cfg, 0, "Enterprise");
	ck_assert_int_eq(d->seconds, 14 * 86400);
	d = sg_config_max_age(cfg, 0, NULL);
	ck_assert_int_eq(d->seconds, 14 * 86400);
	d = sg_config_max_age(cfg, 0, "");
	ck_assert_int_eq(d->seconds, 14 * 86400);
	d = sg_config_max_age(cfg, 99, "enterprise");
	ck_assert_int_eq(d->present, 0);
	sg_config_free(cfg);
}
END_TEST

START_TEST(test_fixture_refusals)
{
	fixture_refused("bad_unknown_top.json",
			"$.stage: unknown key \"stage\" (valid keys: "
			TOP_KEYS ")");
	fixture_refused("bad_unknown_stage_key.json",
			"$.stages[1].max_age: unknown key \"max_age\" "
			"(valid keys: " STAGE_KEYS ")");
	fixture_refused("bad_duplicate_stage.json",
			"$.stages[2].id: duplicate stage id \"discovery\" "
			"(first at $.stages[0].id)");
	fixture_refused("bad_undefined_criterion.json",
			"$.stages[1].exit_criteria[0]: criterion \"budget\" "
			"is not defined in $.criteria");
	fixture_refused("bad_negative_age.json",
			"$.stages[0].max_age_days: must not be negative "
			"(got -3)");
	fixture_refused("bad_wrong_type.json",
			"$.stages[0].closed: expected a boolean");
	fixture_refused("bad_segment_stage.json",
			"$.segments.max_age_days.enterprise.negotiation: "
			"stage \"negotiation\" is not defined in $.stages");
}
END_TEST

START_TEST(test_invalid_json)
{
	struct sg_config *cfg = (struct sg_config *)1;
	struct sg_error err;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", fixture("bad_syntax.json"));
	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load(&cfg, path, &err), SG_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err.path, path);
	ck_assert_int_eq(err.line, 3);
	/* jansson points just past the unexpected token. */
	ck_assert_int_eq(err.column, 30);
	/* Line and column only: the text near the error is not quoted (it
	 * could be a secret). */
	ck_assert_str_eq(err.message, "invalid JSON: '}' expected");

	snprintf(path, sizeof(path), "%s", fixture("bad_duplicate_key.json"));
	ck_assert_int_eq(sg_config_load(&cfg, path, &err), SG_ERR_CONFIG);
	ck_assert_int_eq(err.line, 3);
	ck_assert_str_eq(err.message, "invalid JSON: duplicate object key");
	ck_assert_int_eq(load(&cfg, "{\"pipeline\": {\"id\": s3cr3t-t0ken}}",
			      &err), SG_ERR_CONFIG);
	ck_assert_ptr_null(strstr(err.message, "s3cr3t"));
	ck_assert_str_eq(err.message, "invalid JSON: invalid token");

	/* A key of 64 quotes, each written escaped in the path of the
	 * message: it overflowed a buffer once (tests/fuzz/crashes). */
	ck_assert_int_eq(load(&cfg, "{\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\": 1}", &err),
			 SG_ERR_CONFIG);
	ck_assert_msg(strstr(err.message, "$[\"\\\"\\\"") != NULL, "%s",
		      err.message);

	ck_assert_int_eq(load(&cfg, "", &err), SG_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(strstr(err.message, "invalid JSON: "));
	ck_assert_int_eq(load(&cfg, "{\"stages\": [{\"id\": \"a\"}]} x",
			      &err), SG_ERR_CONFIG);
	ck_assert_int_eq(err.line, 1);
	ck_assert_ptr_nonnull(strstr(err.message, "invalid JSON: "));
	refused("[1, 2]", "$: expected an object");
}
END_TEST

START_TEST(test_missing_file)
{
	struct sg_config *cfg = (struct sg_config *)1;
	struct sg_error err;
	char tmpl[] = "/tmp/sgcfgXXXXXX", path[PATH_MAX];

	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load(&cfg, "/nonexistent/sg/rules.json",
					&err), SG_ERR_IO);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(err.code, SG_ERR_IO);
	ck_assert_str_eq(err.path, "/nonexistent/sg/rules.json");
	ck_assert_str_eq(err.message, "cannot open the config file: "
			 "No such file or directory");

	/* A folder opens but cannot be read. */
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_int_eq(sg_config_load(&cfg, tmpl, &err), SG_ERR_IO);
	ck_assert_str_eq(err.path, tmpl);
	ck_assert_str_eq(err.message, "cannot read the config file: "
			 "Is a directory");

	/* Bounded input: a file over the limit is refused. */
	snprintf(path, sizeof(path), "%s/big.json", tmpl);
	{
		FILE *fp = fopen(path, "w");
		long i;

		ck_assert_ptr_nonnull(fp);
		for (i = 0; i < 5L * 1024 * 1024 / 8; i++)
			fputs("        ", fp);
		fclose(fp);
	}
	ck_assert_int_eq(sg_config_load(&cfg, path, &err), SG_ERR_CONFIG);
	ck_assert_str_eq(err.message, "the config file is larger than "
			 "4194304 bytes");
	unlink(path);
	rmdir(tmpl);
}
END_TEST

START_TEST(test_unknown_keys)
{
	refused("{\"stages\": [{\"id\": \"a\"}], \"$schema\": \"x\"}",
		"$[\"$schema\"]: unknown key \"$schema\" (valid keys: "
		TOP_KEYS ")");
	refused("{\"pipeline\": {\"id\": \"p\", \"name\": \"x\"},"
		" \"stages\": [{\"id\": \"a\"}]}",
		"$.pipeline.name: unknown key \"name\" (valid keys: id, "
		"label)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"criteria\": {\"c\": {\"buyer\": true}}}",
		"$.criteria.c.buyer: unknown key \"buyer\" (valid keys: "
		"label, buyer_only, max_age_days)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"segments\": {\"field\": \"s\", \"limits\": {}}}",
		"$.segments.limits: unknown key \"limits\" (valid keys: "
		"field, max_age_days)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"pilot\": {\"start\": \"2026-11-01\", \"end\": 3}}",
		"$.pilot.end: unknown key \"end\" (valid keys: start, days, "
		"baseline_days)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"forecast\": {\"categories\": []}}",
		"$.forecast.categories: unknown key \"categories\" (valid "
		"keys: review_categories)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"review\": {\"sla\": 4}}",
		"$.review.sla: unknown key \"sla\" (valid keys: sla_hours, "
		"default_assignee)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"data\": {\"stale_after_days\": 4}}",
		"$.data.stale_after_days: unknown key \"stale_after_days\" "
		"(valid keys: stale_after_hours)");
}
END_TEST

START_TEST(test_type_refusals)
{
	refused("{\"stages\": {}}", "$.stages: expected an array");
	refused("{\"stages\": [\"a\"]}", "$.stages[0]: expected an object");
	refused("{\"stages\": [{\"id\": 3}]}",
		"$.stages[0].id: expected a string");
	refused("{\"stages\": [{\"id\": \"a\", \"label\": null}]}",
		"$.stages[0].label: expected a string");
	refused("{\"stages\": [{\"id\": \"a\", \"max_age_days\": \"3\"}]}",
		"$.stages[0].max_age_days: expected a number");
	refused("{\"stages\": [{\"id\": \"a\", \"exit_criteria\": \"c\"}]}",
		"$.stages[0].exit_criteria: expected an array");
	refused("{\"stages\": [{\"id\": \"a\", \"exit_criteria\": [1]}]}",
		"$.stages[0].exit_criteria[0]: expected a string");
	refused("{\"stages\": [{\"id\": \"a\","
		" \"required_fields\": [\"amount\", false]}]}",
		"$.stages[0].required_fields[1]: expected a string");
	refused("{\"stages\": [{\"id\": \"a\", \"won\": 1}]}",
		"$.stages[0].won: expected a boolean");
	refused("{\"stages\": [{\"id\": \"a\"}], \"criteria\": []}",
		"$.criteria: expected an object");
	refused("{\"stages\": [{\"id\": \"a\"}], \"criteria\": {\"c\": 1}}",
		"$.criteria.c: expected an object");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"criteria\": {\"c\": {\"buyer_only\": \"no\"}}}",
		"$.criteria.c.buyer_only: expected a boolean");
	refused("{\"stages\": [{\"id\": \"a\"}], \"placeholders\": \"tbd\"}",
		"$.placeholders: expected an array");
	refused("{\"stages\": [{\"id\": \"a\"}], \"placeholders\": [null]}",
		"$.placeholders[0]: expected a string");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"forecast\": {\"review_categories\": [\"commit\", 2]}}",
		"$.forecast.review_categories[1]: expected a string");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"review\": {\"default_assignee\": 7}}",
		"$.review.default_assignee: expected a string");
	refused("{\"stages\": [{\"id\": \"a\"}], \"ledger\": 1}",
		"$.ledger: expected a string");
	refused("{\"stages\": [{\"id\": \"a\"}], \"ledger\": \"\"}",
		"$.ledger: must not be empty");
	refused("{\"stages\": [{\"id\": \"a\"}], \"sources\": []}",
		"$.sources: expected an object");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"sources\": {\"csv\": \"data/\"}}",
		"$.sources.csv: expected an object");
	refused("{\"stages\": [{\"id\": \"a\"}], \"sinks\": {\"x\": []}}",
		"$.sinks.x: expected an object");
	refused("{\"stages\": [{\"id\": \"a\"}], \"segments\": {}}",
		"$.segments: missing required key \"field\"");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"segments\": {\"field\": \"s\", \"max_age_days\": []}}",
		"$.segments.max_age_days: expected an object");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"segments\": {\"field\": \"s\","
		" \"max_age_days\": {\"ent\": 3}}}",
		"$.segments.max_age_days.ent: expected an object");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"segments\": {\"field\": \"s\","
		" \"max_age_days\": {\"ent\": {\"a\": \"3\"}}}}",
		"$.segments.max_age_days.ent.a: expected a number");
	refused("{\"stages\": [{\"id\": \"a\"}], \"pipeline\": {}}",
		"$.pipeline: missing required key \"id\"");
	refused("{\"stages\": [{\"id\": \"a\"}], \"pipeline\": \"p\"}",
		"$.pipeline: expected an object");
}
END_TEST

START_TEST(test_stage_refusals)
{
	refused("{}", "$: missing required key \"stages\"");
	refused("{\"stages\": []}", "$.stages: expected at least one stage");
	refused("{\"stages\": [{\"label\": \"A\"}]}",
		"$.stages[0]: missing required key \"id\"");
	refused("{\"stages\": [{\"id\": \"\"}]}",
		"$.stages[0].id: a stage id must not be empty");
	refused("{\"stages\": [{\"id\": \" a\"}]}",
		"$.stages[0].id: a stage id must not begin or end with white "
		"space");
	refused("{\"stages\": [{\"id\": \"a\"}, {\"id\": \"a\"}]}",
		"$.stages[1].id: duplicate stage id \"a\" (first at "
		"$.stages[0].id)");
	refused("{\"stages\": [{\"id\": \"a\", \"exit_criteria\": [\"c\"]}]}",
		"$.stages[0].exit_criteria[0]: criterion \"c\" is not defined "
		"in $.criteria");
	refused("{\"stages\": [{\"id\": \"a\","
		" \"required_fields\": [\"\"]}]}",
		"$.stages[0].required_fields[0]: must not be empty");
	refused("{\"stages\": [{\"id\": \"a\"}], \"criteria\": {\"\": {}}}",
		"$.criteria[\"\"]: a criterion id must not be empty");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"segments\": {\"field\": \"s\","
		" \"max_age_days\": {\"big co\": {\"b\": 1}}}}",
		"$.segments.max_age_days[\"big co\"].b: stage \"b\" is not "
		"defined in $.stages");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"segments\": {\"field\": \"s\","
		" \"max_age_days\": {\"ent\": {\" a\": 1}}}}",
		"$.segments.max_age_days.ent[\" a\"]: stage \" a\" is not "
		"defined in $.stages");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"segments\": {\"field\": \"\"}}",
		"$.segments.field: must not be empty");
}
END_TEST

START_TEST(test_duration_refusals)
{
	refused("{\"stages\": [{\"id\": \"a\", \"max_age_days\": -0.5}]}",
		"$.stages[0].max_age_days: must not be negative (got -0.5)");
	refused("{\"stages\": [{\"id\": \"a\", \"max_age_days\": 1e9}]}",
		"$.stages[0].max_age_days: is too large (got 1e+09, at most "
		"1e+06)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"criteria\": {\"c\": {\"max_age_days\": -1}}}",
		"$.criteria.c.max_age_days: must not be negative (got -1)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"segments\": {\"field\": \"s\","
		" \"max_age_days\": {\"ent\": {\"a\": -2}}}}",
		"$.segments.max_age_days.ent.a: must not be negative "
		"(got -2)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"review\": {\"sla_hours\": -4}}",
		"$.review.sla_hours: must not be negative (got -4)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"data\": {\"stale_after_hours\": -36}}",
		"$.data.stale_after_hours: must not be negative (got -36)");
}
END_TEST

START_TEST(test_pilot_refusals)
{
	refused("{\"stages\": [{\"id\": \"a\"}], \"pilot\": {\"days\": 30}}",
		"$.pilot: missing required key \"start\"");
	refused("{\"stages\": [{\"id\": \"a\"}], \"pilot\": {\"start\": 1}}",
		"$.pilot.start: expected a string");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"pilot\": {\"start\": \"2026-11-01\", \"days\": 0}}",
		"$.pilot.days: expected a whole number of days from 1 to 3660 "
		"(got 0)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"pilot\": {\"start\": \"2026-11-01\", \"days\": 1.5}}",
		"$.pilot.days: expected a whole number of days from 1 to 3660 "
		"(got 1.5)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"pilot\": {\"start\": \"2026-11-01\","
		" \"baseline_days\": -90}}",
		"$.pilot.baseline_days: expected a whole number of days "
		"from 1 to 3660 (got -90)");
	refused("{\"stages\": [{\"id\": \"a\"}],"
		" \"pilot\": {\"start\": \"2026-11-01\", \"days\": \"30\"}}",
		"$.pilot.days: expected a number");
}
END_TEST

START_TEST(test_pilot_start_unparseable)
{
	struct sg_config *cfg = (struct sg_config *)1;
	struct sg_error err;

	ck_assert_int_eq(load(&cfg, "{\"stages\": [{\"id\": \"a\"}],"
			      " \"pilot\": {\"start\": \"next monday\"}}",
			      &err), SG_ERR_CONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err.path, "inline.json");
	/* The time parser's own words follow the JSON path. */
	ck_assert_msg(strncmp(err.message, "$.pilot.start: ", 15) == 0, "%s",
		      err.message);
	ck_assert_ptr_nonnull(strstr(err.message, "next monday"));
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, test_good_fields);
	tcase_add_test(tc, test_rules_view);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_minimal_fixture);
	tcase_add_test(tc, test_example_config);
	tcase_add_test(tc, test_hash_and_dir);
	tcase_add_test(tc, test_resolve_path);
	tcase_add_test(tc, test_lookups);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_add_test(tc, test_fixture_refusals);
	tcase_add_test(tc, test_invalid_json);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_type_refusals);
	tcase_add_test(tc, test_stage_refusals);
	tcase_add_test(tc, test_duration_refusals);
	tcase_add_test(tc, test_pilot_refusals);
	tcase_add_test(tc, test_pilot_start_unparseable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
